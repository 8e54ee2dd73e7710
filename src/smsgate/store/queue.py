"""The queue in the `messages` table: claiming queued messages and recovering after a crash.

The store is the source of truth for the queue. A message moves `queued -> sending` when a
dispatcher claims it (in one UPDATE per batch, guarded by `status = 'queued'`, so a message is
never claimed twice), and the opt-out list is read again in that same transaction: a STOP that
arrived after the message was accepted wins, and the message ends `failed` / `opted out`. A
message whose /v1 `validity_seconds` ran out while it was queued ends `expired`, unsent.

Several dispatchers on one PostgreSQL database (docs/adr/0004) claim with
`SELECT ... ORDER BY id LIMIT n FOR UPDATE SKIP LOCKED`: concurrent claims take disjoint
batches without waiting for each other, and a row one of them has locked is skipped, never
claimed twice. Each claim records its node as `owner`, so a dead node's messages can be queued
again (`store.nodes`), and only succeeds while the node is registered in `nodes`. A
dispatcher holding no bind slot of a connection (`Link.held`) leaves that connection's
messages to the dispatchers that do: `unheld` filters them out by the sender code's route.

Every write goes through the transaction runner (`store.transactions`): on SQLite that is the
one write thread, so the claims, the recovery and the releases share its group commit.
"""

import time
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import select

from smsgate.domain import message_events as history
from smsgate.domain.message_events import failed
from smsgate.domain.model import Message, Status
from smsgate.domain.optout import OPTED_OUT_ERROR
from smsgate.store import schema as s
from smsgate.store.database import Database
from smsgate.store.message_events import record_events
from smsgate.store.optouts import blocked_pairs
from smsgate.store.rawsql import Query
from smsgate.store.routing import route_sql
from smsgate.store.transactions import TransactionRunner, Tx
from smsgate.store.webhook_outbox import enqueue_message_status

EXPIRED_ERROR = "validity period ended before it was sent"


class QueueStore:
    """Claims, recovery and the queued-message backlog."""

    def __init__(
        self,
        db: Database,
        writer: TransactionRunner | None = None,
        *,
        owner: str | None = None,
        default_route: str | None = None,
    ) -> None:
        """`owner`: this node's id when several dispatchers share the database (None alone);
        `default_route`: the connection of sender codes without one (for `unheld`)."""
        self._db = db
        self._writer = writer if writer is not None else TransactionRunner(db)
        self.owner = owner
        self._default_route = default_route

    async def queued_ids(self, limit: int) -> list[str]:
        """The oldest queued messages (the polling fallback and the backlog after a restart)."""
        async with self._db.reader.connect() as conn:
            rows = await conn.execute(
                select(s.messages.c.id)
                .where(s.messages.c.status == Status.QUEUED.value)
                .order_by(s.messages.c.id)
                .limit(limit)
            )
            return [row[0] for row in rows]

    async def claim(
        self, ids: Sequence[str], *, unheld: Collection[str] = ()
    ) -> tuple[list[Message], list[str]]:
        """Move `ids` from queued to sending. Returns (claimed, opted_out): messages someone else
        claimed already, or that are no longer queued, are in neither list; neither are those
        routed to a connection in `unheld` (they stay queued)."""
        if not ids:
            return [], []
        return await self._writer.run(
            lambda tx: _claim(
                tx,
                ids,
                time.time(),
                owner=self.owner,
                unheld=unheld,
                default_route=self._default_route,
            )
        )

    async def claim_next(
        self, limit: int, *, unheld: Collection[str] = ()
    ) -> tuple[list[Message], list[str]]:
        """Claim up to `limit` of the oldest queued messages (SKIP LOCKED on PostgreSQL), except
        those routed to a connection in `unheld`. Returns (claimed, opted_out) like `claim`."""
        return await self._writer.run(
            lambda tx: _claim(
                tx,
                None,
                time.time(),
                limit=limit,
                owner=self.owner,
                unheld=unheld,
                default_route=self._default_route,
            )
        )

    async def recover(self) -> int:
        """After a crash: every message left `sending` goes back to `queued` (at-least-once:
        the SMSC may have it already). Returns how many. Only for a single dispatcher; several
        dispatchers reclaim through leases instead."""
        return await self._writer.run(lambda tx: _recover(tx, time.time()))

    async def release(self, ids: Sequence[str]) -> None:
        """Give claimed messages back to the queue (graceful shutdown before they were sent).
        With an owner, only this node's: a message queued again by the reaper may be another
        node's by now."""
        if ids:
            await self._writer.run(lambda tx: _release(tx, ids, self.owner, time.time()))


def _recover(tx: Tx, now: float) -> int:
    q = Query(tx.postgres)
    return tx.execute(
        f"UPDATE messages SET status = {q.param(Status.QUEUED.value)}, "
        f"updated_at = {q.param(now)} WHERE status = {q.param(Status.SENDING.value)}",
        q.params,
    )


def _release(tx: Tx, ids: Sequence[str], owner: str | None, now: float) -> None:
    q = Query(tx.postgres)
    sql = (
        f"UPDATE messages SET status = {q.param(Status.QUEUED.value)}, owner = NULL, "
        f"updated_at = {q.param(now)} WHERE id {q.in_(ids)} "
        f"AND status = {q.param(Status.SENDING.value)}"
    )
    if owner is not None:
        sql += f" AND owner = {q.param(owner)}"
    tx.execute(sql, q.params)


