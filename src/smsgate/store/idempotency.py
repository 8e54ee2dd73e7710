"""/v1 `Idempotency-Key`s: claimed in the accept transaction, read back for a retry.

`claim` runs inside the accept transaction of the message the key makes: `INSERT ... ON
CONFLICT DO NOTHING` on the key (realm, key). On PostgreSQL a second transaction inserting the
same key waits for the first one's commit and then inserts nothing, so of any number of
concurrent requests with one key exactly one makes a message; on SQLite the one writer makes
them serial anyway. A key older than IDEMPOTENCY_TTL_SECONDS is deleted when it is claimed
again, and `purge` removes the old ones in bulk.
"""

from sqlalchemy import delete, select

from smsgate.constants import IDEMPOTENCY_TTL_SECONDS
from smsgate.domain.model import IdempotencyClaim, StoredKey
from smsgate.store import schema as s
from smsgate.store.database import Database
from smsgate.store.rawsql import Query
from smsgate.store.transactions import Tx

_t = s.idempotency_keys


def claim(tx: Tx, realm_id: int, key: IdempotencyClaim, message_id: str, now: float) -> bool:
    """Claim `key` for `message_id` in `tx`; False if it is taken (by a committed request, or
    earlier in this transaction)."""
    q = Query(tx.postgres)
    tx.execute(
        f"DELETE FROM idempotency_keys WHERE realm_id = {q.param(realm_id)} "
        f"AND key = {q.param(key.key)} AND created_at < {q.param(now - IDEMPOTENCY_TTL_SECONDS)}",
        q.params,
    )
    q = Query(tx.postgres)
    inserted = tx.execute(
        "INSERT INTO idempotency_keys (realm_id, key, request_hash, message_id, created_at) "
        f"VALUES ({q.param(realm_id)}, {q.param(key.key)}, {q.param(key.request_hash)}, "
        f"{q.param(message_id)}, {q.param(now)}) ON CONFLICT (realm_id, key) DO NOTHING",
        q.params,
    )
    return inserted == 1


class IdempotencyStore:
    """Reads claimed keys; removes expired ones."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, realm_id: int, key: str) -> StoredKey | None:
        query = select(_t.c.request_hash, _t.c.message_id, _t.c.created_at).where(
            _t.c.realm_id == realm_id, _t.c.key == key
        )
        async with self._db.reader.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else StoredKey(row[0], row[1], row[2])

    async def purge(self, now: float) -> int:
        """Delete keys older than IDEMPOTENCY_TTL_SECONDS; returns how many."""
        async with self._db.writer.begin() as conn:
            result = await conn.execute(
                delete(_t).where(_t.c.created_at < now - IDEMPOTENCY_TTL_SECONDS)
            )
        return int(result.rowcount or 0)
