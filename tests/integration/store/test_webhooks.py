"""The webhook outbox on SQLite and PostgreSQL: enqueue, realm isolation, claims, results,
removal and replay, over the real stores."""

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import insert

from smsgate.bootstrap import Gateway
from smsgate.domain.webhook import (
    AttemptResult,
    DeliveryStatus,
    Endpoint,
    EndpointState,
    EventType,
    NewEvent,
    event_body,
    new_endpoint_id,
)
from smsgate.domain.webhook_signing import new_secret
from smsgate.store import schema as s
from smsgate.store import webhook_outbox as outbox
from smsgate.store.database import open_database
from smsgate.store.transactions import TransactionRunner
from smsgate.store.webhooks import WebhookStore
from tests.integration.store.support import new_message

AddRealm = Callable[..., Awaitable[int]]
LEASE = 60.0


async def _run(gateway: Gateway, fn: Any) -> Any:
    return await gateway.transactions.run(fn)


def endpoint(realm_id: int, *types: EventType, url: str = "https://example.com/h") -> Endpoint:
    return Endpoint(
        id=new_endpoint_id(),
        realm_id=realm_id,
        url=url,
        events=types or tuple(EventType),
        secret=new_secret(),
        state=EndpointState.ACTIVE,
        created_at=time.time(),
    )


def event(realm_id: int, kind: EventType = EventType.OPTOUT_CHANGED) -> NewEvent:
    return NewEvent(realm_id, kind, event_body(kind, time.time(), {"realm": realm_id}))


async def test_enqueue_goes_to_the_realms_subscribed_endpoints_only(
    gateway: Gateway, add_realm: AddRealm
) -> None:
    acme, beta = await add_realm(gateway, "acme"), await add_realm(gateway, "beta")
    store = WebhookStore(gateway.db)
    every, status_only = endpoint(acme), endpoint(acme, EventType.MESSAGE_STATUS)
    theirs = endpoint(beta)
    for ep in (every, status_only, theirs):
        await store.add(ep)

    now = time.time()
    assert await store.enqueue([event(acme)], now) == 1  # status_only does not want opt-outs
    assert await store.enqueue([event(acme, EventType.MESSAGE_STATUS)], now) == 2

    due = await _run(gateway, lambda tx: outbox.claim_due(tx, now, 100, LEASE))
    assert sorted(d.endpoint_id for d in due) == sorted([every.id, every.id, status_only.id])
    assert all(json.loads(d.payload)["data"] == {"realm": acme} for d in due)
    # claimed: not due again until the lease ends, then due again (a node died mid-attempt)
    assert await _run(gateway, lambda tx: outbox.claim_due(tx, now + 1, 100, LEASE)) == []
    again = await _run(gateway, lambda tx: outbox.claim_due(tx, now + LEASE, 100, LEASE))
    assert {d.id for d in again} == {d.id for d in due}
    assert await store.deliveries(beta) == []
    assert len(await store.deliveries(acme)) == 3


async def test_message_status_events_carry_the_message_resource(
    gateway: Gateway, add_realm: AddRealm
) -> None:
    acme, beta = await add_realm(gateway, "acme"), await add_realm(gateway, "beta")
    store = WebhookStore(gateway.db)
    mine = endpoint(acme, EventType.MESSAGE_STATUS)
    await store.add(mine)
    ours, theirs = new_message(acme, "12345"), new_message(beta, "67890")
    async with gateway.db.write_engine.begin() as conn:
        for m in (ours, theirs):
            await conn.execute(
                insert(s.messages).values(
                    id=m.id, realm_id=m.realm_id, sender_code=m.sender_code, phone=m.phone,
                    text=m.text, encoding=m.encoding, parts=m.parts, status="delivered",
                    created_at=m.created_at, updated_at=m.created_at,
                )
            )  # fmt: skip
    now = time.time()
    written = await _run(
        gateway, lambda tx: outbox.enqueue_message_status(tx, {ours.id, theirs.id}, now)
    )
    assert written == 1
    (due,) = await _run(gateway, lambda tx: outbox.claim_due(tx, now, 100, LEASE))
    body = json.loads(due.payload)
    assert body["type"] == "message.status"
    assert body["data"]["id"] == ours.id
    assert body["data"]["to"] == ours.phone
    assert body["data"]["from"] == "12345"
    assert body["data"]["status"] == "delivered"
    assert body["data"]["created_at"].endswith("Z")


