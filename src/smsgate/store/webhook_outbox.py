"""The webhook outbox in SQL: events written inside the caller's transaction, deliveries claimed
and their attempts recorded (plain SQL over `transactions.Tx`, so the same functions run in the
SQLite writer thread's batch, on PostgreSQL, and on any SQLAlchemy connection via `EngineTx`).

- `enqueue` writes events with one delivery row per endpoint of the event's realm that wants
  its type (none: nothing is written), in the transaction of the change that caused them, so a
  crash keeps both or neither. Endpoints of another realm are never looked at.
- `claim_due` takes due deliveries and moves them a lease ahead: on PostgreSQL with `FOR UPDATE
  SKIP LOCKED`, so each is claimed by one node; on SQLite one process sends. A node that dies
  mid-attempt leaves its claims due again when the lease ends (at-least-once).
- `record` stores attempts' results; retry times and the "failing" rule are the caller's
  (domain/webhook_retry.py), worked out in Python.
"""

from collections import defaultdict
from typing import Any

from smsgate.domain.webhook import (
    AttemptResult,
    DeliveryStatus,
    DueDelivery,
    EndpointState,
    EventType,
    NewEvent,
    event_body,
    message_status_data,
    optout_data,
)
from smsgate.store.rawsql import Query, positional
from smsgate.store.transactions import TransactionRunner, Tx
from smsgate.store.webhook_retention import prune

_LIVE = f"state != '{EndpointState.REMOVED.value}'"
_PENDING = f"status = '{DeliveryStatus.PENDING.value}'"
_MESSAGE_COLUMNS = (
    "id",
    "realm_id",
    "phone",
    "sender_code",
    "text",
    "encoding",
    "parts",
    "status",
    "error",
    "created_at",
    "updated_at",
    "client_ref",
    "validity_seconds",
)


def subscribed_realms(tx: Tx, event_type: EventType) -> set[int]:
    """Realms with a live endpoint that wants `event_type` (the table is small)."""
    rows = tx.fetch(f"SELECT realm_id, events FROM webhook_endpoints WHERE {_LIVE}")
    return {realm for realm, events in rows if event_type.value in events.split(",")}


def enqueue(tx: Tx, events: list[NewEvent], now: float, *, endpoint_id: str | None = None) -> int:
    """Write `events` and their deliveries (to `endpoint_id` only, when given); returns how
    many deliveries were written."""
    if not events:
        return 0
    q = Query(tx.postgres)
    rows = tx.fetch(
        f"SELECT id, realm_id, events FROM webhook_endpoints WHERE {_LIVE} "
        f"AND realm_id {q.in_({e.realm_id for e in events})}",
        q.params,
    )
    endpoints: dict[int, list[tuple[str, list[str]]]] = defaultdict(list)
    for ep_id, realm_id, types in rows:
        if endpoint_id is None or ep_id == endpoint_id:
            endpoints[realm_id].append((ep_id, types.split(",")))
    event_rows: list[tuple[Any, ...]] = []
    delivery_rows: list[tuple[Any, ...]] = []
    for event in events:
        targets = [
            ep_id
            for ep_id, types in endpoints[event.realm_id]
            if endpoint_id is not None or event.type.value in types
        ]
        if targets:
            event_rows.append((event.id, event.realm_id, event.type.value, event.payload, now))
            pending = DeliveryStatus.PENDING.value
            delivery_rows += [(event.id, target, pending, now, now) for target in targets]
    tx.insert_rows(
        "INSERT INTO webhook_events (id, realm_id, type, payload, created_at)", event_rows
    )
    tx.insert_rows(
        "INSERT INTO webhook_deliveries (event_id, endpoint_id, status, next_attempt_at, "
        "created_at)",
        delivery_rows,
    )
    return len(delivery_rows)


