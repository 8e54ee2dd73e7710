"""text_cost agrees with the segmentation used to send, and names what forces UCS-2."""

from hypothesis import given
from hypothesis import strategies as st

from smsgate.domain.encoding import Encoding, choose_encoding, segment
from smsgate.domain.text_cost import text_cost


def test_extension_characters_cost_two_septets() -> None:
    cost = text_cost("[1]")
    assert (cost.encoding, cost.length, cost.units, cost.ucs2_characters) == (
        Encoding.GSM7,
        3,
        5,
        (),
    )


def test_emoji_cost_two_units_and_are_named_once() -> None:
    cost = text_cost("hi \U0001f600\U0001f600")
    assert (cost.encoding, cost.length, cost.units) == (Encoding.UCS2, 5, 7)
    assert cost.ucs2_characters == ("\U0001f600",)


@given(st.text(max_size=400))
def test_agrees_with_segment(text: str) -> None:
    cost = text_cost(text)
    cut = segment(text)
    assert (cost.encoding, cost.parts) == (cut.encoding, cut.count)
    without = "".join(c for c in text if c not in cost.ucs2_characters)
    assert choose_encoding(without) is Encoding.GSM7
