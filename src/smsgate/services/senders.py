"""Sender codes: give one to a realm, change its routing, rate or keyword replies, take it
away, list them, and find one however it is written.

Codes are stored in one spelling (`domain.sender_code`): a long code as its phone key, so
`2016270155` (or +12016270155) is stored as 12016270155, and found again by any of its
`lookup_spellings`.
"""

from typing import Protocol

from smsgate.constants import CONNECTION_NAME_MAX_CHARS, MAX_MESSAGE_CHARS
from smsgate.domain.model import SenderCode
from smsgate.domain.sender_code import canonical_sender_code, lookup_spellings, sender_code_error
from smsgate.services.errors import InvalidInput

REPLY_FIELDS = ("stop_reply", "start_reply", "help_reply")


class SenderStore(Protocol):
    """Sender codes as stored (store/realms.py)."""

    async def realm_id(self, name: str) -> int: ...  # NotFound if there is no such realm
    async def sender(self, code: str) -> SenderCode | None: ...
    async def list_senders(self, realm: str) -> list[SenderCode]: ...
    async def add_sender(
        self,
        realm: str,
        code: str,
        *,
        connection: str | None = None,
        max_tps: float | None = None,
        replies: dict[str, str] | None = None,
    ) -> None: ...
    async def update_sender(self, realm: str, code: str, changes: dict[str, object]) -> None: ...
    async def remove_sender(self, realm: str, code: str) -> None: ...


def check_replies(replies: dict[str, str | None]) -> dict[str, str]:
    """The keyword replies that are set (`REPLY_FIELDS`), each 1 to MAX_MESSAGE_CHARS long."""
    chosen = {k: v for k, v in replies.items() if v is not None}
    for key, text in chosen.items():
        if key not in REPLY_FIELDS:
            raise InvalidInput(f"unknown reply {key}")
        if not text.strip() or len(text) > MAX_MESSAGE_CHARS:
            raise InvalidInput(
                f"--{key.replace('_', '-')} must be 1 to {MAX_MESSAGE_CHARS} characters"
            )
    return chosen


def check_connection(connection: str | None) -> None:
    """InvalidInput for a connection name the store cannot keep (None: the default)."""
    if connection is None:
        return
    size = len(connection)
    if not connection.strip() or size > CONNECTION_NAME_MAX_CHARS or not connection.isprintable():
        raise InvalidInput(
            f"the connection name must be 1 to {CONNECTION_NAME_MAX_CHARS} printable characters"
        )


class Senders:
    """The sender code use cases over the store; `region` reads national long codes."""

    def __init__(self, store: SenderStore, *, default_region: str) -> None:
        self._store = store
        self._region = default_region

    async def realm_id(self, realm: str) -> int:
        """NotFound if there is no such realm."""
        return await self._store.realm_id(realm)

    async def find(self, code: str) -> SenderCode | None:
        """The sender code stored for `code`, looked up by each of its spellings in turn."""
        for spelling in lookup_spellings(code, self._region):
            found = await self._store.sender(spelling)
            if found is not None:
                return found
        return None

    async def of_realm(self, realm: str, code: str) -> SenderCode:
        """`realm`'s sender code `code`: NotFound for no such realm, InvalidInput if the realm
        has no such code (another realm's code is not told apart from a missing one)."""
        realm_id = await self._store.realm_id(realm)
        found = await self.find(code)
        if found is None or found.realm_id != realm_id:
            raise InvalidInput(f"sender code {code.strip()} not found in realm {realm}")
        return found

    async def add(
        self,
        realm: str,
        code: str,
        *,
        connection: str | None = None,
        max_tps: float | None = None,
        replies: dict[str, str | None] | None = None,
    ) -> str:
        """Give `code` to `realm`; the code as stored. AlreadyExists if any realm has it."""
        reason = sender_code_error(code)
        if reason is not None:
            raise InvalidInput(reason)
        chosen = check_replies(replies or {})
        check_connection(connection)
        stored = canonical_sender_code(code, self._region)
        await self._store.add_sender(
            realm, stored, connection=connection, max_tps=max_tps, replies=chosen
        )
        return stored

    async def update(
        self,
        realm: str,
        code: str,
        *,
        connection: str | None = None,
        max_tps: float | None = None,
        replies: dict[str, str | None] | None = None,
    ) -> str:
        """Change what is given (None: unchanged) of one of `realm`'s codes; the code."""
        changes: dict[str, object] = dict(check_replies(replies or {}))
        check_connection(connection)
        if connection is not None:
            changes["connection"] = connection
        if max_tps is not None:
            changes["max_tps"] = max_tps
        if not changes:
            raise InvalidInput("nothing to change: give at least one option")
        stored = (await self.of_realm(realm, code)).code
        await self._store.update_sender(realm, stored, changes)
        return stored

    async def list(self, realm: str) -> list[SenderCode]:
        return await self._store.list_senders(realm)

    async def remove(self, realm: str, code: str) -> str:
        """Take `code` away from `realm`; the code as it was stored."""
        stored = (await self.of_realm(realm, code)).code
        await self._store.remove_sender(realm, stored)
        return stored
