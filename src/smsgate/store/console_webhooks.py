"""The console's webhook queries: the backlog count, and pages of a realm's deliveries.

**The webhook backlog** is every delivery still to make: status `pending` (domain/webhook.py
`DeliveryStatus`), whether not attempted yet or waiting for its retry after failed attempts
("retrying"). Delivered, failed (given up after the retry window) and cancelled (the endpoint
was removed) deliveries are done and not in it. It is counted from partial indexes of the
`pending` rows alone, so the count costs the backlog's size, never the outbox's (which keeps
every delivery ever made): every realm's through `ix_webhook_deliveries_due`, some realms'
through `ix_webhook_deliveries_pending` (endpoint_id, id), one range per endpoint of theirs
(migration 0017). `smsgate status` (store/stats.py) counts it with the same query.

**A realm's deliveries** are paged by `store.webhooks.newest_deliveries`, the same query as
the CLI's and /v1's.
"""

from collections.abc import Sequence

from sqlalchemy import Select, func, literal_column, select

from smsgate.domain.console import DeliveryRow
from smsgate.domain.webhook import DeliveryStatus, EndpointState
from smsgate.store import schema as s
from smsgate.store.database import Database
from smsgate.store.webhooks import delivery_of, newest_deliveries

_d = s.webhook_deliveries
_ev = s.webhook_events
_ep = s.webhook_endpoints
_PENDING = _d.c.status == literal_column(f"'{DeliveryStatus.PENDING.value}'")


def backlog_count(realm_ids: Sequence[int] | None = None) -> Select[int]:
    """The query counting the backlog (see the module docstring) of these realms, or of every
    realm (None)."""
    query = select(func.count()).select_from(_d).where(_PENDING)
    if realm_ids is not None:
        theirs = select(_ep.c.id).where(_ep.c.realm_id.in_(list(realm_ids)))
        query = query.where(_d.c.endpoint_id.in_(theirs))
    return query


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
            rows = await newest_deliveries(
                conn, list(endpoints), failed_only=failed_only, before=before, limit=limit
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
