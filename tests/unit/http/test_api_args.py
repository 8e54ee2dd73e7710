"""`api_args` is `parse_args` over `urllib.parse.parse_qsl` (fields split on `&`, `+` and `%XX`
as UTF-8, other bytes kept as lone surrogates), on any bytes and any spelling of the names."""

from urllib.parse import parse_qsl, quote, unquote

from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate.domain.send import ALIASES, SendArgs, parse_args
from smsgate.http.api_args import api_args, unquote_field

# the characters that matter to the parser, plus some of everything else
_TEXT = st.text(
    alphabet=st.sampled_from("&=+%; aZ09é€\x00\udc80") | st.characters(codec="utf-8"), max_size=20
)


def _spelled(name: str) -> st.SearchStrategy[str]:
    """`name` as a client may write it: any case, some letters percent-encoded."""
    letters = [
        st.sampled_from([c.lower(), c.upper(), quote(c, safe=""), f"%{ord(c):02X}"]) for c in name
    ]
    return st.tuples(*letters).map("".join)


_NAMES = st.sampled_from([*sorted(ALIASES), "x", "mesage_text", ""]).flatmap(_spelled)
_FIELD = st.tuples(_NAMES, _TEXT).map(
    lambda nv: f"{nv[0]}={quote(nv[1], safe='=+%&', errors='surrogateescape')}"
)
# "\udc80" goes on the wire as the byte 0x80 (not UTF-8)
_SOURCE = st.lists(_FIELD | _TEXT, max_size=8).map(
    lambda fields: "&".join(fields).encode("utf-8", "surrogateescape")
)


def _pairs(raw: bytes) -> list[tuple[str, str]]:
    text = raw.decode("utf-8", "surrogateescape")
    return parse_qsl(text, keep_blank_values=True, errors="surrogateescape")


def _reference(body: bytes, query: bytes) -> SendArgs:
    return parse_args(_pairs(body), _pairs(query))


@given(st.binary(max_size=60), st.binary(max_size=60))
def test_any_bytes(body: bytes, query: bytes) -> None:
    assert api_args(body, query) == _reference(body, query)


@settings(max_examples=500, deadline=None)
@given(_SOURCE, _SOURCE)
def test_any_spelling_order_and_repetition_of_the_arguments(body: bytes, query: bytes) -> None:
    assert api_args(body, query) == _reference(body, query)


def test_a_whatcounts_request() -> None:
    query = (
        b"r=acme&p=s3cret&c=smssendmessagetophone&sender_code=12345"
        b"&message_text=Your%20code+is%20%E2%82%AC1&phone=12065551212&P=other"
    )
    assert api_args(b"", query) == SendArgs(
        command="smssendmessagetophone",
        realm="acme",
        password="s3cret",
        phone="12065551212",
        sender_code="12345",
        message_text="Your code is €1",
    )
    assert api_args(b"phone=1&pwd=body", query).password == "body"  # the body first


@given(st.text(alphabet="%20+aF ", max_size=24))
def test_the_space_fast_path_is_unquote(text: str) -> None:
    """`unquote_field` decodes "%20" by `str.replace` when nothing else is escaped: always what
    parse_qsl's unquote makes of the same text."""
    assert unquote_field(text) == unquote(text.replace("+", " "), errors="surrogateescape")
