"""Realms (customer accounts): create one, change its password, list them.

A password is hashed here (argon2id, `auth.passwords`) and only the hash reaches the store;
with no password given, one is generated (120 random bits) and returned once for the caller
to show, never stored or logged in clear. A running gateway sees a changed password at the
next request (the store bumps the password version, auth/cache.py).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from smsgate.auth.passwords import generate_password, hash_password
from smsgate.constants import REALM_NAME_MAX_CHARS
from smsgate.domain.model import Realm
from smsgate.services.errors import InvalidInput


class RealmStore(Protocol):
    """Realms as stored (store/realms.py)."""

    async def add_realm(self, name: str, password_hash: str) -> int: ...  # AlreadyExists
    async def set_password(self, name: str, password_hash: str) -> None: ...  # NotFound
    async def list_realms(self) -> list[Realm]: ...
    async def realm_id(self, name: str) -> int: ...  # NotFound


@dataclass(frozen=True, slots=True)
class PasswordSet:
    """A password was set; `generated` is the new password if this service made it up (show
    it once), None if the caller gave it."""

    generated: str | None = field(default=None, repr=False)


class Realms:
    """The realm use cases over the store; see the module docstring."""

    def __init__(
        self,
        store: RealmStore,
        *,
        hasher: Callable[[str], str] = hash_password,
        generate: Callable[[], str] = generate_password,
    ) -> None:
        self._store = store
        self._hash = hasher
        self._generate = generate

    async def add(self, name: str, password: str | None = None) -> PasswordSet:
        """Create realm `name` (AlreadyExists if there is one)."""
        if not name.strip() or name != name.strip():
            raise InvalidInput("the realm name must not be empty or have surrounding spaces")
        if len(name) > REALM_NAME_MAX_CHARS or not name.isprintable():
            raise InvalidInput(
                f"the realm name must be printable and at most {REALM_NAME_MAX_CHARS} characters"
            )
        secret, result = self._password(password)
        await self._store.add_realm(name, self._hash(secret))
        return result

    async def set_password(self, name: str, password: str | None = None) -> PasswordSet:
        """Give realm `name` a new password (NotFound if there is no such realm)."""
        secret, result = self._password(password)
        await self._store.set_password(name, self._hash(secret))
        return result

    async def list(self) -> list[Realm]:
        """Every realm, by name."""
        return await self._store.list_realms()

    async def realm_id(self, name: str) -> int:
        return await self._store.realm_id(name)

    def _password(self, password: str | None) -> tuple[str, PasswordSet]:
        if password is None:
            generated = self._generate()
            return generated, PasswordSet(generated)
        if not password:
            raise InvalidInput("the password must not be empty")
        return password, PasswordSet()
