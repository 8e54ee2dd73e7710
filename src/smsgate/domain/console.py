"""Who uses the operator console, what they may see, and the records its pages show.

An operator sees every realm; a realm user sees one (`Viewer.sees`). Whatever a viewer may not
see is "not found", exactly like what does not exist: no hint that it does.
"""

from dataclasses import dataclass

from ulid_transform import bytes_to_ulid

from smsgate.domain.webhook import Delivery, DeliveryStatus

NAME_MAX_CHARS = 64  # the `name` columns of operators and realm_users


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    """An operator (`realm_id` None) or a user of one realm."""

    id: int
    name: str
    realm_id: int | None
    realm: str | None
    created_at: float


@dataclass(frozen=True, slots=True)
class Viewer:
    """The user of a console session, with the session's CSRF token."""

    user: ConsoleUser
    csrf: str

    @property
    def is_operator(self) -> bool:
        return self.user.realm_id is None

    def sees(self, realm_id: int | None) -> bool:
        """Whether this viewer may see a record of `realm_id` (None: of no realm)."""
        return self.is_operator or (realm_id is not None and realm_id == self.user.realm_id)

    @property
    def label(self) -> str:
        return self.user.name if self.is_operator else f"{self.user.name} ({self.user.realm})"


def name_error(name: str) -> str | None:
    """Why `name` cannot be a console user's name, or None if it can."""
    if not name or name != name.strip():
        return "the name must not be empty or have surrounding spaces"
    if len(name) > NAME_MAX_CHARS or not name.isprintable():
        return f"the name must be printable and at most {NAME_MAX_CHARS} characters"
    return None


# --- What the console shows: records read back from the store ---


def first_id_at(epoch: float) -> str:
    """The smallest message id a message made at `epoch` (or later) can have."""
    millis = max(0, int(epoch * 1000))
    return str(bytes_to_ulid(millis.to_bytes(6, "big") + bytes(10)))


@dataclass(frozen=True, slots=True)
class MessageRow:
    id: str
    realm_id: int
    sender_code: str
    phone: str
    text: str
    encoding: str
    parts: int
    status: str
    error: str | None
    attempts: int
    kind: str
    created_at: float
    updated_at: float


@dataclass(frozen=True, slots=True)
class PartRow:
    part_no: int
    connection: str
    smsc_message_id: str | None
    status: str
    error: str | None
    updated_at: float


@dataclass(frozen=True, slots=True)
class InboundRow:
    id: int
    realm_id: int | None
    connection: str
    sender_code: str
    phone: str
    text: str
    keyword: str
    received_at: float


@dataclass(frozen=True, slots=True)
class LedgerEvent:
    realm_id: int
    phone: str
    sender_code: str
    action: str  # "out" | "in"
    source: str
    created_at: float


@dataclass(frozen=True, slots=True)
class BindLease:
    """An SMPP bind slot of a connection and the gateway node holding it (PostgreSQL)."""

    connection: str
    slot: int
    owner: str | None  # a node id, None: free
    hostname: str | None  # the owner's host, None if it is gone
    lease_until: float


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    """A webhook delivery as the console lists it, with its endpoint's realm, URL and whether
    the endpoint is still there (a removed endpoint's deliveries cannot be replayed)."""

    delivery: Delivery
    realm_id: int
    url: str
    endpoint_live: bool

    @property
    def shown_status(self) -> str:
        """`retrying` for a pending delivery whose attempts so far failed, else its status."""
        d = self.delivery
        if d.status is DeliveryStatus.PENDING and d.attempts > 0:
            return "retrying"
        return d.status.value