def enqueue_message_status(
    tx: Tx, message_ids: set[str], now: float, realms: set[int] | None = None
) -> int:
    """`message.status` events for these messages as they now are (one each), for realms
    that want them (`realms`, when the caller has looked them up in this transaction already).
    Called inside the transaction that changed their status."""
    if not message_ids:
        return 0
    if realms is None:
        realms = subscribed_realms(tx, EventType.MESSAGE_STATUS)
    if not realms:
        return 0
    q = Query(tx.postgres)
    rows = tx.fetch(
        f"SELECT {', '.join(_MESSAGE_COLUMNS)} FROM messages WHERE id {q.in_(message_ids)} "
        f"AND realm_id {q.in_(realms)}",
        q.params,
    )
    seen: set[str] = set()  # SQLite's padded IN list may repeat an id
    events = []
    for row in rows:
        if row[0] in seen:
            continue
        seen.add(row[0])
        data = message_status_data(dict(zip(_MESSAGE_COLUMNS, row, strict=True)))
        body = event_body(EventType.MESSAGE_STATUS, now, data)
        events.append(NewEvent(realm_id=row[1], type=EventType.MESSAGE_STATUS, payload=body))
    return enqueue(tx, events, now)


def enqueue_inbound(tx: Tx, realm_id: int, data: dict[str, Any], now: float) -> int:
    """A `message.inbound` event (`domain.webhook.inbound_data`), if the realm wants them.
    Called inside the transaction that stores the inbound message."""
    if realm_id not in subscribed_realms(tx, EventType.MESSAGE_INBOUND):
        return 0
    body = event_body(EventType.MESSAGE_INBOUND, now, data)
    return enqueue(tx, [NewEvent(realm_id, EventType.MESSAGE_INBOUND, body)], now)


def enqueue_optout_changes(
    tx: Tx, realm_id: int, changes: list[tuple[str, str]], source: str, direction: str, now: float
) -> int:
    """`optout.changed` events for (phone, sender code) pairs that changed, if the realm wants
    them. Called inside the transaction that changes the opt-outs."""
    if not changes or realm_id not in subscribed_realms(tx, EventType.OPTOUT_CHANGED):
        return 0
    events = [
        NewEvent(
            realm_id,
            EventType.OPTOUT_CHANGED,
            event_body(
                EventType.OPTOUT_CHANGED,
                now,
                optout_data(phone=phone, sender_code=code, source=source, direction=direction),
            ),
        )
        for phone, code in dict.fromkeys(changes)
    ]
    return enqueue(tx, events, now)


def claim_due(tx: Tx, now: float, limit: int, lease: float) -> list[DueDelivery]:
    """Up to `limit` pending deliveries due by `now`, longest due first, each claimed by moving
    its next attempt to `now + lease` (no other sender takes it meanwhile). Removing an endpoint
    cancels its pending deliveries (store/webhooks.py), so every one is of a live endpoint."""
    lock = " FOR UPDATE SKIP LOCKED" if tx.postgres else ""
    q = Query(tx.postgres)
    ids = [
        r[0]
        for r in tx.fetch(
            f"SELECT id FROM webhook_deliveries WHERE {_PENDING} "
            f"AND next_attempt_at <= {q.param(now)} ORDER BY next_attempt_at "
            f"LIMIT {int(limit)}{lock}",
            q.params,
        )
    ]
    if not ids:
        return []
    q = Query(tx.postgres)
    tx.execute(
        f"UPDATE webhook_deliveries SET next_attempt_at = {q.param(now + lease)} "
        f"WHERE id {q.in_(ids)}",
        q.params,
    )
    q = Query(tx.postgres)
    rows = tx.fetch(
        "SELECT d.id, d.event_id, e.payload, p.url, p.secret, p.id, d.attempts, d.created_at "
        "FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id "
        f"JOIN webhook_endpoints p ON p.id = d.endpoint_id WHERE d.id {q.in_(ids)}",
        q.params,
    )
    unique = {r[0]: r for r in rows}
    return [DueDelivery(*r) for r in sorted(unique.values(), key=lambda r: ids.index(r[0]))]


