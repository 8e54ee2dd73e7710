"""What a listing of a realm's messages may ask for: the filters of `GET /v1/messages` and
`GET /v1/inbound`, as the history service hands them to the store; and which ids, typed by a
client into a URL or a cursor, can name a row at all (anything else never reaches a query: a
NUL, which PostgreSQL refuses in text, or a number past a 32-bit column's range)."""

import re
from dataclasses import dataclass
from typing import Final

MAX_SERIAL_ID: Final = 2**31 - 1  # the integer keys (inbound messages, webhook deliveries)
MESSAGE_ID_CHARS: Final = 26  # a ULID (ids.py)
_SERIAL = re.compile(r"[1-9][0-9]{0,9}")


def serial_id(text: str) -> int | None:
    """The integer key `text` spells (ASCII digits, no sign or leading zero, in range)."""
    if _SERIAL.fullmatch(text) is None:
        return None
    number = int(text)
    return number if number <= MAX_SERIAL_ID else None


def may_be_serial_id(number: int) -> bool:
    """Whether `number` (from the CLI or a route's int) can be an integer key at all."""
    return 0 < number <= MAX_SERIAL_ID


def may_be_message_id(text: str) -> bool:
    """False for what no message id can be: empty, too long, control characters (NUL)."""
    return 0 < len(text) <= MESSAGE_ID_CHARS and text.isprintable()


@dataclass(frozen=True, slots=True)
class MessageFilter:
    to: str | None = None  # normalised phone
    status: str | None = None
    since: float | None = None  # created_at >= since (epoch seconds)
    until: float | None = None  # created_at < until


@dataclass(frozen=True, slots=True)
class InboundFilter:
    phone: str | None = None  # who sent it (normalised)
    sender_code: str | None = None  # to which of the realm's codes
    since: float | None = None  # received_at >= since
