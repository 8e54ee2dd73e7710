"""Reading messages back: what happened to a realm's messages (CLI, the APIs, the console).

Always within one realm: a message of another realm is not found, exactly like one that does
not exist. A phone filter accepts every spelling of the number (`services.phones`).
"""

from typing import Final, Protocol

from smsgate.domain.model import Message, Status
from smsgate.services.errors import InvalidInput, NotFound
from smsgate.services.phones import parse_phone

MAX_LIST_LIMIT: Final = 100_000  # one listing; more is an export, not a query


class MessageStore(Protocol):
    """Stored messages (store/messages.py), always scoped to one realm."""

    async def list(
        self, realm_id: int, *, phone: str | None = None, status: str | None = None, limit: int = 50
    ) -> list[Message]: ...  # newest first
    async def get(self, realm_id: int, message_id: str) -> Message | None: ...


class RealmIds(Protocol):
    async def realm_id(self, name: str) -> int: ...  # NotFound if there is no such realm


class Messages:
    """The message queries; see the module docstring."""

    def __init__(self, store: MessageStore, realms: RealmIds, *, default_region: str) -> None:
        self._store = store
        self._realms = realms
        self._region = default_region

    async def list(
        self,
        realm: str,
        *,
        phone: str | None = None,
        status: str | None = None,
        limit: int = 50,
    ) -> list[Message]:
        """`realm`'s messages, newest first, optionally only to `phone` or in `status`."""
        if status is not None and status not in Status.__members__.values():
            known = ", ".join(s.value for s in Status)
            raise InvalidInput(f"unknown status {status}; one of {known}")
        if not 1 <= limit <= MAX_LIST_LIMIT:
            raise InvalidInput(f"the limit must be 1 to {MAX_LIST_LIMIT}")
        realm_id = await self._realms.realm_id(realm)
        wanted = parse_phone(phone, self._region) if phone is not None else None
        return await self._store.list(realm_id, phone=wanted, status=status, limit=limit)

    async def get(self, realm: str, message_id: str) -> Message:
        """One of `realm`'s messages; NotFound if it has none with that id."""
        found = await self._store.get(await self._realms.realm_id(realm), message_id.strip())
        if found is None:
            raise NotFound(f"message {message_id.strip()} not found in realm {realm}")
        return found
