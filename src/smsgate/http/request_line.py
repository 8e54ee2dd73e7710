"""Raw UTF-8 in a request target, percent-encoded before the HTTP parser sees it.

RFC 3986 wants every byte over 0x7F in a URI percent-encoded, but real clients (scripts that
paste text into a URL, some HTTP libraries) send UTF-8 raw. httptools' llhttp is compiled in
strict mode and refuses such a request line ("Invalid char in url query"), with no leniency
flag for it at run time; h11 refuses it too. So the protocol runs the request line through
`encode_request_line` first: `%C3%BC` and a raw `ü` then mean the same to api_web's form
decoding, which decodes percent-escapes as UTF-8. Written by hand: no parser offers it.

The fast path is two C calls on a chunk of ASCII (`isascii`, `find`); only a request line that
has such bytes is rewritten.
"""

import re

_HIGH = re.compile(rb"[\x80-\xff]")


def _escape(match: re.Match[bytes]) -> bytes:
    return b"%%%02X" % match[0][0]


def encode_request_line(data: bytes) -> tuple[bytes, bool]:
    """`data` starts with (the rest of) a request line: return it with the line's bytes over
    0x7F percent-encoded, and whether the line ends in `data`. Bytes after the line (headers,
    a body) are left as they are."""
    end = data.find(b"\n")
    if data.isascii():
        return data, end >= 0
    if end < 0:
        return _HIGH.sub(_escape, data), False
    line = data[:end]
    if line.isascii():
        return data, True
    return _HIGH.sub(_escape, line) + data[end:], True
