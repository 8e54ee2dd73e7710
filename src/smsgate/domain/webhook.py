"""Webhook records and event bodies: what an endpoint is, what a delivery is, what is sent.

Every event body is `{"type": ..., "timestamp": <RFC 3339>, "data": {...}}`, serialised once
when the event is written to the outbox and sent byte for byte on every attempt (the signature
covers those bytes). `data` is:

- `message.status`: the message resource (domain/message_resource.py, as `/v1` shows it);
- `message.inbound`: the inbound message, with `keyword` (STOP, START, HELP or none);
- `optout.changed`: `phone`, `sender_code` ("" for realm-wide), `source` (mo, api, cli,
  import) and `direction` ("out": opted out, "in": opted back in).
"""

import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ulid_transform import ulid_now

from smsgate.domain.message_resource import message_resource, rfc3339
from smsgate.domain.model import Message

_MESSAGE_FIELDS = (
    "id",
    "realm_id",
    "sender_code",
    "phone",
    "text",
    "encoding",
    "parts",
    "created_at",
    "status",
    "error",
    "updated_at",
    "client_ref",
    "validity_seconds",
)


class EventType(StrEnum):
    MESSAGE_STATUS = "message.status"
    MESSAGE_INBOUND = "message.inbound"
    OPTOUT_CHANGED = "optout.changed"
    WEBHOOK_TEST = "webhook.test"  # sent by `webhook test` to one endpoint; nobody subscribes


ALL_EVENTS: tuple[EventType, ...] = tuple(e for e in EventType if e is not EventType.WEBHOOK_TEST)


class UnknownEventType(ValueError):
    """An event type that is not one of `ALL_EVENTS`."""


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # due at next_attempt_at
    DELIVERED = "delivered"  # a 2xx answer
    FAILED = "failed"  # no 2xx within the retry window
    CANCELLED = "cancelled"  # its endpoint was removed first


class EndpointState(StrEnum):
    ACTIVE = "active"
    FAILING = "failing"  # no success for a day (still tried)
    REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class Endpoint:
    id: str
    realm_id: int
    url: str
    events: tuple[EventType, ...]
    secret: str = field(repr=False)
    state: EndpointState
    created_at: float
    failing_since: float | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event for one endpoint, as `webhook deliveries` lists it."""

    id: int
    event_id: str
    event_type: str
    endpoint_id: str
    status: DeliveryStatus
    attempts: int
    created_at: float
    next_attempt_at: float | None
    last_attempt_at: float | None
    last_status: int | None
    last_error: str | None
    delivered_at: float | None


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to write to the outbox (for every endpoint of its realm that wants its type)."""

    realm_id: int
    type: EventType
    payload: str  # the JSON body (`event_body`)
    id: str = field(default_factory=lambda: new_event_id())


@dataclass(frozen=True, slots=True)
class DueDelivery:
    """A claimed delivery: everything an attempt needs."""

    id: int
    event_id: str
    payload: str
    url: str
    secret: str = field(repr=False)
    endpoint_id: str
    attempts: int  # failed attempts so far
    created_at: float


@dataclass(frozen=True, slots=True)
class AttemptResult:
    delivery_id: int
    endpoint_id: str
    at: float
    ok: bool  # a 2xx answer
    status_code: int | None  # None: no answer (refused, timeout, connection error)
    error: str | None
    response: str | None  # the start of the answer's body
    next_attempt_at: float | None  # when not ok: the retry, or None (failed for good)


def new_event_id() -> str:
    """`evt_` + a ULID: unique on every node, sorted by time."""
    return f"evt_{ulid_now()}"


def new_endpoint_id() -> str:
    return f"ep_{secrets.token_hex(8)}"


def event_body(event_type: EventType, now: float, data: dict[str, Any]) -> str:
    """The JSON body of an event (compact, keys in a fixed order)."""
    body = {"type": event_type.value, "timestamp": rfc3339(now), "data": data}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def parse_events(text: str | Iterable[str] | None) -> tuple[EventType, ...]:
    """Event types from `a,b,c` (None or empty: all); UnknownEventType naming an unknown one."""
    if text is None:
        return ALL_EVENTS
    items = text.split(",") if isinstance(text, str) else [p for t in text for p in t.split(",")]
    names = [name.strip() for name in items if name.strip()]
    if not names:
        return ALL_EVENTS
    known = {e.value: e for e in ALL_EVENTS}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise UnknownEventType(
            f"unknown event type {unknown[0]!r} (known: {', '.join(e.value for e in ALL_EVENTS)})"
        )
    return tuple(dict.fromkeys(known[name] for name in names))


def message_status_data(row: dict[str, Any]) -> dict[str, Any]:
    """`data` of a `message.status` event: the message resource of the JSON API (one
    definition: domain/message_resource.py), from a `messages` row (a mapping of its columns)."""
    fields = {name: row[name] for name in _MESSAGE_FIELDS if name in row}
    return dict(message_resource(Message(**fields)))


def inbound_data(
    *, inbound_id: int, phone: str, sender_code: str, text: str, keyword: str, received_at: float
) -> dict[str, Any]:
    """`data` of a `message.inbound` event; keyword is "STOP", "START", "HELP" or None."""
    return {
        "id": inbound_id,
        "from": phone,
        "to": sender_code,
        "text": text,
        "keyword": keyword.upper() if keyword and keyword.lower() != "none" else None,
        "received_at": rfc3339(received_at),
    }


def optout_data(*, phone: str, sender_code: str, source: str, direction: str) -> dict[str, Any]:
    """`data` of an `optout.changed` event; direction "out" (opted out) or "in"."""
    return {"phone": phone, "sender_code": sender_code, "source": source, "direction": direction}
