"""The console's read model: the SQL behind services/console_views.py.

Every query is indexed, so pages load in milliseconds on millions of messages (bench/console.py
measures them):
- messages are found newest first by primary key (ids are ULIDs, in arrival order), with
  `id < cursor` for the next page; "today" is `id >= ` the first id of the day;
- a phone is found through `(realm_id, phone)`; an operator's search names every realm
  (`realm_id IN (...)`), so the same index serves it and `messages` needs no index of its own
  for the console (each index costs the hot path a B-tree insert per message);
- the statuses still to send use their partial indexes (a status is written into the SQL as a
  literal, from the fixed set of statuses: a bound parameter cannot select a partial index);
- inbound messages and the opt-out ledger are found by time (migration 0012 indexes them).
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Integer, func, literal_column, select

from smsgate.domain.console import BindLease, InboundRow, MessageRow, PartRow
from smsgate.domain.model import Status
from smsgate.store import schema as s
from smsgate.store.database import Database

_m = s.messages
_p = s.message_parts
_in = s.inbound_messages

# the columns of a `MessageRow` (not the dispatcher's, nor /v1's client_ref and validity)
_NOT_SHOWN = ("owner", "claimed_at", "client_ref", "validity_seconds")
_MESSAGE_COLUMNS = [c for c in _m.c if c.name not in _NOT_SHOWN]

# SQLite's planner has no statistics (nobody runs ANALYZE). For a realm's messages newest first
# it walks (realm_id, id) backwards and filters every row of the realm, even when a phone or a
# status still to send has an index that finds the few rows at once. So those queries keep the
# planner off the wrong index, in SQL both databases read alike: `+realm_id` (a unary plus: an
# expression no index serves) lets the partial status index be chosen, and ordering by
# `id || ''` lets (realm_id, phone) be. bench/console.py, 1M messages: a realm user's search by
# phone went from 104 ms to a few, the queue figures from 120 ms each to under 1.
_REALM_NO_INDEX = literal_column("+messages.realm_id", Integer)
_ID_NO_INDEX = _m.c.id.concat("")

# The statuses with a partial index of their own (store/schema.py).
INDEXED_STATUSES = (Status.QUEUED.value, Status.SENDING.value)


def _status_is(status: str) -> ColumnElement[bool]:
    if status not in {st.value for st in Status}:
        raise ValueError(f"unknown status {status!r}")
    return _m.c.status == literal_column(f"'{status}'")  # checked above: no injection


def _scope(
    column: ColumnElement[Any], realm_ids: Sequence[int] | None
) -> list[ColumnElement[bool]]:
    return [] if realm_ids is None else [column.in_(list(realm_ids))]


class ConsoleQueries:
    """Read-only queries; `realm_ids` None means every realm."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def realm_ids(self) -> list[int]:
        async with self._db.reader.connect() as conn:
            return list(await conn.scalars(select(s.realms.c.id).order_by(s.realms.c.id)))

    async def bind_leases(self) -> list[BindLease]:
        """Every SMPP bind slot and its holder (PostgreSQL's scale-out; none on SQLite)."""
        b, n = s.smpp_binds, s.nodes
        query = (
            select(b.c.connection, b.c.slot, b.c.owner, b.c.lease_until, n.c.hostname)
            .select_from(b.outerjoin(n, n.c.node_id == b.c.owner))
            .order_by(b.c.connection, b.c.slot)
        )
        async with self._db.reader.connect() as conn:
            return [BindLease(**r._mapping) for r in await conn.execute(query)]

    async def sender_realm(self, code: str) -> int | None:
        """The realm that owns sender code `code` (as stored), if any."""
        query = select(s.sender_codes.c.realm_id).where(s.sender_codes.c.code == code)
        async with self._db.reader.connect() as conn:
            found = await conn.scalar(query)
        return None if found is None else int(found)

    async def realm_names(self) -> dict[int, str]:
        async with self._db.reader.connect() as conn:
            return {
                r.id: r.name for r in await conn.execute(select(s.realms.c.id, s.realms.c.name))
            }

    async def waiting(self, realm_ids: Sequence[int] | None) -> dict[str, int]:
        """Messages still to send, per status (through the partial indexes)."""
        counts = {}
        async with self._db.reader.connect() as conn:
            for status in INDEXED_STATUSES:
                query = (
                    select(func.count())
                    .select_from(_m)
                    .where(_status_is(status), *_scope(_REALM_NO_INDEX, realm_ids))
                )
                counts[status] = int(await conn.scalar(query) or 0)
        return counts

    async def since(
        self, first_id: str, realm_ids: Sequence[int] | None
    ) -> dict[tuple[int, str], int]:
        """Messages accepted from `first_id` on, per (realm id, status)."""
        query = (
            select(_m.c.realm_id, _m.c.status, func.count())
            .where(_m.c.id >= first_id, *_scope(_m.c.realm_id, realm_ids))
            .group_by(_m.c.realm_id, _m.c.status)
        )
        async with self._db.reader.connect() as conn:
            return {(r, st): int(n) for r, st, n in await conn.execute(query)}

    async def opted_out_since(
        self, epoch: float, realm_ids: Sequence[int] | None
    ) -> dict[int, int]:
        """Opt-outs recorded in the ledger from `epoch` on, per realm id."""
        e = s.opt_out_events
        query = (
            select(e.c.realm_id, func.count())
            .where(e.c.created_at >= epoch, e.c.action == "out", *_scope(e.c.realm_id, realm_ids))
            .group_by(e.c.realm_id)
        )
        async with self._db.reader.connect() as conn:
            return {r: int(n) for r, n in await conn.execute(query)}

    async def stops_since(self, epoch: float, realm_ids: Sequence[int] | None) -> int:
        query = (
            select(func.count())
            .select_from(_in)
            .where(
                _in.c.received_at >= epoch,
                _in.c.keyword == "stop",
                *_scope(_in.c.realm_id, realm_ids),
            )
        )
        async with self._db.reader.connect() as conn:
            return int(await conn.scalar(query) or 0)

    async def messages(
        self,
        realm_ids: Sequence[int],
        *,
        phone: str | None = None,
        status: str | None = None,
        sender_code: str | None = None,
        before: str | None = None,
        since: str | None = None,
        limit: int,
    ) -> list[MessageRow]:
        """Newest first, ids below `before` and from `since` on; `realm_ids` are named (see
        the module docstring)."""
        where: list[ColumnElement[bool]] = []
        by_status = phone is None and status in INDEXED_STATUSES
        realm = _REALM_NO_INDEX if by_status else _m.c.realm_id
        if len(realm_ids) == 1:
            where.append(realm == realm_ids[0])
        elif phone is not None:
            where.append(realm.in_(list(realm_ids)))
        if phone is not None:
            where.append(_m.c.phone == phone)
        if status is not None:
            where.append(_status_is(status))
        if sender_code is not None:
            where.append(_m.c.sender_code == sender_code)
        if before is not None:
            where.append(_m.c.id < before)
        if since is not None:
            where.append(_m.c.id >= since)
        newest = _ID_NO_INDEX.desc() if phone is not None else _m.c.id.desc()
        query = select(*_MESSAGE_COLUMNS).where(*where).order_by(newest).limit(limit)
        async with self._db.reader.connect() as conn:
            return [MessageRow(**r._mapping) for r in await conn.execute(query)]

    async def message(self, message_id: str) -> tuple[MessageRow, list[PartRow]] | None:
        async with self._db.reader.connect() as conn:
            row = (
                await conn.execute(select(*_MESSAGE_COLUMNS).where(_m.c.id == message_id))
            ).first()
            if row is None:
                return None
            parts = await conn.execute(
                select(_p).where(_p.c.message_id == message_id).order_by(_p.c.part_no)
            )
            return MessageRow(**row._mapping), [
                PartRow(
                    part_no=p.part_no,
                    connection=p.connection,
                    smsc_message_id=p.smsc_message_id,
                    status=p.status,
                    error=p.error,
                    updated_at=p.updated_at,
                )
                for p in parts
            ]

    async def inbound(
        self, realm_ids: Sequence[int] | None, *, before: int | None, limit: int
    ) -> list[InboundRow]:
        """The latest inbound messages, newest first, ids below `before`."""
        query = select(_in).where(*_scope(_in.c.realm_id, realm_ids))
        if before is not None:
            query = query.where(_in.c.id < before)
        query = query.order_by(_in.c.id.desc()).limit(limit)
        async with self._db.reader.connect() as conn:
            return [InboundRow(**r._mapping) for r in await conn.execute(query)]
