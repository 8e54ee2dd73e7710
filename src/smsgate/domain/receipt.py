"""Parsing of SMSC delivery receipts (SMPP 3.4 Appendix B) and message-id matching.

The receipt text looks like
`id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD
err:E text:...` but SMSCs vary: fields go missing or move, keys change case, spacing varies.
`parse_receipt` is therefore tolerant and never raises. Hand-written because the format is
informal (Appendix B is "not standardised") and needs vendor tolerance, not a grammar.

Safety rule: the `text:` field echoes the first characters of the original message, which
the sender controls. Parsing stops at `text:` and the first occurrence of each key wins, so
a message body such as "stat:DELIVRD" cannot overwrite the SMSC's real status.

Nearly every SMSC writes the fields of Appendix B's example, in its order, lower-case and
single-spaced: `_fields` reads that layout with one anchored regex, and anything else (or
anything that regex does not match) with the tolerant scan, which gives the same fields for
it (a test holds the two equal). `parse_receipt`, run on every receipt, takes that regex's
groups without `_fields`' dict (a test holds it equal to the same over `_fields`).

SMSCs report the same message id in hex in one place and decimal in another, with leading
zeros and any case; `normalise_message_id` and `message_id_variants` let the receipt
matcher look an id up in either base.
"""

import re
from datetime import datetime
from enum import StrEnum
from typing import Final

from smsgate.domain.record import record


class ReceiptState(StrEnum):
    """Message state reported by the SMSC; ACCEPTED and ENROUTE are not final."""

    DELIVERED = "delivered"
    UNDELIVERABLE = "undeliverable"
    EXPIRED = "expired"
    REJECTED = "rejected"
    DELETED = "deleted"
    UNKNOWN = "unknown"
    ACCEPTED = "accepted"
    ENROUTE = "enroute"


_STAT: Final = {
    "DELIVRD": ReceiptState.DELIVERED,
    "UNDELIV": ReceiptState.UNDELIVERABLE,
    "EXPIRED": ReceiptState.EXPIRED,
    "REJECTD": ReceiptState.REJECTED,
    "DELETED": ReceiptState.DELETED,
    "UNKNOWN": ReceiptState.UNKNOWN,
    "ACCEPTD": ReceiptState.ACCEPTED,
    "ENROUTE": ReceiptState.ENROUTE,
}
# SMPP 3.4 section 5.2.28 message_state values (the message_state TLV and query_sm_resp).
_MESSAGE_STATE: Final = {
    1: ReceiptState.ENROUTE,
    2: ReceiptState.DELIVERED,
    3: ReceiptState.EXPIRED,
    4: ReceiptState.DELETED,
    5: ReceiptState.UNDELIVERABLE,
    6: ReceiptState.ACCEPTED,
    7: ReceiptState.UNKNOWN,
    8: ReceiptState.REJECTED,
}
_NON_FINAL: Final = frozenset({ReceiptState.ACCEPTED, ReceiptState.ENROUTE})

# A key starts the text or follows whitespace; "submit date" may be spaced or underscored.
_KEY_RE: Final = re.compile(
    r"(?<!\S)(id|sub|dlvrd|submit[\s_]*date|done[\s_]*date|stat|err|text)[ \t]*:",
    re.IGNORECASE,
)
_SPACES_RE: Final = re.compile(r"[\s_]+")
# Appendix B's layout exactly: each value one token (no whitespace, so no key can start inside
# it: a key follows whitespace) and one space before each key, up to `text:`.
_USUAL_RE: Final = re.compile(
    r"id:(\S*) sub:(\S*) dlvrd:(\S*) submit date:(\S*) done date:(\S*) stat:(\S*) err:(\S*) text:"
)
_USUAL_KEYS: Final = ("id", "sub", "dlvrd", "submit date", "done date", "stat", "err")
# The usual spellings of the keys, lower-cased and single-spaced without a regex per key.
_KEYS: Final = {
    spelling: key
    for key in ("id", "sub", "dlvrd", "submit date", "done date", "stat", "err", "text")
    for spelling in (key, key.upper(), key.title(), key.replace(" ", "_"))
}
_DIGITS: Final = frozenset("0123456789")
_HEX_DIGITS: Final = frozenset("0123456789abcdef")
_MAX_ID_LEN: Final = 64  # SMPP message_id is a C-Octet String of at most 65 octets (with NUL)


