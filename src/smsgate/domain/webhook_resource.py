"""The webhook resources of the JSON API (`/v1/webhooks`): an endpoint, a delivery, and what
a request may name.

An endpoint's `secret` is part of its resource only in the answer that made it
(`NewEndpointResource`); listing or reading an endpoint never shows it again. Times are RFC 3339
in UTC with milliseconds, as in every /v1 resource (domain/message_resource.py).

Ids come from the URL as the client typed them. Anything that cannot be an endpoint id
(`ep_` + 16 hex digits) or a delivery id (a positive 32-bit integer, the column's type) is no
such endpoint or delivery: it never reaches a query (a NUL, say, which PostgreSQL refuses in
text, or a number past the column's range).
"""

import re

# pydantic reads a TypedDict of `typing` only from Python 3.12 on
from typing_extensions import TypedDict

from smsgate.domain.history import serial_id
from smsgate.domain.message_resource import rfc3339
from smsgate.domain.webhook import ALL_EVENTS, Delivery, Endpoint, EventType, UnknownEventType

_ENDPOINT_ID = re.compile(r"ep_[0-9a-f]{16}")


class EndpointResource(TypedDict):
    id: str
    url: str
    events: list[str]
    state: str  # active | failing (no success for a day; still tried)
    created_at: str
    failing_since: str | None


class NewEndpointResource(EndpointResource):
    secret: str  # whsec_...: shown in this answer only


class DeliveryResource(TypedDict):
    id: int
    event_id: str  # the `webhook-id` header of every attempt
    event_type: str
    endpoint_id: str
    status: str  # pending | delivered | failed | cancelled
    attempts: int  # failed attempts so far
    created_at: str
    next_attempt_at: str | None
    last_attempt_at: str | None
    last_status: int | None  # the HTTP status of the last answer
    last_error: str | None
    delivered_at: str | None


def _time(epoch: float | None) -> str | None:
    return None if epoch is None else rfc3339(epoch)


def endpoint_resource(endpoint: Endpoint) -> EndpointResource:
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "events": [e.value for e in endpoint.events],
        "state": endpoint.state.value,
        "created_at": rfc3339(endpoint.created_at),
        "failing_since": _time(endpoint.failing_since),
    }


def new_endpoint_resource(endpoint: Endpoint) -> NewEndpointResource:
    """The answer to the request that made `endpoint`: its resource and its secret."""
    return {**endpoint_resource(endpoint), "secret": endpoint.secret}


def delivery_resource(delivery: Delivery) -> DeliveryResource:
    return {
        "id": delivery.id,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "endpoint_id": delivery.endpoint_id,
        "status": delivery.status.value,
        "attempts": delivery.attempts,
        "created_at": rfc3339(delivery.created_at),
        "next_attempt_at": _time(delivery.next_attempt_at),
        "last_attempt_at": _time(delivery.last_attempt_at),
        "last_status": delivery.last_status,
        "last_error": delivery.last_error,
        "delivered_at": _time(delivery.delivered_at),
    }


def is_endpoint_id(text: str) -> bool:
    return _ENDPOINT_ID.fullmatch(text) is not None


def parse_delivery_id(text: str) -> int | None:
    """The delivery id `text` spells (ASCII digits, in the column's range), or None."""
    return serial_id(text)


def requested_events(names: list[str] | None) -> tuple[EventType, ...]:
    """The event types a request names, each exactly (None: every type); UnknownEventType
    naming the first that is not one. Duplicates count once."""
    if names is None:
        return ALL_EVENTS
    known = {e.value: e for e in ALL_EVENTS}
    for name in names:
        if name not in known:
            raise UnknownEventType(
                f"unknown event type {name!r} (known: {', '.join(e.value for e in ALL_EVENTS)})"
            )
    return tuple(dict.fromkeys(known[name] for name in names))
