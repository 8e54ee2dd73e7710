"""The console's webhook queries on SQLite and PostgreSQL: the backlog (pending deliveries, new
or retrying, counted; delivered, failed and cancelled ones not), per realm and for all, the
same count in `smsgate status`'s stats; pages of a realm's deliveries; and on SQLite the
partial indexes of migration 0017 in the migrated_sqlite."""

import sqlite3
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.dialects import sqlite

from smsgate.bootstrap import Gateway
from smsgate.domain.webhook import AttemptResult, DeliveryStatus, Endpoint
from smsgate.store import webhook_outbox as outbox
from smsgate.store.console_webhooks import ConsoleWebhookQueries, backlog_count
from smsgate.store.stats import StatsStore
from smsgate.store.webhooks import _FAILED_ONLY, WebhookStore, _newest
from tests.integration.store.test_webhooks import endpoint, event

AddRealm = Callable[..., Awaitable[int]]


async def _deliveries(gateway: Gateway, store: WebhookStore, ep: Endpoint, n: int) -> list[int]:
    """`n` new deliveries to `ep` alone (one event each), oldest first."""
    now = time.time()
    for _ in range(n):
        assert await store.enqueue([event(ep.realm_id)], now, endpoint_id=ep.id) == 1
    rows = await store.deliveries(ep.realm_id, limit=1000)
    return sorted(d.id for d in rows if d.endpoint_id == ep.id)[-n:]


async def _attempt(gateway: Gateway, delivery_id: int, endpoint_id: str, **result: Any) -> None:
    done = AttemptResult(
        delivery_id=delivery_id,
        endpoint_id=endpoint_id,
        at=time.time(),
        status_code=result.get("status_code", 500),
        error=None,
        response=None,
        ok=result.get("ok", False),
        next_attempt_at=result.get("next_attempt_at"),
    )
    await gateway.transactions.run(lambda tx: outbox.record(tx, [done]))


async def test_the_backlog_counts_pending_and_retrying_only(
    gateway: Gateway, add_realm: AddRealm
) -> None:
    acme, beta = await add_realm(gateway, "acme"), await add_realm(gateway, "beta")
    await add_realm(gateway, "gamma")  # no endpoints at all
    store = WebhookStore(gateway.db)
    ours, gone, theirs = endpoint(acme), endpoint(acme), endpoint(beta)
    for ep in (ours, gone, theirs):
        await store.add(ep)
    delivered, failed, retrying, new1, new2 = await _deliveries(gateway, store, ours, 5)
    await _attempt(gateway, delivered, ours.id, ok=True, status_code=204)
    await _attempt(gateway, failed, ours.id)  # no retry left: failed
    await _attempt(gateway, retrying, ours.id, next_attempt_at=time.time() + 30)
    await _deliveries(gateway, store, gone, 2)
    assert await store.remove(acme, gone.id, time.time())  # its pending ones: cancelled
    beta_done, *_ = await _deliveries(gateway, store, theirs, 3)
    await _attempt(gateway, beta_done, theirs.id, ok=True, status_code=200)

    queries = ConsoleWebhookQueries(gateway.db)
    assert await queries.backlog([acme]) == 3  # retrying, new1, new2
    assert await queries.backlog([beta]) == 2
    assert await queries.backlog([acme, beta]) == 5
    assert await queries.backlog(None) == 5
    assert await queries.backlog([await add_realm(gateway, "delta")]) == 0
    assert await StatsStore(gateway.db).webhook_backlog() == 5
    # the sender's own gauge counts the same rows
    assert await gateway.transactions.run(outbox.backlog) == 5
    statuses = {d.id: d.status for d in await store.deliveries(acme, limit=100)}
    assert statuses[failed] is DeliveryStatus.FAILED
    assert list(statuses.values()).count(DeliveryStatus.CANCELLED) == 2
    pending = {i for i, status in statuses.items() if status is DeliveryStatus.PENDING}
    assert pending == {retrying, new1, new2}