@record  # one per receipt: see domain/record.py
class Receipt:
    """The fields of a delivery receipt the gateway uses; None when missing or unparsable."""

    message_id: str | None  # raw (stripped); match it with `message_id_variants`
    state: ReceiptState
    error: str | None  # raw `err:` value, stripped ("000", "0x0B", ...)
    submit_date: datetime | None  # naive; SMSC local time as sent
    done_date: datetime | None
    done_date_text: str | None = None  # `done date:` as sent, parsed or not (for the history)


def state_from_stat(stat: str) -> ReceiptState:
    """Map a receipt `stat:` word (any case); anything unrecognised is UNKNOWN."""
    return _STAT.get(stat.strip().upper(), ReceiptState.UNKNOWN)


def state_from_message_state(value: int) -> ReceiptState:
    """Map an SMPP message_state integer; anything out of range is UNKNOWN."""
    return _MESSAGE_STATE.get(value, ReceiptState.UNKNOWN)


def is_final(state: ReceiptState) -> bool:
    """True unless the SMSC may still report progress (ACCEPTED, ENROUTE)."""
    return state not in _NON_FINAL


def _parse_date(value: str | None) -> datetime | None:
    """YYMMDDhhmm or YYMMDDhhmmss (years 2000-2099); None if anything is off."""
    if value is None or len(value) not in (10, 12) or not _DIGITS.issuperset(value):
        return None
    second = int(value[10:12]) if len(value) == 12 else 0
    try:
        return datetime(
            2000 + int(value[0:2]),
            int(value[2:4]),
            int(value[4:6]),
            int(value[6:8]),
            int(value[8:10]),
            second,
        )
    except ValueError:
        return None


def _fields(text: str) -> dict[str, str]:
    """Key (lower-case, single-spaced) -> first whitespace-delimited token of its value."""
    usual = _USUAL_RE.match(text)
    if usual is not None:
        return dict(zip(_USUAL_KEYS, usual.groups(), strict=True))
    return _scan_fields(text)


def _scan_fields(text: str) -> dict[str, str]:
    """`_fields` for any layout: every key where it is, the first of each kept."""
    fields: dict[str, str] = {}
    matches = list(_KEY_RE.finditer(text))
    for i, match in enumerate(matches):
        raw = match.group(1)
        key = _KEYS.get(raw) or _SPACES_RE.sub(" ", raw.lower())
        if key == "text":
            break  # the rest is the sender's message: never parse keys out of it
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        tokens = text[match.end() : end].split(maxsplit=1)
        fields.setdefault(key, tokens[0] if tokens else "")
    return fields


def parse_receipt(text: str, *, dates: bool = True) -> Receipt:
    """Parse a delivery-receipt short_message; never raises. With `dates=False` the dates are
    left None (the gateway stores none, and parsing them is a sixth of the work)."""
    # `_fields` without its dict for the usual layout (one receipt per message sent): the
    # regex's groups are the fields, in `_USUAL_KEYS` order.
    usual = _USUAL_RE.match(text)
    if usual is not None:
        message_id, _, _, submit_date, done_date, stat, err = usual.groups()
    else:
        fields = _scan_fields(text)
        message_id = fields.get("id")
        submit_date = fields.get("submit date")
        done_date = fields.get("done date")
        stat = fields.get("stat", "")
        err = fields.get("err")
    return Receipt(
        message_id=message_id or None,
        state=state_from_stat(stat),
        error=err or None,
        submit_date=_parse_date(submit_date) if dates else None,
        done_date=_parse_date(done_date) if dates else None,
        done_date_text=done_date or None,
    )


def normalise_message_id(mid: str) -> str:
    """Canonical id: stripped, lower-case, no leading zeros ("" or all zeros -> "0").

    Zeros and whitespace are taken off the front until neither is left, so that the result is
    its own canonical form ("0\r0" -> "0", not "\r0")."""
    canonical = mid.strip().lower()
    trimmed = canonical.lstrip("0").lstrip()
    while trimmed != canonical:
        canonical, trimmed = trimmed, trimmed.lstrip("0").lstrip()
    return canonical or "0"


def message_id_variants(mid: str) -> tuple[str, ...]:
    """The canonical id plus its reading in the other base, without duplicates.

    If the canonical id is all decimal digits, its value in hex is added; if it is valid hex,
    its value in decimal is added. Ids longer than an SMPP message_id get no variants.
    """
    canonical = normalise_message_id(mid)
    variants = [canonical]
    if len(canonical) <= _MAX_ID_LEN:
        if _DIGITS.issuperset(canonical):
            variants.append(format(int(canonical), "x"))
        if _HEX_DIGITS.issuperset(canonical):
            variants.append(str(int(canonical, 16)))
    return tuple(dict.fromkeys(variants))