def _claim_statement(
    q: Query,
    ids: Sequence[str] | None,
    now: float,
    *,
    limit: int | None,
    owner: str | None,
    unheld: Collection[str],
    default_route: str | None,
) -> str:
    """The UPDATE that moves the chosen queued rows to sending (see the module docstring)."""
    queued = Status.QUEUED.value
    sets = (
        f"status = {q.param(Status.SENDING.value)}, attempts = attempts + 1, "
        f"updated_at = {q.param(now)}"
    )
    if owner is not None:
        sets += f", owner = {q.param(owner)}, claimed_at = {q.param(now)}"
    if ids is not None and owner is None and not unheld:  # one dispatcher, in-memory hand-off
        return f"UPDATE messages SET {sets} WHERE id {q.in_(ids)} AND status = {q.param(queued)}"
    pick = f"SELECT m.id FROM messages m WHERE m.status = {q.param(queued)}"
    if ids is not None:
        pick += f" AND m.id {q.in_(ids)}"
    if unheld:
        route = route_sql(q, "m.sender_code", default_route)
        if q.postgres:
            pick += f" AND {route} <> ALL({q.param(list(unheld))})"
        else:
            pick += f" AND {route} NOT {q.in_(unheld)}"
    if owner is not None:  # a node declared dead claims nothing until it has registered again
        pick += f" AND EXISTS (SELECT 1 FROM nodes WHERE node_id = {q.param(owner)})"
    pick += f" ORDER BY m.id LIMIT {q.param(limit if limit is not None else len(ids or ()))}"
    if q.postgres:
        # MATERIALIZED: the locking pick runs exactly once, whatever plan the UPDATE gets.
        return (
            f"WITH picked AS MATERIALIZED ({pick} FOR UPDATE SKIP LOCKED) "
            f"UPDATE messages SET {sets} FROM picked WHERE messages.id = picked.id"
        )
    return f"UPDATE messages SET {sets} WHERE id IN ({pick})"


def _claim(
    tx: Tx,
    ids: Sequence[str] | None,
    now: float,
    *,
    limit: int | None = None,
    owner: str | None = None,
    unheld: Collection[str] = (),
    default_route: str | None = None,
) -> tuple[list[Message], list[str]]:
    """The claim transaction: queued -> sending, opt-outs read again, done parts looked up.
    `ids`: those messages (hand-off); None: the oldest `limit` queued ones."""
    q = Query(tx.postgres)
    statement = _claim_statement(
        q, ids, now, limit=limit, owner=owner, unheld=unheld, default_route=default_route
    )
    rows = tx.fetch(
        f"{statement} RETURNING messages.id, messages.realm_id, messages.sender_code, "
        "messages.phone, messages.text, messages.encoding, messages.parts, messages.kind, "
        "messages.created_at, messages.validity_seconds",
        q.params,
    )
    if not rows:
        return [], []
    blocked = blocked_pairs(tx, ((r[1], r[2], r[3]) for r in rows if r[7] == "api"))
    opted_out = [r[0] for r in rows if r[7] == "api" and (r[1], r[2], r[3]) in blocked]
    if opted_out:
        q = Query(tx.postgres)
        tx.execute(
            f"UPDATE messages SET status = {q.param(Status.FAILED.value)}, "
            f"error = {q.param(OPTED_OUT_ERROR)}, updated_at = {q.param(now)} "
            f"WHERE id {q.in_(opted_out)}",
            q.params,
        )
        record_events(tx, [failed(message_id, now, OPTED_OUT_ERROR) for message_id in opted_out])
        enqueue_message_status(tx, set(opted_out), now)  # webhooks, in this transaction
    multipart = [r[0] for r in rows if r[6] > 1]
    done: dict[str, set[int]] = {}
    if multipart:
        q = Query(tx.postgres)
        for message_id, part_no in tx.fetch(
            f"SELECT message_id, part_no FROM message_parts WHERE message_id {q.in_(multipart)} "
            "AND smsc_message_id IS NOT NULL",
            q.params,
        ):
            done.setdefault(message_id, set()).add(part_no)
    refused = set(opted_out) | _expire(tx, rows, set(opted_out), now)
    return [
        Message(
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            r[6],
            created_at=r[8],
            kind=r[7],
            status=Status.SENDING.value,
            done_parts=frozenset(done.get(r[0], ())),
            validity_seconds=r[9],
        )
        for r in sorted(rows)
        if r[0] not in refused
    ], opted_out


def _expire(tx: Tx, rows: list[tuple[Any, ...]], skip: set[str], now: float) -> set[str]:
    """Claimed messages whose `validity_seconds` (/v1) ran out while they were queued: they end
    `expired`, with their `expired` event, and are not sent. Returns their ids."""
    expired = [r[0] for r in rows if r[9] and r[0] not in skip and r[8] + r[9] <= now]
    if expired:
        q = Query(tx.postgres)
        tx.execute(
            f"UPDATE messages SET status = {q.param(Status.EXPIRED.value)}, "
            f"error = {q.param(EXPIRED_ERROR)}, updated_at = {q.param(now)} "
            f"WHERE id {q.in_(expired)}",
            q.params,
        )
        record_events(
            tx, [history.expired(message_id, now, EXPIRED_ERROR) for message_id in expired]
        )
    return set(expired)
