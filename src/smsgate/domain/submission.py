"""The rules of a JSON API (/v1) send and the answers it can get, as pure functions.

`/v1` keeps api_web's rules (domain/send.py) for phones, sender codes and text characters, with
two differences: a text may be up to MAX_V1_MESSAGE_CHARS long (sent as concatenated parts),
and every refusal has a stable machine `code` (`Refusal`) that clients can branch on, where
api_web has one FAILURE line for people.

`request_hash` is what an `Idempotency-Key` is bound to: the SHA-256 of the request's fields
after parsing (so a retry that re-serialises the same JSON differently is the same request).
"""

import hashlib
import json
from dataclasses import dataclass

from smsgate.constants import (
    MAX_CLIENT_REF_CHARS,
    MAX_IDEMPOTENCY_KEY_CHARS,
    MAX_V1_MESSAGE_CHARS,
    MAX_VALIDITY_SECONDS,
    MIN_VALIDITY_SECONDS,
)
from smsgate.domain.encoding import segment
from smsgate.domain.phone import phone_error
from smsgate.domain.send import text_error

# The stable codes of refusals (RFC 9457 `code` members of /v1 problems).
INVALID_PHONE = "invalid_phone"
UNKNOWN_SENDER_CODE = "unknown_sender_code"
TEXT_EMPTY = "text_empty"
TEXT_INVALID = "text_invalid"
TEXT_TOO_LONG = "text_too_long"
INVALID_CLIENT_REF = "invalid_client_ref"
INVALID_VALIDITY = "invalid_validity"
INVALID_IDEMPOTENCY_KEY = "invalid_idempotency_key"
OPTED_OUT = "opted_out"
IDEMPOTENCY_CONFLICT = "idempotency_conflict"
UNAUTHORISED = "unauthorised"
NOT_FOUND = "not_found"
INVALID_CURSOR = "invalid_cursor"
INVALID_REQUEST = "invalid_request"
UNAVAILABLE = "unavailable"
INVALID_WEBHOOK_URL = "invalid_webhook_url"  # not http(s), no host, too long, ...
WEBHOOK_URL_REFUSED = "webhook_url_refused"  # does not resolve, or to an address we never call
UNKNOWN_EVENT_TYPE = "unknown_event_type"


class Refusal(Exception):
    """A request the gateway will not carry out: a stable `code` and a sentence for people."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class SendRequest:
    """A /v1 send as the client wrote it (before any check)."""

    to: str
    sender_code: str
    text: str
    client_ref: str | None = None
    validity_seconds: int | None = None


def phone_refusal(raw: str) -> Refusal | None:
    """None if `raw` is a phone we accept ("+" in front allowed), else the refusal."""
    reason = phone_error(raw.strip().removeprefix("+"))
    return Refusal(INVALID_PHONE, reason) if reason is not None else None


def check_send(request: SendRequest) -> Refusal | None:
    """The first rule `request` breaks that needs no store, or None."""
    refusal = phone_refusal(request.to)
    if refusal is not None:
        return refusal
    if not request.sender_code.strip():
        return Refusal(UNKNOWN_SENDER_CODE, "Sender code (from) is required")
    text = request.text
    if not text.strip():
        return Refusal(TEXT_EMPTY, "Message text cannot be empty")
    reason = text_error(text)
    if reason is not None:
        return Refusal(TEXT_INVALID, reason)
    if len(text) > MAX_V1_MESSAGE_CHARS:
        return Refusal(
            TEXT_TOO_LONG, f"Message text cannot be more than {MAX_V1_MESSAGE_CHARS} characters"
        )
    try:
        segment(text)
    except ValueError as exc:  # more parts than a concatenation header can count
        return Refusal(TEXT_TOO_LONG, str(exc))
    ref = request.client_ref
    if ref is not None and (len(ref) > MAX_CLIENT_REF_CHARS or not ref.isprintable()):
        return Refusal(
            INVALID_CLIENT_REF,
            f"client_ref must be printable and at most {MAX_CLIENT_REF_CHARS} characters",
        )
    validity = request.validity_seconds
    if validity is not None and not MIN_VALIDITY_SECONDS <= validity <= MAX_VALIDITY_SECONDS:
        return Refusal(
            INVALID_VALIDITY,
            f"validity_seconds must be from {MIN_VALIDITY_SECONDS} to {MAX_VALIDITY_SECONDS}",
        )
    return None


def unknown_sender(code: str) -> Refusal:
    """The same answer for a code of another realm as for one that does not exist."""
    return Refusal(UNKNOWN_SENDER_CODE, f"Sender code {code.strip()} not found in realm")


def opted_out(phone: str, sender_code: str) -> Refusal:
    return Refusal(OPTED_OUT, f"Phone {phone} has opted out of sender code {sender_code}")


def idempotency_key_refusal(key: str) -> Refusal | None:
    if (
        not key
        or len(key) > MAX_IDEMPOTENCY_KEY_CHARS
        or not key.isascii()
        or not key.isprintable()
    ):
        return Refusal(
            INVALID_IDEMPOTENCY_KEY,
            f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_CHARS} printable ASCII characters",
        )
    return None


def request_hash(request: SendRequest) -> str:
    """The hex SHA-256 of `request`'s fields (see the module docstring)."""
    fields = [
        request.to,
        request.sender_code,
        request.text,
        request.client_ref,
        request.validity_seconds,
    ]
    canonical = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()
