"""Raw bytes over 0x7F in a request line become percent-escapes; nothing else changes."""

from urllib.parse import unquote_to_bytes

from hypothesis import given
from hypothesis import strategies as st

from smsgate.http.request_line import encode_request_line

lines = st.binary(max_size=80).map(lambda b: b.replace(b"\n", b"").replace(b"%", b""))


@given(lines, st.binary(max_size=40))
def test_the_line_becomes_ascii_that_decodes_to_the_same_bytes(line: bytes, rest: bytes) -> None:
    data, ended = encode_request_line(line + b"\n" + rest)
    encoded, newline, after = data.partition(b"\n")
    assert ended and newline == b"\n"
    assert encoded.isascii()
    assert unquote_to_bytes(encoded) == line
    assert after == rest  # headers and bodies are left as they are


@given(lines)
def test_a_line_without_its_end_is_encoded_whole(line: bytes) -> None:
    data, ended = encode_request_line(line)
    assert not ended and data.isascii() and unquote_to_bytes(data) == line


def test_ascii_is_returned_as_it_is() -> None:
    data = b"GET /api_web?p=x HTTP/1.1\r\nHost: x\r\n\r\n"
    assert encode_request_line(data) == (data, True)
    assert encode_request_line(data)[0] is data
    assert encode_request_line(b"GET /a?x=\xc3\xa9 HTTP/1.1\r\n") == (
        b"GET /a?x=%C3%A9 HTTP/1.1\r\n",
        True,
    )
