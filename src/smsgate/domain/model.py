"""The gateway's core records and their states, as plain frozen dataclasses."""

from dataclasses import dataclass
from enum import StrEnum


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


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A validated send request, ready to be committed to the queue."""

    id: str
    realm_id: int
    sender_code: str
    phone: str  # normalised
    text: str
    encoding: str  # domain.encoding.Encoding value
    parts: int
    created_at: float  # epoch seconds
    kind: str = "api"  # "api" | "reply" (a STOP/START/HELP confirmation)


@dataclass(frozen=True, slots=True)
class Message:
    """A stored outbound message as read back from the store."""

    id: str
    realm_id: int
    sender_code: str
    phone: str
    text: str
    encoding: str
    parts: int
    status: str
    error: str | None
    created_at: float
    updated_at: float


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


@dataclass(frozen=True, slots=True)
class Realm:
    """A customer account."""

    id: int
    name: str
    created_at: float


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
