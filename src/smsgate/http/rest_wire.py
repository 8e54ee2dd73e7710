"""HTTP details of WhatCounts' REST door: Basic credentials, Accept, path segments, JSON replies.

Pure functions over header and path bytes, so the adapter (`http/whatcounts_rest.py`) reads
as the use case and these can be tested on arbitrary input. Written here rather than taken
from Starlette: its `Request` decodes the path before routing, so a message text holding `%2F`
would split into two path segments, and it has no Basic-credentials parser.
"""

import binascii
import json
from base64 import b64decode
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

from smsgate.domain.send import failure

VENDOR_JSON = b"application/vnd.whatcounts-v1+json"
PLAIN_JSON = b"application/json"
_OURS = frozenset({VENDOR_JSON, PLAIN_JSON, b"application/*", b"*/*"})
_FAILURE_PREFIX = "FAILURE: "


@dataclass(frozen=True, slots=True)
class BasicCredentials:
    """A realm and password from `Authorization: Basic`. The password stays out of `repr`."""

    realm: str
    password: str = ""

    def __repr__(self) -> str:
        return f"BasicCredentials(realm={self.realm!r})"


def basic_credentials(headers: Sequence[tuple[bytes, bytes]]) -> BasicCredentials | None:
    """The credentials of the first `Authorization` header if it is `Basic` (any case) with
    base64 of UTF-8 `realm:password` (RFC 7617: the realm ends at the first colon, the
    password may hold more); None when there is none or it is not well formed."""
    value = next((v for name, v in headers if name == b"authorization"), None)
    if value is None:
        return None
    scheme, _, token = value.strip().partition(b" ")
    if scheme.lower() != b"basic":
        return None
    try:
        decoded = b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    realm, colon, password = decoded.partition(":")
    if not colon:
        return None
    return BasicCredentials(realm, password)


def acceptable(headers: Sequence[tuple[bytes, bytes]]) -> bool:
    """Does the client take our JSON? Yes with no `Accept`, or one that names WhatCounts'
    vendor type, `application/json`, `application/*` or `*/*` (with a q-value above 0).
    The reply is `application/json` either way, as WhatCounts' own."""
    values = [value for name, value in headers if name == b"accept"]
    if not values:
        return True
    for value in values:
        for item in value.split(b","):
            media, *params = item.split(b";")
            if media.strip().lower() in _OURS and _quality(params) > 0:
                return True
    return False


def _quality(params: list[bytes]) -> float:
    for param in params:
        key, _, value = param.partition(b"=")
        if key.strip().lower() == b"q":
            try:
                return float(value.strip())
            except ValueError:
                return 1.0  # a malformed q-value: read as the default rather than refuse
    return 1.0


def path_segments(raw_path: bytes, prefix: bytes) -> list[str] | None:
    """The segments of `raw_path` after `prefix`, each decoded as api_web decodes a value
    (`+` and `%20` are spaces, `%XX` is UTF-8; bytes that are not UTF-8 become lone
    surrogates, for `domain.send` to refuse); a trailing slash is ignored. None if the path
    does not start with `prefix`."""
    if not raw_path.startswith(prefix):
        return None
    rest = raw_path[len(prefix) :]
    if rest.endswith(b"/"):
        rest = rest[:-1]
    text = rest.decode("utf-8", "surrogateescape")
    return [unquote(part.replace("+", " "), errors="surrogateescape") for part in text.split("/")]


def error_body(status: int, reason: str, password: str | None = None) -> dict[str, Any]:
    """WhatCounts' error object: the reason as api_web's FAILURE line gives it (one line, no
    `:`, never the password), the HTTP reason phrase and the status code."""
    line = failure(reason, password)
    return {
        "error": line.removeprefix(_FAILURE_PREFIX),
        "status": HTTPStatus(status).phrase,
        "statusCode": status,
    }


def json_bytes(body: object) -> bytes:
    """Compact JSON, UTF-8, non-ASCII characters as they are (a text comes back as sent)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def response_start(
    status: int, length: int, extra: Sequence[tuple[bytes, bytes]] = ()
) -> dict[str, Any]:
    """The `http.response.start` message of a JSON reply of `length` bytes."""
    headers = [
        (b"content-type", PLAIN_JSON),
        (b"content-length", str(length).encode()),
        *extra,
    ]
    return {"type": "http.response.start", "status": status, "headers": headers}
