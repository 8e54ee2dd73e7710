"""The opt-out list and its append-only audit ledger.

Phones arrive here already normalised (`domain.phone.normalise_phone`); sender code "" means the
opt-out covers every sender code of the realm. Every change writes a ledger row in the same
transaction, so the list and its history cannot disagree.
"""

import time
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from smsgate.constants import SQLITE_INSERT_CHUNK_ROWS
from smsgate.domain.model import OptOut
from smsgate.domain.optout import REALM_WIDE, is_blocked
from smsgate.domain.webhook import EventType
from smsgate.store import schema as s
from smsgate.store.database import Database
from smsgate.store.rawsql import Query, row_placeholders
from smsgate.store.transactions import EngineTx, Tx
from smsgate.store.webhook_outbox import enqueue_optout_changes, subscribed_realms


def blocked_pairs(tx: Tx, wanted: Iterable[tuple[int, str, str]]) -> set[tuple[int, str, str]]:
    """Which (realm_id, sender_code, phone) triples are opted out, read inside `tx` so the
    answer is as fresh as the commit that uses it."""
    wanted = set(wanted)
    if not wanted:
        return set()
    q = Query(tx.postgres)
    realms = q.in_({realm_id for realm_id, _, _ in wanted})
    phones = q.in_({phone for _, _, phone in wanted})
    rows = tx.fetch(
        "SELECT realm_id, phone, sender_code FROM opt_outs "
        f"WHERE realm_id {realms} AND phone {phones}",
        q.params,
    )
    scopes: dict[tuple[int, str], set[str]] = {}
    for realm_id, phone, code in rows:
        scopes.setdefault((realm_id, phone), set()).add(code)
    return {
        (realm_id, code, phone)
        for realm_id, code, phone in wanted
        if is_blocked(code, scopes.get((realm_id, phone), ()))
    }


class OptOutStore:
    """Adds, removes and lists opt-outs, keeping the ledger."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self,
        realm_id: int,
        phone: str,
        sender_code: str = REALM_WIDE,
        *,
        source: str,
        inbound_id: int | None = None,
        conn: AsyncConnection | None = None,
    ) -> bool:
        """Opt `phone` out; False if it already was (the ledger still records the request)."""
        if conn is None:
            async with self._db.write_engine.begin() as own:
                return await self.add(
                    realm_id, phone, sender_code, source=source, inbound_id=inbound_id, conn=own
                )
        now = time.time()
        await self._ledger(conn, realm_id, phone, sender_code, "out", source, inbound_id, now)
        try:
            async with conn.begin_nested():
                await conn.execute(
                    insert(s.opt_outs).values(
                        realm_id=realm_id,
                        phone=phone,
                        sender_code=sender_code,
                        source=source,
                        created_at=now,
                    )
                )
        except IntegrityError:
            return False
        await _changed(conn, realm_id, [(phone, sender_code)], source, "out", now)
        return True

    @staticmethod
    async def add_many(
        conn: AsyncConnection, realm_id: int, rows: Sequence[tuple[str, str]], *, source: str
    ) -> int:
        """Opt each (phone, sender_code) out inside `conn`'s transaction; how many were not
        opted out already. Every row is written to the ledger. Plain SQL, a few statements per
        call: SQLAlchemy's per-row parameter handling took most of a million-row import."""
        if not rows:
            return 0
        values = [(realm_id, phone, code, source, time.time()) for phone, code in rows]
        return await conn.run_sync(lambda sync: _add_many(EngineTx(sync), values))

    async def import_chunks(
        self, realm_id: int, chunks: Iterable[Sequence[tuple[str, str]]], *, source: str
    ) -> int:
        """`add_many` for every chunk, all in one transaction (if taking the next chunk
        raises, nothing is kept); how many opt-outs were new."""
        added = 0
        async with self._db.write_engine.begin() as conn:
            for chunk in chunks:
                added += await self.add_many(conn, realm_id, chunk, source=source)
        return added

    async def remove(
        self,
        realm_id: int,
        phone: str,
        sender_code: str = REALM_WIDE,
        *,
        source: str,
        inbound_id: int | None = None,
        conn: AsyncConnection | None = None,
    ) -> bool:
        """Opt `phone` back in for exactly that scope; False if there was nothing to remove."""
        if conn is None:
            async with self._db.write_engine.begin() as own:
                return await self.remove(
                    realm_id, phone, sender_code, source=source, inbound_id=inbound_id, conn=own
                )
        result = await conn.execute(
            delete(s.opt_outs).where(
                s.opt_outs.c.realm_id == realm_id,
                s.opt_outs.c.phone == phone,
                s.opt_outs.c.sender_code == sender_code,
            )
        )
        if result.rowcount:
            now = time.time()
            await self._ledger(conn, realm_id, phone, sender_code, "in", source, inbound_id, now)
            await _changed(conn, realm_id, [(phone, sender_code)], source, "in", now)
        return bool(result.rowcount)

    async def list(self, realm_id: int) -> list[OptOut]:
        async with self._db.reader.connect() as conn:
            rows = await conn.execute(
                select(s.opt_outs)
                .where(s.opt_outs.c.realm_id == realm_id)
                .order_by(s.opt_outs.c.phone, s.opt_outs.c.sender_code)
            )
            return [
                OptOut(
                    realm_id=r.realm_id,
                    sender_code=r.sender_code,
                    phone=r.phone,
                    source=r.source,
                    created_at=r.created_at,
                )
                for r in rows
            ]

    async def is_opted_out(self, realm_id: int, sender_code: str, phone: str) -> bool:
        async with self._db.reader.connect() as conn:
            scopes = await conn.scalars(
                select(s.opt_outs.c.sender_code).where(
                    s.opt_outs.c.realm_id == realm_id, s.opt_outs.c.phone == phone
                )
            )
            return is_blocked(sender_code, set(scopes))

    @staticmethod
    async def _ledger(
        conn: AsyncConnection,
        realm_id: int,
        phone: str,
        sender_code: str,
        action: str,
        source: str,
        inbound_id: int | None,
        now: float,
    ) -> None:
        await conn.execute(
            insert(s.opt_out_events).values(
                realm_id=realm_id,
                phone=phone,
                sender_code=sender_code,
                action=action,
                source=source,
                inbound_id=inbound_id,
                created_at=now,
            )
        )


