"""The rules of WhatCounts' `smssendmessagetophone` command, as pure functions.

`parse_args` folds the long and short argument names into one record; `validate` applies the
failure table in its documented order (after realm and password, which need the store); `reply`
formats the single `text/plain` line a client reads. The HTTP adapter only moves bytes in and
out of these functions.

Bytes that are not UTF-8 reach these functions as lone surrogates (U+DC80-U+DCFF, Python's
`surrogateescape`): valid UTF-8 never decodes to a surrogate, so a message text holding one
was not valid UTF-8 and is refused. Other arguments read such bytes as U+FFFD, as before: a
realm, password, phone or sender code with them cannot match anything anyway.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from smsgate.constants import (
    MAX_MESSAGE_CHARS,
    STOP_COMMAND,
    STOP_SUCCESS_REPLY,
    SUCCESS_REPLY,
    SUPPORTED_COMMAND,
)
from smsgate.domain.model import SenderCode
from smsgate.domain.phone import phone_error
from smsgate.domain.record import record

# Every alias a client may use, mapped to the one field it fills.
ALIASES: dict[str, str] = {
    "c": "command",
    "cmd": "command",
    "r": "realm",
    "realm": "realm",
    "p": "password",
    "pwd": "password",
    "phone": "phone",
    "sender_code": "sender_code",
    "message_text": "message_text",
}

REALM_MISSING = "Unable to determine customer account (realm)"
NO_MATCH = "Realm and password do not match"
TEMPORARILY_UNAVAILABLE = "Temporarily unable to accept messages, try again later"
SENDER_REQUIRED = "Sender code is required"
TEXT_EMPTY = "Message text cannot be empty."
TEXT_NOT_UTF8 = "Message text is not valid UTF-8"
TEXT_CONTROL = "Message text contains control characters"  # tab, CR and LF are allowed
TEXT_TOO_LONG = f"Message text cannot be more than {MAX_MESSAGE_CHARS} characters long"
REQUEST_TOO_LARGE = "Request too large"  # over MAX_REQUEST_HEAD_BYTES or MAX_REQUEST_BODY_BYTES
MAX_REASON_CHARS = 120  # a reason repeats client values; keep the line short

_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 and C1 controls but tab, LF and CR; and surrogates: one search for a good text
_BAD_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


@record  # made for every request: see domain/record.py
class SendArgs:
    """The arguments of one request; None where the client did not send the argument."""

    command: str | None = None
    realm: str | None = None
    password: str | None = None
    phone: str | None = None
    sender_code: str | None = None
    message_text: str | None = None


@record
class Valid:
    """A request that passed every check that does not need the store."""

    phone: str  # digits only, not yet normalised
    sender: SenderCode
    text: str


def parse_args(*sources: Iterable[tuple[str, str]]) -> SendArgs:
    """Fold (name, value) pairs into SendArgs. Earlier sources win (pass the POST body before
    the query string); within a source the first occurrence of a field wins, whichever alias
    carried it. Unknown names are ignored."""
    fields: dict[str, str] = {}
    for pairs in sources:
        seen: dict[str, str] = {}
        for name, value in pairs:
            field = ALIASES.get(name.lower())
            if field is not None and field not in seen:
                seen[field] = value
        for field, value in seen.items():
            fields.setdefault(field, value)
    return args_from_fields(fields)


def args_from_fields(fields: dict[str, str]) -> SendArgs:
    """SendArgs from {field: value} (field names as in ALIASES' values; `fields` is reused):
    bytes that were not UTF-8 read as U+FFFD in every argument but the message text."""
    for field, value in fields.items():
        if not value.isascii() and field != "message_text":
            fields[field] = _SURROGATE.sub("\ufffd", value)
    return SendArgs(**fields)


def is_supported(command: str | None) -> bool:
    return command is not None and command.strip().lower() == SUPPORTED_COMMAND


def validate(args: SendArgs, realm_id: int, sender: SenderCode | None) -> Valid | str:
    """Check an authenticated request; return Valid or the FAILURE reason.

    `sender` is the sender code named by the request as found in the store (any realm), or None.
    """
    if not is_supported(args.command):
        return f"Unsupported command {args.command or ''}".rstrip()
    checked = _phone_and_sender(args, realm_id, sender)
    if isinstance(checked, str):
        return checked
    phone, sender = checked
    text = args.message_text
    if text is None or not text.strip():
        return TEXT_EMPTY
    reason = text_error(text)
    if reason is not None:
        return reason
    if len(text) > MAX_MESSAGE_CHARS:
        return TEXT_TOO_LONG
    return Valid(phone=phone, sender=sender, text=text)


def is_stop(command: str | None) -> bool:
    """Is this WhatCounts' `smsstopsubscribersend` (any case, surrounding white space)?"""
    return command is not None and command.strip().lower() == STOP_COMMAND


@dataclass(frozen=True, slots=True)
class ValidStop:
    """An `smsstopsubscribersend` request that passed every check."""

    phone: str  # digits only, not yet normalised
    sender: SenderCode


def validate_stop(args: SendArgs, realm_id: int, sender: SenderCode | None) -> ValidStop | str:
    """Check an authenticated `smsstopsubscribersend`: the phone and sender code rules of
    `validate`, in its order; a message text, if any, is ignored."""
    checked = _phone_and_sender(args, realm_id, sender)
    if isinstance(checked, str):
        return checked
    return ValidStop(*checked)


def _phone_and_sender(
    args: SendArgs, realm_id: int, sender: SenderCode | None
) -> tuple[str, SenderCode] | str:
    reason = phone_error(args.phone)
    if reason is not None:
        return reason
    code = (args.sender_code or "").strip()
    if not code:
        return SENDER_REQUIRED
    if sender is None or sender.realm_id != realm_id:
        return f"Sender code {code} not found in realm"
    assert args.phone is not None  # phone_error() returned None
    return args.phone.strip(), sender


def text_error(text: str) -> str | None:
    """Why `text` cannot be sent whatever its length (not UTF-8, control characters), or None."""
    if not text.isprintable() and _BAD_IN_TEXT.search(text):  # isprintable: the fast path
        return TEXT_NOT_UTF8 if _SURROGATE.search(text) else TEXT_CONTROL
    return None


def opted_out_reason(phone: str, sender_code: str) -> str:
    return f"Phone {phone} has opted out of sender code {sender_code}"


def _one_line(text: str) -> str:
    """Printable characters only, no ':', runs of white space folded to one space."""
    return " ".join("".join(c if c.isprintable() and c != ":" else " " for c in text).split())


def failure(reason: str, password: str | None = None) -> str:
    """The FAILURE line: one line, no ':' after the prefix, never the password.

    The password is removed after cleaning, in its raw and its cleaned spelling, until neither
    is left, so neither cleaning nor removal can put it back together."""
    text = _one_line(reason)
    # Only secrets with a non-space character: each pass then removes at least one such
    # character from the text, so the loop ends.
    secrets = {s for s in (password or "", _one_line(password or "")) if s.strip()}
    while any(s in text for s in secrets):
        for secret in secrets:
            text = _one_line(text.replace(secret, " "))
    return f"FAILURE: {text[:MAX_REASON_CHARS].rstrip()}"


def success() -> str:
    return SUCCESS_REPLY


def stop_success() -> str:
    return STOP_SUCCESS_REPLY
