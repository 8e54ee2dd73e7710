"""In-memory fakes of the store ports the services use (services/*.py), for unit tests.

Each keeps what the real store keeps (rows, the opt-out ledger) and applies the same domain
rules, so a service test can assert on the state it left behind. `fail` makes the next write
raise, as a database that cannot commit would.
"""

import time
from collections.abc import Iterable, Sequence

from smsgate.domain.model import Message, OptOut, Realm, SenderCode, Status, StoredKey
from smsgate.domain.optout import REALM_WIDE, is_blocked
from smsgate.store.errors import AlreadyExists, NotFound


class MemoryOptOuts:
    """`services.optouts.OptOutStore`: the list and its ledger."""

    def __init__(self) -> None:
        self.rows: dict[tuple[int, str, str], OptOut] = {}
        self.ledger: list[tuple[int, str, str, str, str]] = []  # realm, phone, code, action, source
        self.fail: Exception | None = None

    def _check(self) -> None:
        if self.fail is not None:
            raise self.fail

    async def add(
        self, realm_id: int, phone: str, sender_code: str = REALM_WIDE, *, source: str
    ) -> bool:
        self._check()
        self.ledger.append((realm_id, phone, sender_code, "out", source))
        key = (realm_id, phone, sender_code)
        if key in self.rows:
            return False
        self.rows[key] = OptOut(realm_id, sender_code, phone, source, time.time())
        return True

    async def remove(
        self, realm_id: int, phone: str, sender_code: str = REALM_WIDE, *, source: str
    ) -> bool:
        self._check()
        if self.rows.pop((realm_id, phone, sender_code), None) is None:
            return False
        self.ledger.append((realm_id, phone, sender_code, "in", source))
        return True

    async def list(self, realm_id: int) -> list[OptOut]:
        return sorted(
            (o for o in self.rows.values() if o.realm_id == realm_id),
            key=lambda o: (o.phone, o.sender_code),
        )

    async def import_chunks(
        self, realm_id: int, chunks: Iterable[Sequence[tuple[str, str]]], *, source: str
    ) -> int:
        """All chunks or none, like the one transaction of the real store."""
        rows, ledger = dict(self.rows), list(self.ledger)
        added = 0
        try:
            for chunk in chunks:
                self._check()
                for phone, code in chunk:
                    added += await self.add(realm_id, phone, code, source=source)
        except BaseException:
            self.rows, self.ledger = rows, ledger
            raise
        return added

    def scopes(self, realm_id: int, phone: str) -> set[str]:
        return {code for (r, p, code) in self.rows if (r, p) == (realm_id, phone)}


class MemoryAccept:
    """`services.group_commit.AcceptStore`: inserts what the opt-outs do not block."""

    def __init__(self, optouts: MemoryOptOuts | None = None) -> None:
        self.optouts = optouts if optouts is not None else MemoryOptOuts()
        self.messages: dict[str, tuple[Message, Status]] = {}
        self.batches: list[list[str]] = []
        self.fail: Exception | None = None
        self.keys: dict[tuple[int, str], StoredKey] = {}  # claimed /v1 Idempotency-Keys

    async def insert(self, batch: list[Message], status: Status) -> tuple[list[Message], set[str]]:
        if self.fail is not None:
            raise self.fail
        self.batches.append([m.id for m in batch])
        refused = {
            m.id
            for m in batch
            if is_blocked(m.sender_code, self.optouts.scopes(m.realm_id, m.phone))
        }
        committed = [m for m in batch if m.id not in refused and self._claim(m)]
        for m in committed:
            self.messages[m.id] = (m, status)
        return committed, refused

    def _claim(self, m: Message) -> bool:
        """Claim `m`'s Idempotency-Key (store/idempotency.py); False if it was taken."""
        if m.idempotency is None:
            return True
        key = (m.realm_id, m.idempotency.key)
        if key in self.keys:
            return False
        self.keys[key] = StoredKey(m.idempotency.request_hash, m.id, m.created_at)
        return True

    async def get_key(self, realm_id: int, key: str) -> StoredKey | None:
        return self.keys.get((realm_id, key))

    async def get_message(self, realm_id: int, message_id: str) -> Message | None:
        found = self.messages.get(message_id)
        return found[0] if found is not None and found[0].realm_id == realm_id else None


class MemoryRealms:
    """`services.senders.SenderStore` and `services.realms.RealmStore`: realms, their password
    hashes and sender codes."""

    def __init__(self) -> None:
        self.realms: dict[str, tuple[Realm, str]] = {}  # name -> (realm, password hash)
        self.senders: dict[str, SenderCode] = {}

    async def add_realm(self, name: str, password_hash: str) -> int:
        if name in self.realms:
            raise AlreadyExists(f"realm {name} already exists")
        realm = Realm(id=len(self.realms) + 1, name=name, created_at=time.time())
        self.realms[name] = (realm, password_hash)
        return realm.id

    async def set_password(self, name: str, password_hash: str) -> None:
        if name not in self.realms:
            raise NotFound(f"realm {name} not found")
        self.realms[name] = (self.realms[name][0], password_hash)

    async def list_realms(self) -> list[Realm]:
        return [realm for realm, _ in sorted(self.realms.values(), key=lambda r: r[0].name)]

    async def realm_id(self, name: str) -> int:
        if name not in self.realms:
            raise NotFound(f"realm {name} not found")
        return self.realms[name][0].id

    async def sender(self, code: str) -> SenderCode | None:
        return self.senders.get(code)

    async def list_senders(self, realm: str) -> list[SenderCode]:
        realm_id = await self.realm_id(realm)
        return sorted(
            (s for s in self.senders.values() if s.realm_id == realm_id), key=lambda s: s.code
        )

    async def add_sender(
        self,
        realm: str,
        code: str,
        *,
        connection: str | None = None,
        max_tps: float | None = None,
        replies: dict[str, str] | None = None,
    ) -> None:
        realm_id = await self.realm_id(realm)
        if code in self.senders:
            raise AlreadyExists(f"sender code {code} is already in use")
        self.senders[code] = SenderCode(realm_id, code, connection, max_tps, **(replies or {}))

    async def update_sender(self, realm: str, code: str, changes: dict[str, object]) -> None:
        realm_id = await self.realm_id(realm)
        found = self.senders.get(code)
        if found is None or found.realm_id != realm_id:
            raise NotFound(f"sender code {code} not found in realm {realm}")
        self.senders[code] = SenderCode(**{**_fields(found), **changes})  # type: ignore[arg-type]

    async def remove_sender(self, realm: str, code: str) -> None:
        realm_id = await self.realm_id(realm)
        found = self.senders.get(code)
        if found is None or found.realm_id != realm_id:
            raise NotFound(f"sender code {code} not found in realm {realm}")
        del self.senders[code]


def _fields(sender: SenderCode) -> dict[str, object]:
    return {name: getattr(sender, name) for name in SenderCode.__slots__}  # type: ignore[attr-defined]
