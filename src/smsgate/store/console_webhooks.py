"""The console's webhook queries: the backlog count, and pages of a realm's deliveries.

**The webhook backlog** is every delivery still to make: status `pending` (domain/webhook.py
`DeliveryStatus`), whether not attempted yet or waiting for its retry after failed attempts
("retrying"). Delivered, failed (given up after the retry window) and cancelled (the endpoint
was removed) deliveries are done and not in it. It is counted from partial indexes of the
`pending` rows alone, so the count costs the backlog's size, never the outbox's (which keeps
every delivery ever made): every realm's through `ix_webhook_deliveries_due`, some realms'
through `ix_webhook_deliveries_pending` (endpoint_id, id), one range per endpoint of theirs
(migration 0017). `smsgate status` (store/stats.py) counts it with the same query.

**A realm's deliveries** are those of its endpoints (an endpoint is sent its own realm's
events only). A page, newest first below a cursor, is read per endpoint (`id < cursor ORDER BY
id DESC LIMIT n` on (endpoint_id, id): the realm's endpoints are few) and merged; "failed
only" (given up, or pending after a failed attempt, as `smsgate webhook deliveries --failed`)
reads the partial indexes of `failed` and `pending` rows. Statuses are written into the SQL as
literals: a bound parameter cannot select a partial index.
"""

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Executable, Select, func, literal_column, select, union_all

from smsgate.domain.console import DeliveryRow
from smsgate.domain.webhook import DeliveryStatus, EndpointState
from smsgate.store import schema as s
from smsgate.store.database import Database
from smsgate.store.webhooks import delivery_of

_d = s.webhook_deliveries
_ev = s.webhook_events
_ep = s.webhook_endpoints
_PENDING = _d.c.status == literal_column(f"'{DeliveryStatus.PENDING.value}'")
_FAILED = _d.c.status == literal_column(f"'{DeliveryStatus.FAILED.value}'")
# The rows of a page, per endpoint: all of them, or the failed and the retrying ones.
_ALL: list[list[ColumnElement[bool]]] = [[]]
_FAILED_ONLY: list[list[ColumnElement[bool]]] = [[_FAILED], [_PENDING, _d.c.attempts > 0]]
UNION_TERMS = 200  # subqueries per statement (SQLite allows 500 in one compound SELECT)


def backlog_count(realm_ids: Sequence[int] | None = None) -> Select[int]:
    """The query counting the backlog (see the module docstring) of these realms, or of every
    realm (None)."""
    query = select(func.count()).select_from(_d).where(_PENDING)
    if realm_ids is not None:
        theirs = select(_ep.c.id).where(_ep.c.realm_id.in_(list(realm_ids)))
        query = query.where(_d.c.endpoint_id.in_(theirs))
    return query


def _newest(
    endpoint_id: str, where: list[ColumnElement[bool]], before: int | None, limit: int
) -> Select[int]:
    query = select(_d.c.id).where(_d.c.endpoint_id == endpoint_id, *where)
    if before is not None:
        query = query.where(_d.c.id < before)
    page = query.order_by(_d.c.id.desc()).limit(limit).subquery()
    return select(page.c.id)  # a subquery: SQLite allows no LIMIT on a compound's own terms


class ConsoleWebhookQueries:
    """Read-only queries over the webhook tables."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def backlog(self, realm_ids: Sequence[int] | None) -> int:
        async with self._db.reader.connect() as conn:
            return int(await conn.scalar(backlog_count(realm_ids)) or 0)

    async def deliveries(
        self, realm_id: int, *, failed_only: bool, before: int | None, limit: int
    ) -> list[DeliveryRow]:
        """The realm's deliveries newest first, ids below `before` (see the module docstring)."""
        async with self._db.reader.connect() as conn:
            endpoints = {
                row.id: row
                for row in await conn.execute(
                    select(_ep.c.id, _ep.c.url, _ep.c.state).where(_ep.c.realm_id == realm_id)
                )
            }
            filters = _FAILED_ONLY if failed_only else _ALL
            terms = [_newest(ep, where, before, limit) for ep in endpoints for where in filters]
            ids: set[int] = set()
            for start in range(0, len(terms), UNION_TERMS):
                chunk = terms[start : start + UNION_TERMS]
                query: Executable = chunk[0] if len(chunk) == 1 else union_all(*chunk)
                ids.update(int(i) for i in await conn.scalars(query))
            newest = sorted(ids, reverse=True)[:limit]
            if not newest:
                return []
            rows = await conn.execute(
                select(_d, _ev.c.type)
                .join(_ev, _ev.c.id == _d.c.event_id)
                .where(_d.c.id.in_(newest))
                .order_by(_d.c.id.desc())
            )
            return [
                DeliveryRow(
                    delivery_of(row),
                    realm_id,
                    endpoints[row.endpoint_id].url,
                    endpoints[row.endpoint_id].state != EndpointState.REMOVED.value,
                )
                for row in rows
            ]

    async def delivery(self, delivery_id: int) -> DeliveryRow | None:
        """One delivery with its endpoint's realm and URL (None: there is no such delivery)."""
        query = (
            select(_d, _ev.c.type, _ep.c.realm_id, _ep.c.url, _ep.c.state)
            .join(_ev, _ev.c.id == _d.c.event_id)
            .join(_ep, _ep.c.id == _d.c.endpoint_id)
            .where(_d.c.id == delivery_id)
        )
        async with self._db.reader.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        live = row.state != EndpointState.REMOVED.value
        return DeliveryRow(delivery_of(row), row.realm_id, row.url, live)