_RECORD = (
    "UPDATE webhook_deliveries SET status = {}, attempts = attempts + 1, next_attempt_at = {}, "
    "last_attempt_at = {}, last_status = {}, last_error = {}, last_response = {}, "
    "delivered_at = {} WHERE id = {}"
)


def _status(result: AttemptResult) -> str:
    if result.ok:
        return DeliveryStatus.DELIVERED.value
    if result.next_attempt_at is None:
        return DeliveryStatus.FAILED.value
    return DeliveryStatus.PENDING.value


def record(tx: Tx, results: list[AttemptResult]) -> dict[str, float]:
    """Store attempts' results. An endpoint with a success is no longer failing; one with only
    failures keeps the time of its first failure. Returns {endpoint id: failing since} of the
    endpoints whose attempts here all failed."""
    tx.execute_many(
        positional(tx.postgres, _RECORD),
        [
            (
                _status(r),
                None if r.ok else r.next_attempt_at,
                r.at,
                r.status_code,
                None if r.error is None else r.error[:255],
                r.response,
                r.at if r.ok else None,
                r.delivery_id,
            )
            for r in results
        ],
    )
    good = {r.endpoint_id for r in results if r.ok}
    bad = {r.endpoint_id: r.at for r in results if not r.ok and r.endpoint_id not in good}
    if good:
        q = Query(tx.postgres)
        tx.execute(
            f"UPDATE webhook_endpoints SET failing_since = NULL, state = "
            f"{q.param(EndpointState.ACTIVE.value)} WHERE id {q.in_(good)} AND {_LIVE}",
            q.params,
        )
    if not bad:
        return {}
    tx.execute_many(
        positional(
            tx.postgres,
            "UPDATE webhook_endpoints SET failing_since = {} WHERE id = {} "
            "AND failing_since IS NULL",
        ),
        [(at, ep) for ep, at in bad.items()],
    )
    q = Query(tx.postgres)
    rows = tx.fetch(
        f"SELECT id, failing_since FROM webhook_endpoints WHERE id {q.in_(bad)} AND {_LIVE}",
        q.params,
    )
    return {ep: since for ep, since in rows if since is not None}


def mark_failing(tx: Tx, endpoint_ids: list[str]) -> list[str]:
    """Mark these endpoints failing; returns those that were not yet."""
    q = Query(tx.postgres)
    rows = tx.fetch(
        f"SELECT id FROM webhook_endpoints WHERE id {q.in_(endpoint_ids)} "
        f"AND state = {q.param(EndpointState.ACTIVE.value)}",
        q.params,
    )
    newly = sorted({r[0] for r in rows})
    if newly:
        q = Query(tx.postgres)
        tx.execute(
            f"UPDATE webhook_endpoints SET state = {q.param(EndpointState.FAILING.value)} "
            f"WHERE id {q.in_(newly)}",
            q.params,
        )
    return newly


def backlog(tx: Tx) -> int:
    """Deliveries still to make."""
    rows = tx.fetch(f"SELECT COUNT(*) FROM webhook_deliveries WHERE {_PENDING}")
    return int(rows[0][0])


class HotOutbox:
    """The sender's outbox port over the transaction runner (on SQLite: the write thread's
    rounds, so webhook bookkeeping never contends with the delivery path for the write lock)."""

    def __init__(self, hot: TransactionRunner) -> None:
        self._hot = hot

    async def claim(self, now: float, limit: int, lease: float) -> list[DueDelivery]:
        return await self._hot.run(lambda tx: claim_due(tx, now, limit, lease))

    async def record(self, results: list[AttemptResult]) -> dict[str, float]:
        return await self._hot.run(lambda tx: record(tx, results))

    async def mark_failing(self, endpoint_ids: list[str]) -> list[str]:
        return await self._hot.run(lambda tx: mark_failing(tx, endpoint_ids))

    async def backlog(self) -> int:
        return await self._hot.run(backlog)

    async def prune(self, before: float, after: str, limit: int) -> tuple[int, str | None]:
        return await self._hot.run(lambda tx: prune(tx, before, after, limit))
