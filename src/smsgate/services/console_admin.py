"""Realms, sender codes and API key rotation from the console, for operators only.

Thin: the rules are the realm, sender code and API key services' (services/realms.py,
services/senders.py, services/api_keys.py); this adds who may do it. A realm user gets
`NotFound` for every one of these, exactly like a page that does not exist.

A sender code changed here is dropped from this process's sender cache at once (`changed`);
other processes see it when their cache entry expires (store/directory.py, 5 s).

Rotating a key makes the new key first, then revokes the old one: if the revoke fails, the
client still has a working key (the old one) and the operator sees the new one once.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from smsgate.domain.api_key import ApiKey
from smsgate.domain.console import Viewer
from smsgate.domain.model import SenderCode
from smsgate.services.api_keys import CreatedKey
from smsgate.services.errors import InvalidInput, NotFound
from smsgate.services.realms import PasswordSet


class RealmAdmin(Protocol):
    async def add(self, name: str, password: str | None = None) -> PasswordSet: ...
    async def set_password(self, name: str, password: str | None = None) -> PasswordSet: ...


class SenderAdmin(Protocol):
    async def of_realm(self, realm: str, code: str) -> SenderCode: ...  # InvalidInput

    async def add(
        self,
        realm: str,
        code: str,
        *,
        connection: str | None = None,
        max_tps: float | None = None,
        replies: dict[str, str | None] | None = None,
    ) -> str: ...

    async def update(
        self,
        realm: str,
        code: str,
        *,
        connection: str | None = None,
        max_tps: float | None = None,
        replies: dict[str, str | None] | None = None,
    ) -> str: ...

    async def remove(self, realm: str, code: str) -> str: ...


class KeyAdmin(Protocol):
    async def create(self, realm: str, name: str = "") -> CreatedKey: ...
    async def revoke(self, realm: str, key_id: str) -> None: ...
    async def list(self, realm: str) -> list[ApiKey]: ...


@dataclass(frozen=True, slots=True)
class SenderFields:
    """A sender code's settings as a form gives them (None: not given)."""

    connection: str | None = None
    max_tps: float | None = None
    replies: dict[str, str | None] | None = None


def _operator(viewer: Viewer) -> None:
    if not viewer.is_operator:
        raise NotFound("not found")


class ConsoleAdmin:
    def __init__(
        self,
        realms: RealmAdmin,
        senders: SenderAdmin,
        keys: KeyAdmin,
        *,
        changed: Callable[[], None] = lambda: None,
    ) -> None:
        self._realms = realms
        self._senders = senders
        self._keys = keys
        self._changed = changed

    async def create_realm(self, viewer: Viewer, name: str, password: str | None) -> PasswordSet:
        """A new realm (AlreadyExists, InvalidInput); no password: one generated, shown once."""
        _operator(viewer)
        return await self._realms.add(name, password)

    async def set_password(self, viewer: Viewer, realm: str, password: str | None) -> PasswordSet:
        _operator(viewer)
        return await self._realms.set_password(realm, password)

    async def sender(self, viewer: Viewer, realm: str, code: str) -> SenderCode:
        """`realm`'s code `code`; NotFound for no such realm or code (or a realm user)."""
        _operator(viewer)
        try:
            return await self._senders.of_realm(realm, code)
        except InvalidInput as exc:
            raise NotFound(str(exc)) from None

    async def add_sender(self, viewer: Viewer, realm: str, code: str, fields: SenderFields) -> str:
        _operator(viewer)
        if fields.max_tps is not None and fields.max_tps <= 0:
            raise InvalidInput("the max per second must be more than 0")
        stored = await self._senders.add(
            realm,
            code,
            connection=fields.connection,
            max_tps=fields.max_tps,
            replies=fields.replies,
        )
        self._changed()
        return stored

    async def change_sender(
        self, viewer: Viewer, realm: str, code: str, fields: SenderFields
    ) -> str:
        _operator(viewer)
        if fields.max_tps is not None and fields.max_tps <= 0:
            raise InvalidInput("the max per second must be more than 0")
        stored = await self._senders.update(
            realm,
            code,
            connection=fields.connection,
            max_tps=fields.max_tps,
            replies=fields.replies,
        )
        self._changed()
        return stored

    async def remove_sender(self, viewer: Viewer, realm: str, code: str) -> str:
        _operator(viewer)
        stored = await self._senders.remove(realm, code)
        self._changed()
        return stored

    async def active_key(self, viewer: Viewer, realm: str, key_id: str) -> ApiKey:
        """`realm`'s key `key_id` if it is not revoked, else NotFound."""
        _operator(viewer)
        key_id = key_id.strip()
        for key in await self._keys.list(realm):
            if key.id == key_id and key.revoked_at is None:
                return key
        raise NotFound(f"API key {key_id} not found in realm {realm}")

    async def rotate_key(self, viewer: Viewer, realm: str, key_id: str) -> CreatedKey:
        """A new key for `realm`, named like the old one, then the old one revoked. NotFound
        (and nothing made) if `key_id` is not an active key of `realm`."""
        old = await self.active_key(viewer, realm, key_id)
        created = await self._keys.create(realm, old.name)
        await self._keys.revoke(realm, old.id)
        return created
