"""Webhook events past the retention are deleted with their deliveries, on SQLite and
PostgreSQL: only when every delivery is finished and old, oldest first from a cursor, never
another event's rows."""

import time
from collections.abc import Awaitable, Callable

from smsgate.bootstrap import Gateway
from smsgate.domain.webhook import AttemptResult, EventType, NewEvent, event_body
from smsgate.store import webhook_outbox as outbox
from smsgate.store.webhook_retention import prune
from smsgate.store.webhooks import WebhookStore
from tests.integration.store.test_webhooks import endpoint

AddRealm = Callable[..., Awaitable[int]]
DAY = 86400.0


async def test_old_finished_events_go_with_their_deliveries_and_nothing_else(
    gateway: Gateway, add_realm: AddRealm
) -> None:
    acme = await add_realm(gateway, "acme")
    store = WebhookStore(gateway.db)
    ep = endpoint(acme)
    await store.add(ep)
    now = time.time()
    old, young = now - 40 * DAY, now - DAY
    kind = EventType.OPTOUT_CHANGED

    def events(first: int, n: int) -> list[NewEvent]:  # ids in the order of their age
        numbers = range(first, first + n)
        return [NewEvent(acme, kind, event_body(kind, now, {}), f"evt_{i:026d}") for i in numbers]

    # made 40 days ago: 3 delivered, 1 given up, 1 still pending, 1 replayed yesterday
    old_events = events(0, 6)
    assert await store.enqueue(old_events, old) == 6
    due = await gateway.transactions.run(lambda tx: outbox.claim_due(tx, now, 100, 60.0))
    by_event = {d.event_id: d.id for d in due}
    ids = [by_event[e.id] for e in old_events]
    results = [AttemptResult(i, ep.id, old, True, 204, None, "", None) for i in ids[:3]]
    results += [AttemptResult(i, ep.id, old, False, 500, "x", "", None) for i in ids[3:6:2]]
    await gateway.transactions.run(lambda tx: outbox.record(tx, results))
    assert await store.replay(ids[5], young) is not None
    young_events = events(6, 2)  # made yesterday
    assert await store.enqueue(young_events, young) == 2

    cutoff = now - 30 * DAY
    # two at a time: the cursor walks the old events, then stops at a young one
    first = await gateway.transactions.run(lambda tx: prune(tx, cutoff, "", 2))
    assert first == (2, old_events[1].id)
    rest = await gateway.transactions.run(lambda tx: prune(tx, cutoff, first[1] or "", 100))
    assert rest == (2, None)  # events 2 and 3; 4 is pending, 5 has a young replay

    left = {d.event_id for d in await store.deliveries(acme, limit=100)}
    kept = [old_events[4], old_events[5], *young_events]
    assert left == {e.id for e in kept}
    assert len(await store.deliveries(acme, limit=100)) == 5  # 5's replay included
    assert await gateway.transactions.run(lambda tx: prune(tx, cutoff, "", 100)) == (0, None)
