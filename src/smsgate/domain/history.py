"""What a listing of a realm's messages may ask for: the filters of `GET /v1/messages` and
`GET /v1/inbound`, as the history service hands them to the store."""

from dataclasses import dataclass


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
