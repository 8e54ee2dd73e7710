"""API keys of the JSON API: the SQL behind `services.api_keys` (rules in domain/api_key.py)."""

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from smsgate.domain.api_key import ApiKey
from smsgate.store import schema as s
from smsgate.store.database import Database
from smsgate.store.errors import AlreadyExists

_t = s.api_keys


def _key(row: Row[tuple[object, ...]]) -> ApiKey:
    m = row._mapping
    return ApiKey(
        id=m["id"],
        realm_id=m["realm_id"],
        name=m["name"],
        key_hash=m["key_hash"],
        prefix=m["prefix"],
        created_at=m["created_at"],
        revoked_at=m["revoked_at"],
        last_used_at=m["last_used_at"],
    )


class ApiKeyStore:
    """Inserts, finds, lists and revokes API keys."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def insert(self, key: ApiKey) -> None:
        """Store a new key; AlreadyExists if its id is taken (the caller draws another)."""
        try:
            async with self._db.write_engine.begin() as conn:
                await conn.execute(
                    insert(_t).values(
                        id=key.id,
                        realm_id=key.realm_id,
                        name=key.name,
                        key_hash=key.key_hash,
                        prefix=key.prefix,
                        created_at=key.created_at,
                    )
                )
        except IntegrityError:
            raise AlreadyExists(f"API key id {key.id} is taken") from None

    async def get(self, key_id: str) -> tuple[ApiKey, str] | None:
        """The key with this id and its realm's name, revoked or not."""
        query = (
            select(_t, s.realms.c.name.label("realm"))
            .join(s.realms, s.realms.c.id == _t.c.realm_id)
            .where(_t.c.id == key_id)
        )
        async with self._db.reader.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else (_key(row), row.realm)

    async def list(self, realm_id: int) -> list[ApiKey]:
        """The realm's keys, revoked ones included, oldest first."""
        query = select(_t).where(_t.c.realm_id == realm_id).order_by(_t.c.created_at, _t.c.id)
        async with self._db.reader.connect() as conn:
            return [_key(row) for row in await conn.execute(query)]

    async def revoke(self, realm_id: int, key_id: str, now: float) -> bool:
        """Revoke the realm's key (a second revoke keeps the first time); False if the realm
        has no key with this id."""
        mine = (_t.c.id == key_id, _t.c.realm_id == realm_id)
        async with self._db.write_engine.begin() as conn:
            result = await conn.execute(
                update(_t).where(*mine, _t.c.revoked_at.is_(None)).values(revoked_at=now)
            )
            if result.rowcount:
                return True
            return await conn.scalar(select(_t.c.id).where(*mine)) is not None

    async def touch(self, key_id: str, now: float) -> None:
        """Record that the key was used at `now`."""
        async with self._db.write_engine.begin() as conn:
            await conn.execute(update(_t).where(_t.c.id == key_id).values(last_used_at=now))