async def test_a_realms_deliveries_by_page_newest_first(
    gateway: Gateway, add_realm: AddRealm
) -> None:
    acme, beta = await add_realm(gateway, "acme"), await add_realm(gateway, "beta")
    store = WebhookStore(gateway.db)
    one, two, theirs = endpoint(acme), endpoint(acme, url="https://b.example.com/"), endpoint(beta)
    for ep in (one, two, theirs):
        await store.add(ep)
    ids = []
    for _ in range(3):  # interleaved between the two endpoints
        ids += await _deliveries(gateway, store, one, 1)
        ids += await _deliveries(gateway, store, two, 1)
    await _deliveries(gateway, store, theirs, 2)
    await _attempt(gateway, ids[0], one.id)  # failed
    await _attempt(gateway, ids[3], two.id, next_attempt_at=time.time() + 60)  # retrying
    await _attempt(gateway, ids[4], one.id, ok=True, status_code=200)
    await store.remove(acme, two.id, time.time())

    queries = ConsoleWebhookQueries(gateway.db)
    first = await queries.deliveries(acme, failed_only=False, before=None, limit=4)
    assert [r.delivery.id for r in first] == ids[::-1][:4]
    assert {r.realm_id for r in first} == {acme}
    assert {r.url: r.endpoint_live for r in first} == {
        "https://example.com/h": True,
        "https://b.example.com/": False,
    }
    rest = await queries.deliveries(acme, failed_only=False, before=first[-1].delivery.id, limit=4)
    assert [r.delivery.id for r in rest] == ids[::-1][4:]
    # failed only: given up, or retrying (pending after a failed attempt); the retrying one's
    # endpoint was removed since, so it is cancelled now and no longer "failed"
    failed = await queries.deliveries(acme, failed_only=True, before=None, limit=10)
    assert [(r.delivery.id, r.shown_status) for r in failed] == [(ids[0], "failed")]

    found = await queries.delivery(ids[0])
    assert found is not None and (found.realm_id, found.endpoint_live) == (acme, True)
    assert found.delivery.event_type == "optout.changed"
    assert await queries.delivery(10**9) is None
    assert await queries.deliveries(beta, failed_only=True, before=None, limit=10) == []


async def test_retrying_is_shown_as_such(gateway: Gateway, add_realm: AddRealm) -> None:
    acme = await add_realm(gateway, "acme")
    store = WebhookStore(gateway.db)
    ep = endpoint(acme)
    await store.add(ep)
    retrying, fresh = await _deliveries(gateway, store, ep, 2)
    await _attempt(gateway, retrying, ep.id, next_attempt_at=time.time() + 60)
    queries = ConsoleWebhookQueries(gateway.db)
    rows = await queries.deliveries(acme, failed_only=False, before=None, limit=10)
    assert [(r.delivery.id, r.shown_status) for r in rows] == [
        (fresh, "pending"),
        (retrying, "retrying"),
    ]
    failed = await queries.deliveries(acme, failed_only=True, before=None, limit=10)
    assert [r.delivery.id for r in failed] == [retrying]


def _plan(conn: sqlite3.Connection, statement: Any) -> str:
    compiled = statement.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True})
    return " ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {compiled}"))


def test_sqlite_counts_and_pages_from_the_partial_indexes(
    migrated_sqlite: sqlite3.Connection,
) -> None:
    assert "USING INDEX ix_webhook_deliveries_due" in _plan(migrated_sqlite, backlog_count())
    realm = _plan(migrated_sqlite, backlog_count([1, 2]))
    assert "USING INDEX ix_webhook_deliveries_pending (endpoint_id=?)" in realm
    failed, retrying = (
        _plan(migrated_sqlite, _newest("ep_1", where, 100, 51)) for where in _FAILED_ONLY
    )
    assert "USING INDEX ix_webhook_deliveries_failed (endpoint_id=? AND id<?)" in failed
    assert "USING INDEX ix_webhook_deliveries_pending (endpoint_id=? AND id<?)" in retrying
    every = _plan(migrated_sqlite, _newest("ep_1", [], 100, 51))
    assert "ix_webhook_deliveries_endpoint_id_id (endpoint_id=? AND id<?)" in every