_OPT_OUT_COLUMNS = "realm_id, phone, sender_code, source, created_at"


async def _changed(
    conn: AsyncConnection,
    realm_id: int,
    pairs: list[tuple[str, str]],
    source: str,
    direction: str,
    now: float,
) -> None:
    """`optout.changed` webhook events, in the transaction of the change."""
    await conn.run_sync(
        lambda sync: enqueue_optout_changes(EngineTx(sync), realm_id, pairs, source, direction, now)
    )


def _new_pairs(tx: Tx, values: list[tuple[int, str, str, str, float]]) -> list[tuple[str, str]]:
    """Of these rows, the (phone, sender code) pairs not opted out yet (read before the insert,
    only when the realm has a webhook for opt-outs: an import may be a million rows)."""
    realm_id = values[0][0]
    if realm_id not in subscribed_realms(tx, EventType.OPTOUT_CHANGED):
        return []
    q = Query(tx.postgres)
    existing = set(
        tx.fetch(
            f"SELECT phone, sender_code FROM opt_outs WHERE realm_id = {q.param(realm_id)} "
            f"AND phone {q.in_({row[1] for row in values})}",
            q.params,
        )
    )
    return [(row[1], row[2]) for row in values if (row[1], row[2]) not in existing]


def _add_many(tx: Tx, values: list[tuple[int, str, str, str, float]]) -> int:
    """`OptOutStore.add_many` on one connection: the number of opt-outs inserted."""
    added = 0
    new = _new_pairs(tx, values)
    if tx.postgres:  # one statement over arrays; asyncpg's executemany has no row count
        columns = list(zip(*values, strict=True))
        added = tx.execute(
            f"INSERT INTO opt_outs ({_OPT_OUT_COLUMNS}) "
            "SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::float8[]) "
            "ON CONFLICT DO NOTHING",
            [list(column) for column in columns],
        )
    else:  # multi-row statements, each with its own row count
        for start in range(0, len(values), SQLITE_INSERT_CHUNK_ROWS):
            chunk = values[start : start + SQLITE_INSERT_CHUNK_ROWS]
            rows = ", ".join([row_placeholders(False, 5)] * len(chunk))
            added += tx.execute(
                f"INSERT INTO opt_outs ({_OPT_OUT_COLUMNS}) VALUES {rows} ON CONFLICT DO NOTHING",
                [v for row in chunk for v in row],
            )
    tx.insert_rows(
        "INSERT INTO opt_out_events (realm_id, phone, sender_code, source, created_at, action)",
        [(*row, "out") for row in values],
    )
    if new:
        enqueue_optout_changes(tx, values[0][0], new, values[0][3], "out", values[0][4])
    return added
