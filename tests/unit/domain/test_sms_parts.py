"""A text as the payloads of its SMS parts."""

from hypothesis import given
from hypothesis import strategies as st

from smsgate.constants import DATA_CODING_GSM7, DATA_CODING_UCS2
from smsgate.domain.encoding import gsm7_decode, segment, split_udh, ucs2_decode
from smsgate.domain.sms_parts import concat_reference, encode_message


def test_one_part_has_no_udh() -> None:
    encoded = encode_message("hello", 7)
    assert encoded.data_coding == DATA_CODING_GSM7
    [part] = encoded.parts
    assert (part.number, part.payload, part.udhi) == (1, b"hello", False)


def test_every_part_of_a_long_text_leads_with_the_concatenation_udh() -> None:
    encoded = encode_message("ж" * 200, 0x42)  # not GSM: UCS-2, 67 per part
    assert encoded.data_coding == DATA_CODING_UCS2
    assert [p.payload[:6] for p in encoded.parts] == [
        bytes((5, 0, 3, 0x42, 3, n)) for n in (1, 2, 3)
    ]
    assert all(p.udhi for p in encoded.parts)


def test_a_given_segmentation_is_used_as_it_is() -> None:
    cut = segment("x" * 200)
    assert encode_message("x" * 200, 1, segmented=cut) == encode_message("x" * 200, 1)


def test_the_reference_is_stable_and_eight_bits() -> None:
    assert concat_reference("01HZX0000000000000000000AA") == concat_reference(
        "01HZX0000000000000000000AA"
    )
    assert 0 <= concat_reference("anything") <= 0xFF


@given(st.text(min_size=1, max_size=600))
def test_the_parts_join_to_the_text(text: str) -> None:
    try:
        encoded = encode_message(text, 9)
    except ValueError:  # more than 255 parts, or a lone surrogate outside GSM
        return
    decode = gsm7_decode if encoded.data_coding == DATA_CODING_GSM7 else ucs2_decode
    pieces = []
    for part in encoded.parts:
        header, payload = split_udh(part.payload) if part.udhi else (None, part.payload)
        assert (header is not None) == (len(encoded.parts) > 1)
        pieces.append(decode(payload))
    assert "".join(pieces) == text
