"""Console accounts: operators and realm users, added, listed and removed (CLI use cases).

Passwords are hashed with argon2id exactly as realm passwords are (auth/passwords.py).
"""

from collections.abc import Callable
from typing import Protocol

from smsgate.auth.passwords import hash_password
from smsgate.domain.console import ConsoleUser, name_error
from smsgate.services.errors import NotFound


class UserStore(Protocol):
    async def add_operator(self, name: str, password_hash: str) -> None: ...
    async def operators(self) -> list[ConsoleUser]: ...
    async def remove_operator(self, name: str) -> None: ...  # NotFound
    async def add_realm_user(self, realm_id: int, name: str, password_hash: str) -> None: ...
    async def realm_users(self, realm_id: int) -> list[ConsoleUser]: ...
    async def remove_realm_user(self, realm_id: int, name: str) -> bool: ...


class RealmIds(Protocol):
    async def realm_id(self, name: str) -> int: ...  # NotFound if there is no such realm


class ConsoleAccounts:
    """Who may log in to the console."""

    def __init__(
        self, users: UserStore, realms: RealmIds, *, hasher: Callable[[str], str] = hash_password
    ) -> None:
        self._users = users
        self._realms = realms
        self._hash = hasher

    async def add_operator(self, name: str, password: str) -> None:
        """A new operator (ValueError for a bad name or an empty password; AlreadyExists)."""
        _check(name, password)
        await self._users.add_operator(name, self._hash(password))

    async def operators(self) -> list[ConsoleUser]:
        return await self._users.operators()

    async def remove_operator(self, name: str) -> None:
        """Remove the operator; their sessions end with them. NotFound if there is none."""
        await self._users.remove_operator(name)

    async def add_realm_user(self, realm: str, name: str, password: str) -> None:
        """A new user of `realm` (NotFound: no such realm; ValueError; AlreadyExists)."""
        _check(name, password)
        realm_id = await self._realms.realm_id(realm)
        await self._users.add_realm_user(realm_id, name, self._hash(password))

    async def realm_users(self, realm: str) -> list[ConsoleUser]:
        return await self._users.realm_users(await self._realms.realm_id(realm))

    async def remove_realm_user(self, realm: str, name: str) -> None:
        realm_id = await self._realms.realm_id(realm)
        if not await self._users.remove_realm_user(realm_id, name):
            raise NotFound(f"user {name} not found in realm {realm}")


def _check(name: str, password: str) -> None:
    reason = name_error(name)
    if reason is not None:
        raise ValueError(reason)
    if not password:
        raise ValueError("the password must not be empty")
