"""Webhook endpoints and deliveries for the admin doors (CLI, /v1): the SQL behind
`services.webhooks`. The hot-path SQL (enqueue, claim, record) is in `webhook_outbox.py`."""

import builtins
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Executable,
    Select,
    insert,
    literal_column,
    select,
    union_all,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from smsgate.domain.webhook import (
    Delivery,
    DeliveryStatus,
    Endpoint,
    EndpointState,
    EventType,
    NewEvent,
)
from smsgate.store import schema as s
from smsgate.store import webhook_outbox
from smsgate.store.database import Database
from smsgate.store.transactions import EngineTx, Tx

_ep = s.webhook_endpoints
_ev = s.webhook_events
_d = s.webhook_deliveries
T = TypeVar("T")


def _endpoint(row: Row[Any]) -> Endpoint:
    m = row._mapping
    return Endpoint(
        id=m["id"],
        realm_id=m["realm_id"],
        url=m["url"],
        events=tuple(EventType(e) for e in m["events"].split(",") if e),
        secret=m["secret"],
        state=EndpointState(m["state"]),
        created_at=m["created_at"],
        failing_since=m["failing_since"],
    )


def _delivery(row: Row[Any]) -> Delivery:
    m = row._mapping
    return Delivery(
        id=m["id"],
        event_id=m["event_id"],
        event_type=m["type"],
        endpoint_id=m["endpoint_id"],
        status=DeliveryStatus(m["status"]),
        attempts=m["attempts"],
        created_at=m["created_at"],
        next_attempt_at=m["next_attempt_at"],
        last_attempt_at=m["last_attempt_at"],
        last_status=m["last_status"],
        last_error=m["last_error"],
        delivered_at=m["delivered_at"],
    )


# A delivery from a row of `webhook_deliveries` with its event's `type` (the console's queries,
# store/console_webhooks.py, read deliveries too).
delivery_of = _delivery

# A page of a realm's deliveries, newest first below a cursor, is read per endpoint (`id <
# cursor ORDER BY id DESC LIMIT n` on (endpoint_id, id): a realm's endpoints are few) and
# merged. "Failed only" is given up, or pending after a failed attempt; it reads the partial
# indexes of `failed` and `pending` rows (migration 0017). Statuses are written into the SQL as
# literals: a bound parameter cannot select a partial index.
_PENDING = _d.c.status == literal_column(f"'{DeliveryStatus.PENDING.value}'")
_FAILED = _d.c.status == literal_column(f"'{DeliveryStatus.FAILED.value}'")
_ALL: list[list[ColumnElement[bool]]] = [[]]
_FAILED_ONLY: list[list[ColumnElement[bool]]] = [[_FAILED], [_PENDING, _d.c.attempts > 0]]
UNION_TERMS = 200  # subqueries per statement (SQLite allows 500 in one compound SELECT)


def _newest(
    endpoint_id: str, where: list[ColumnElement[bool]], before: int | None, limit: int
) -> Select[tuple[int]]:
    query = select(_d.c.id).where(_d.c.endpoint_id == endpoint_id, *where)
    if before is not None:
        query = query.where(_d.c.id < before)
    page = query.order_by(_d.c.id.desc()).limit(limit).subquery()
    return select(page.c.id)  # a subquery: SQLite allows no LIMIT on a compound's own terms


async def newest_deliveries(
    conn: AsyncConnection,
    endpoint_ids: builtins.list[str],
    *,
    failed_only: bool,
    before: int | None,
    limit: int,
) -> builtins.list[Row[Any]]:
    """The newest `limit` deliveries of these endpoints with ids below `before`, newest first:
    rows of `webhook_deliveries` with their event's `type` (see the comment above)."""
    filters = _FAILED_ONLY if failed_only else _ALL
    terms = [_newest(ep, where, before, limit) for ep in endpoint_ids for where in filters]
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
    return builtins.list(rows)