async def test_results_retries_failing_and_replay(gateway: Gateway, add_realm: AddRealm) -> None:
    acme = await add_realm(gateway, "acme")
    store = WebhookStore(gateway.db)
    ep = endpoint(acme)
    await store.add(ep)
    now = time.time()
    await store.enqueue([event(acme), event(acme)], now)
    first, second = await _run(gateway, lambda tx: outbox.claim_due(tx, now, 100, LEASE))
    results = [
        AttemptResult(first.id, ep.id, now, True, 204, None, "", None),
        AttemptResult(second.id, ep.id, now, False, 500, "HTTP 500", "oops", now + 5),
    ]
    # a success in the same batch: the endpoint is not failing
    assert await _run(gateway, lambda tx: outbox.record(tx, results)) == {}
    listed = {d.id: d for d in await store.deliveries(acme)}
    assert listed[first.id].status is DeliveryStatus.DELIVERED
    assert listed[second.id].status is DeliveryStatus.PENDING
    assert (listed[second.id].attempts, listed[second.id].last_status) == (1, 500)
    assert [d.id for d in await store.deliveries(acme, failed_only=True)] == [second.id]

    (retry,) = await _run(gateway, lambda tx: outbox.claim_due(tx, now + 5, 100, LEASE))
    assert (retry.id, retry.attempts) == (second.id, 1)
    gave_up = AttemptResult(second.id, ep.id, now + 6, False, None, "refused", None, None)
    assert await _run(gateway, lambda tx: outbox.record(tx, [gave_up])) == {ep.id: now + 6}
    assert await _run(gateway, lambda tx: outbox.mark_failing(tx, [ep.id])) == [ep.id]
    assert await _run(gateway, lambda tx: outbox.mark_failing(tx, [ep.id])) == []
    assert (await store.get(acme, ep.id)).state is EndpointState.FAILING  # type: ignore[union-attr]
    failed = {d.id: d for d in await store.deliveries(acme)}[second.id]
    assert failed.status is DeliveryStatus.FAILED

    assert await store.delivery_realm(second.id) == acme
    replayed = await store.replay(second.id, now + 7)
    assert replayed is not None and replayed != second.id
    (due,) = await _run(gateway, lambda tx: outbox.claim_due(tx, now + 7, 100, LEASE))
    assert (due.id, due.event_id, due.attempts) == (replayed, second.event_id, 0)
    assert await _run(gateway, outbox.backlog) == 1

    # removing the endpoint cancels what it still had to receive; a replay finds nothing
    assert await store.remove(acme, ep.id, now + 8)
    assert not await store.remove(acme, ep.id, now + 8)
    assert await _run(gateway, outbox.backlog) == 0
    assert await store.replay(second.id, now + 9) is None
    assert await store.list(acme) == []


async def test_another_realm_cannot_remove_an_endpoint(
    gateway: Gateway, add_realm: AddRealm
) -> None:
    acme, beta = await add_realm(gateway, "acme"), await add_realm(gateway, "beta")
    store = WebhookStore(gateway.db)
    ep = endpoint(acme)
    await store.add(ep)
    assert not await store.remove(beta, ep.id, time.time())
    assert await store.get(beta, ep.id) is None
    assert [e.id for e in await store.list(acme)] == [ep.id]


async def test_concurrent_claims_take_each_delivery_once(
    gateway: Gateway, add_realm: AddRealm
) -> None:
    """On PostgreSQL several nodes claim at once (SKIP LOCKED); on SQLite the writer serialises."""
    acme = await add_realm(gateway, "acme")
    store = WebhookStore(gateway.db)
    await store.add(endpoint(acme))
    now = time.time()
    await store.enqueue([event(acme) for _ in range(200)], now)
    others = [open_database(gateway.db.url) for _ in range(3)]
    writers = [TransactionRunner(db) for db in others]
    try:
        claims = await asyncio.gather(
            *(w.run(lambda tx: outbox.claim_due(tx, now, 30, LEASE)) for w in writers * 3)
        )
    finally:
        for w in writers:
            await w.close()
        for db in others:
            await db.dispose()
    ids = [d.id for batch in claims for d in batch]
    assert len(ids) == len(set(ids)) == 200
