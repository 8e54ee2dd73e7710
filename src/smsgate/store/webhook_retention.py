"""Webhook events and their deliveries kept for WEBHOOK_RETENTION_SECONDS, then deleted.

Every event a realm's endpoints subscribe to leaves a row in `webhook_events` and one per
endpoint in `webhook_deliveries`, with its attempts: on a busy gateway, millions a month. They
are what `deliveries` lists and `replay` sends again, for a while; after the retention an
event is deleted with its deliveries once none of them is pending or younger than that (a
replay made lately keeps the event it replays).

`prune` works through the events oldest first, `limit` at a time, from a cursor (event ids are
"evt_" + a ULID, so their order is their age): each call is one short transaction, which on
SQLite shares the write thread's rounds with the delivery path and must not hold them long.
It looks at no more rows than it deletes or steps over, through the primary key and the
deliveries' `event_id` index: no index on `created_at` is needed.
"""

from smsgate.domain.webhook import DeliveryStatus
from smsgate.store.rawsql import Query
from smsgate.store.transactions import Tx

_PENDING = DeliveryStatus.PENDING.value


def prune(tx: Tx, before: float, after: str, limit: int) -> tuple[int, str | None]:
    """Delete the events older than `before` among the `limit` next ones after the id `after`
    ("" from the start) whose deliveries are all finished and older than `before`, with those
    deliveries. Returns (events deleted, the cursor for the next call: None once the events
    looked at reach `before` or run out)."""
    q = Query(tx.postgres)
    rows = tx.fetch(
        f"SELECT id, created_at FROM webhook_events WHERE id > {q.param(after)} "
        f"ORDER BY id LIMIT {int(limit)}",
        q.params,
    )
    old = [event_id for event_id, created_at in rows if created_at < before]
    done = len(rows) < limit or len(old) < len(rows)  # the end, or events as young as `before`
    if not old:
        return 0, None
    q = Query(tx.postgres)
    kept = {
        r[0]
        for r in tx.fetch(
            f"SELECT DISTINCT event_id FROM webhook_deliveries WHERE event_id {q.in_(old)} "
            f"AND (status = {q.param(_PENDING)} OR created_at >= {q.param(before)})",
            q.params,
        )
    }
    gone = [event_id for event_id in old if event_id not in kept]
    if gone:
        q = Query(tx.postgres)
        tx.execute(f"DELETE FROM webhook_deliveries WHERE event_id {q.in_(gone)}", q.params)
        q = Query(tx.postgres)
        tx.execute(f"DELETE FROM webhook_events WHERE id {q.in_(gone)}", q.params)
    return len(gone), None if done else old[-1]
