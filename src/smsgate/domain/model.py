"""The gateway's core records and their states, as plain frozen dataclasses (`Message`: a
`record`, frozen to mypy, see domain/record.py)."""

from dataclasses import dataclass, field
from enum import Enum, StrEnum

from smsgate.domain.record import record


class Status(StrEnum):
    """Lifecycle of an outbound message.

    queued -> sending -> sent -> delivered | undeliverable | expired | rejected | deleted | unknown
    Any state before `sent` may end `failed` (permanent SMPP error, or opted out meanwhile).
    """

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERABLE = "undeliverable"
    EXPIRED = "expired"
    REJECTED = "rejected"
    DELETED = "deleted"
    UNKNOWN = "unknown"
    FAILED = "failed"


FINAL_STATUSES = frozenset(
    {
        Status.DELIVERED,
        Status.UNDELIVERABLE,
        Status.EXPIRED,
        Status.REJECTED,
        Status.DELETED,
        Status.UNKNOWN,
        Status.FAILED,
    }
)


class Outcome(Enum):
    """What the commit of an accepted message decided: stored, or refused as opted out, or
    (/v1) not stored because its Idempotency-Key had made a message already."""

    ACCEPTED = "accepted"
    OPTED_OUT = "opted_out"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class IdempotencyClaim:
    """A request's `Idempotency-Key` and the hash of its body (domain/submission.py)."""

    key: str
    request_hash: str


@dataclass(frozen=True, slots=True)
class StoredKey:
    """A claimed Idempotency-Key: the hash of the request that claimed it, the message it made."""

    request_hash: str
    message_id: str
    created_at: float


@record  # made for every accepted request: see domain/record.py
class Message:
    """An outbound message: a validated request on its way to the queue (status `queued`,
    the defaults), a message claimed for sending (with `done_parts`), or one read back."""

    id: str
    realm_id: int
    sender_code: str
    phone: str  # normalised
    text: str
    encoding: str  # domain.encoding.Encoding value
    parts: int
    created_at: float  # epoch seconds
    kind: str = "api"  # "api" | "reply" (a STOP/START/HELP confirmation)
    status: str = Status.QUEUED.value
    error: str | None = None
    updated_at: float | None = None  # None: not stored yet
    done_parts: frozenset[int] = frozenset()  # parts the SMSC accepted already (after a crash)
    client_ref: str | None = None  # the client's own reference (/v1), returned as given
    validity_seconds: int | None = None  # how long the SMSC may keep trying (/v1)
    # /v1 `Idempotency-Key`: claimed in the accept transaction, so one key makes one message
    idempotency: IdempotencyClaim | None = None


@dataclass(frozen=True, slots=True)
class SenderCode:
    """A short code or long number owned by one realm, routed to one SMPP connection."""

    realm_id: int
    code: str
    connection: str | None  # None: the default connection
    max_tps: float | None  # None: no per-sender limit
    stop_reply: str | None = None
    start_reply: str | None = None
    help_reply: str | None = None
    # the row's id (WhatCounts' `smsSenderId`); None when not read from the store. Not part of
    # equality: a code is the same code whichever row it was read from.
    id: int | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Realm:
    """A customer account."""

    id: int
    name: str
    created_at: float


@dataclass(frozen=True, slots=True)
class RealmCredential:
    """What the authenticator needs to know about a realm. The hash stays out of `repr`."""

    realm_id: int
    name: str
    password_hash: str = field(repr=False)
    version: int


@dataclass(frozen=True, slots=True)
class OptOut:
    """An opt-out of one phone from one sender code, or from the whole realm (sender_code '')."""

    realm_id: int
    sender_code: str  # "" means every sender code of the realm
    phone: str
    source: str
    created_at: float


# Which final part state a multipart message reports when its parts disagree: the worst wins.
_SEVERITY = (
    Status.REJECTED,
    Status.UNDELIVERABLE,
    Status.EXPIRED,
    Status.DELETED,
    Status.UNKNOWN,
)
_RECEIPT_FINAL = frozenset({*_SEVERITY, Status.DELIVERED})


def rollup(part_states: list[str], total_parts: int) -> Status:
    """A multipart message's status from its parts' receipt states.

    `sent` until every part has a final receipt; then `delivered` if all were delivered, else
    the most severe final state among the parts.
    """
    finals = [Status(state) for state in part_states if state in _RECEIPT_FINAL]
    if len(finals) < total_parts:
        return Status.SENT
    for severe in _SEVERITY:
        if severe in finals:
            return severe
    return Status.DELIVERED


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A message a phone sent to one of a realm's sender codes (MO), as stored."""

    id: int
    realm_id: int
    sender_code: str  # the short code or number it was sent to
    phone: str  # who sent it (normalised)
    text: str
    keyword: str  # domain.keywords.Keyword value: "stop", "start", "help" or ""
    received_at: float  # epoch seconds
