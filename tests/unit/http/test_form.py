from urllib.parse import parse_qsl, quote

from hypothesis import given
from hypothesis import strategies as st

from smsgate.http.form import form_pairs

# the characters that matter to the parser, plus some of everything else
_TEXT = st.text(
    alphabet=st.sampled_from("&=+%; aZ09é€\x00") | st.characters(codec="utf-8"), max_size=40
)


def _reference(raw: bytes) -> list[tuple[str, str]]:
    return parse_qsl(
        raw.decode("utf-8", "surrogateescape"), keep_blank_values=True, errors="surrogateescape"
    )


@given(st.binary(max_size=60))
def test_any_bytes_parse_as_parse_qsl_does(raw: bytes) -> None:
    assert form_pairs(raw) == _reference(raw)


@given(_TEXT)
def test_any_text_parses_as_parse_qsl_does(text: str) -> None:
    raw = text.encode()
    assert form_pairs(raw) == _reference(raw)


@given(st.lists(st.tuples(_TEXT, _TEXT), max_size=5))
def test_encoded_pairs_come_back(pairs: list[tuple[str, str]]) -> None:
    # every field has its "=", so none is empty and none is dropped
    raw = "&".join(f"{quote(n, safe='')}={quote(v, safe='')}" for n, v in pairs).encode()
    assert form_pairs(raw) == pairs


def test_a_whatcounts_request() -> None:
    raw = b"r=acme&p=s3cret&c=smssendmessagetophone&phone=12065551212&message_text=Thanks+a%20lot!"
    assert form_pairs(raw) == [
        ("r", "acme"),
        ("p", "s3cret"),
        ("c", "smssendmessagetophone"),
        ("phone", "12065551212"),
        ("message_text", "Thanks a lot!"),
    ]


def test_empty_fields_are_skipped_and_a_bare_name_has_an_empty_value() -> None:
    assert form_pairs(b"&&a&b=&=c&") == [("a", ""), ("b", ""), ("", "c")]


def test_bad_escapes_and_bad_utf8_do_not_raise() -> None:
    """Bytes that are not UTF-8 come out as lone surrogates (surrogateescape), raw or
    percent-encoded, for the domain rules to refuse."""
    assert form_pairs(b"t=%zz%e2%82&u=\xff&v=%ED%A0%80") == [
        ("t", "%zz\udce2\udc82"),
        ("u", "\udcff"),
        ("v", "\udced\udca0\udc80"),
    ]