class WebhookStore:
    """Endpoints (add, list, remove), deliveries (list, replay) and events written by the
    admin doors (a test event; opt-outs changed through the CLI or /v1)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def in_transaction(self, fn: Callable[[Tx], T]) -> T:
        """Run `fn` over one write transaction (for `webhook_outbox` functions)."""
        async with self._db.write_engine.begin() as conn:
            return await conn.run_sync(lambda sync: fn(EngineTx(sync)))

    async def add(self, endpoint: Endpoint) -> None:
        async with self._db.write_engine.begin() as conn:
            await conn.execute(
                insert(_ep).values(
                    id=endpoint.id,
                    realm_id=endpoint.realm_id,
                    url=endpoint.url,
                    events=",".join(e.value for e in endpoint.events),
                    secret=endpoint.secret,
                    state=endpoint.state.value,
                    created_at=endpoint.created_at,
                )
            )

    async def list(self, realm_id: int) -> list[Endpoint]:
        """The realm's endpoints that are not removed, oldest first."""
        query = (
            select(_ep)
            .where(_ep.c.realm_id == realm_id, _ep.c.state != EndpointState.REMOVED.value)
            .order_by(_ep.c.created_at, _ep.c.id)
        )
        async with self._db.reader.connect() as conn:
            return [_endpoint(row) for row in await conn.execute(query)]

    async def get(self, realm_id: int, endpoint_id: str) -> Endpoint | None:
        query = select(_ep).where(
            _ep.c.id == endpoint_id,
            _ep.c.realm_id == realm_id,
            _ep.c.state != EndpointState.REMOVED.value,
        )
        async with self._db.reader.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _endpoint(row)

    async def remove(self, realm_id: int, endpoint_id: str, now: float) -> bool:
        """Remove the realm's endpoint and cancel its pending deliveries; False if the realm
        has no such endpoint."""
        async with self._db.write_engine.begin() as conn:
            result = await conn.execute(
                update(_ep)
                .where(
                    _ep.c.id == endpoint_id,
                    _ep.c.realm_id == realm_id,
                    _ep.c.state != EndpointState.REMOVED.value,
                )
                .values(state=EndpointState.REMOVED.value, removed_at=now)
            )
            if not result.rowcount:
                return False
            await conn.execute(
                update(_d)
                .where(_d.c.endpoint_id == endpoint_id, _d.c.status == DeliveryStatus.PENDING)
                .values(status=DeliveryStatus.CANCELLED.value, next_attempt_at=None)
            )
        return True

    async def deliveries(
        self,
        realm_id: int,
        *,
        failed_only: bool = False,
        limit: int = 100,
        before: int | None = None,
    ) -> builtins.list[Delivery]:
        """The realm's latest deliveries, newest first (`failed_only`: given up, or pending
        after a failed attempt); with `before`, only those with a smaller id (the next page
        after the one that ended with `before`)."""
        async with self._db.reader.connect() as conn:
            endpoints = await conn.scalars(select(_ep.c.id).where(_ep.c.realm_id == realm_id))
            rows = await newest_deliveries(
                conn, builtins.list(endpoints), failed_only=failed_only, before=before, limit=limit
            )
        return [_delivery(row) for row in rows]

    async def delivery(self, realm_id: int, delivery_id: int) -> Delivery | None:
        """The realm's delivery `delivery_id` (None: no such delivery in that realm)."""
        query = (
            select(_d, _ev.c.type)
            .join(_ev, _ev.c.id == _d.c.event_id)
            .where(_d.c.id == delivery_id, _ev.c.realm_id == realm_id)
        )
        async with self._db.reader.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _delivery(row)

    async def delivery_realm(self, delivery_id: int) -> int | None:
        """The realm of a delivery's event (None: no such delivery)."""
        query = (
            select(_ev.c.realm_id).join(_d, _d.c.event_id == _ev.c.id).where(_d.c.id == delivery_id)
        )
        async with self._db.reader.connect() as conn:
            return await conn.scalar(query)

    async def replay(self, delivery_id: int, now: float) -> int | None:
        """A new delivery of the same event to the same (live) endpoint, due now; None if the
        delivery does not exist or its endpoint was removed."""

        def run(conn: Connection) -> int | None:
            row = conn.execute(
                select(_d.c.event_id, _d.c.endpoint_id)
                .join(_ep, _ep.c.id == _d.c.endpoint_id)
                .where(_d.c.id == delivery_id, _ep.c.state != EndpointState.REMOVED.value)
            ).first()
            if row is None:
                return None
            result = conn.execute(
                insert(_d).values(
                    event_id=row.event_id,
                    endpoint_id=row.endpoint_id,
                    status=DeliveryStatus.PENDING.value,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
            pk = result.inserted_primary_key
            assert pk is not None
            return int(pk[0])

        async with self._db.write_engine.begin() as conn:
            return await conn.run_sync(run)

    async def enqueue(
        self, events: builtins.list[NewEvent], now: float, *, endpoint_id: str | None = None
    ) -> int:
        """Write events (and their deliveries) in a transaction of their own."""
        return await self.in_transaction(
            lambda tx: webhook_outbox.enqueue(tx, events, now, endpoint_id=endpoint_id)
        )
