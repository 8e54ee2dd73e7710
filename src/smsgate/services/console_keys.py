"""API keys from the console: create (the key shown once) and revoke, for a realm the viewer
sees. Rotating a key is creating a new one, moving the client to it, then revoking the old.
The rules are the API key service's (services/api_keys.py); this adds the viewer's scope."""

from typing import Protocol

from smsgate.domain.console import Viewer
from smsgate.services.api_keys import CreatedKey
from smsgate.services.errors import NotFound


class KeyAdmin(Protocol):
    async def create(self, realm: str, name: str = "") -> CreatedKey: ...
    async def revoke(self, realm: str, key_id: str) -> None: ...


class RealmIds(Protocol):
    async def realm_id(self, name: str) -> int: ...  # NotFound


class ConsoleKeys:
    def __init__(self, keys: KeyAdmin, realms: RealmIds) -> None:
        self._keys = keys
        self._realms = realms

    async def _check(self, viewer: Viewer, realm: str) -> None:
        if not viewer.sees(await self._realms.realm_id(realm)):
            raise NotFound(f"realm {realm} not found")

    async def create(self, viewer: Viewer, realm: str, name: str) -> CreatedKey:
        """A new key of `realm` (NotFound; ValueError for a bad name)."""
        await self._check(viewer, realm)
        return await self._keys.create(realm, name)

    async def revoke(self, viewer: Viewer, realm: str, key_id: str) -> None:
        """Revoke `realm`'s key (NotFound for another realm's or no such key)."""
        await self._check(viewer, realm)
        await self._keys.revoke(realm, key_id)
