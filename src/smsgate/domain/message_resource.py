"""The message resource: how an outbound message and its events look to integrators.

One definition for every door that shows a message (`/v1` responses, webhooks): plain
JSON-ready dicts described by `TypedDict`s, which pydantic (and so FastAPI's OpenAPI document)
reads as they are. Times are RFC 3339 in UTC with milliseconds (`2026-12-05T07:33:05.123Z`).
The receipt `done_date` is the SMSC's own clock, which carries no zone: it is shown as
`YYYY-MM-DDThh:mm:ss` without an offset, or as sent when it is not a date at all.
"""

from datetime import UTC, datetime
from typing import NotRequired

# pydantic reads a TypedDict of `typing` only from Python 3.12 on
from typing_extensions import TypedDict

from smsgate.domain.message_events import MessageEvent
from smsgate.domain.model import InboundMessage, Message, OptOut


class EventResource(TypedDict):
    type: str
    at: str
    part: NotRequired[int]
    smsc_message_id: NotRequired[str]
    smpp_status: NotRequired[int]
    stat: NotRequired[str]
    err: NotRequired[str]
    done_date: NotRequired[str]
    error: NotRequired[str]


# "from" is a Python keyword: the functional form of TypedDict.
MessageResource = TypedDict(
    "MessageResource",
    {
        "id": str,
        "to": str,
        "from": str,
        "text": str,
        "encoding": str,
        "parts": int,
        "status": str,
        "error": str | None,
        "client_ref": str | None,
        "validity_seconds": int | None,
        "created_at": str,
        "updated_at": str,
    },
)


class MessageWithEvents(MessageResource):
    events: list[EventResource]


def rfc3339(epoch_seconds: float) -> str:
    """`2026-12-05T07:33:05.123Z`: UTC, milliseconds."""
    moment = datetime.fromtimestamp(epoch_seconds, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def smsc_date(raw: str) -> str:
    """A receipt date YYMMDDhhmm[ss] as `20YY-MM-DDThh:mm[:ss]`; anything else unchanged."""
    if len(raw) not in (10, 12) or not raw.isdigit() or not raw.isascii():
        return raw
    seconds = raw[10:12] or "00"
    return f"20{raw[0:2]}-{raw[2:4]}-{raw[4:6]}T{raw[6:8]}:{raw[8:10]}:{seconds}"


def message_resource(message: Message) -> MessageResource:
    """The resource of a stored message (or one just accepted: `updated_at` is then its
    `created_at`)."""
    updated = message.updated_at if message.updated_at is not None else message.created_at
    return {
        "id": message.id,
        "to": message.phone,
        "from": message.sender_code,
        "text": message.text,
        "encoding": message.encoding,
        "parts": message.parts,
        "status": message.status,
        "error": message.error,
        "client_ref": message.client_ref,
        "validity_seconds": message.validity_seconds,
        "created_at": rfc3339(message.created_at),
        "updated_at": rfc3339(updated),
    }


def event_resource(event: MessageEvent) -> EventResource:
    """One event, with only the fields its type has."""
    out: EventResource = {"type": event.type.value, "at": rfc3339(event.at)}
    if event.part is not None:
        out["part"] = event.part
    if event.smsc_message_id is not None:
        out["smsc_message_id"] = event.smsc_message_id
    if event.smpp_status is not None:
        out["smpp_status"] = event.smpp_status
    if event.stat is not None:
        out["stat"] = event.stat
    if event.err is not None:
        out["err"] = event.err
    if event.done_date is not None:
        out["done_date"] = smsc_date(event.done_date)
    if event.error is not None:
        out["error"] = event.error
    return out


def message_with_events(message: Message, events: list[MessageEvent]) -> MessageWithEvents:
    """`GET /v1/messages/{id}`: the resource and its events, oldest first."""
    return {**message_resource(message), "events": [event_resource(e) for e in events]}


InboundResource = TypedDict(
    "InboundResource",
    {
        "id": int,
        "from": str,  # the phone that sent it
        "to": str,  # the realm's sender code it was sent to
        "text": str,
        "keyword": str,
        "received_at": str,
    },
)


class OptOutResource(TypedDict):
    phone: str
    sender_code: str | None  # None: every sender code of the realm
    source: str
    created_at: str


def inbound_resource(message: InboundMessage) -> InboundResource:
    return {
        "id": message.id,
        "from": message.phone,
        "to": message.sender_code,
        "text": message.text,
        "keyword": "" if message.keyword == "none" else message.keyword,
        "received_at": rfc3339(message.received_at),
    }


def optout_resource(optout: OptOut) -> OptOutResource:
    return {
        "phone": optout.phone,
        "sender_code": optout.sender_code or None,
        "source": optout.source,
        "created_at": rfc3339(optout.created_at),
    }
