"""The webhook sender against a real HTTP receiver on loopback: signed bodies, 2xx done,
500s, timeouts, a receiver that is down, redirects, big answers and unsafe addresses."""

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from prometheus_client import REGISTRY

from smsgate.bootstrap import Gateway
from smsgate.delivery.webhook_http import WebhookClient
from smsgate.delivery.webhook_sender import WebhookSender
from smsgate.domain.webhook import (
    DeliveryStatus,
    Endpoint,
    EndpointState,
    EventType,
    NewEvent,
    event_body,
    new_endpoint_id,
)
from smsgate.domain.webhook_signing import new_secret
from smsgate.store.webhook_outbox import HotOutbox
from smsgate.store.webhooks import WebhookStore
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.support.waiting import eventually

AddRealm = Callable[..., Awaitable[int]]
TIMEOUT = 30.0


class Clock:
    """Real time plus an offset a test moves forward (to reach a retry without waiting)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
async def receivers() -> AsyncIterator[Callable[..., Awaitable[WebhookReceiver]]]:
    started: list[WebhookReceiver] = []

    async def make(**kwargs: Any) -> WebhookReceiver:
        receiver = await WebhookReceiver(**kwargs).start()
        started.append(receiver)
        return receiver

    yield make
    for receiver in started:
        await receiver.stop()


@pytest.fixture
async def senders(gateway: Gateway) -> AsyncIterator[Callable[..., Awaitable[WebhookSender]]]:
    started: list[WebhookSender] = []

    async def make(*, timeout: float = 10.0, allow_private: bool = True, **kwargs: Any) -> Any:
        extra = _clock(kwargs)
        client = WebhookClient(allow_private=allow_private, timeout=timeout, **kwargs)
        sender = WebhookSender(HotOutbox(gateway.transactions), client, idle_poll=0.05, **extra)
        started.append(sender)
        await sender.start()
        return sender

    yield make
    for sender in started:
        await sender.stop()


def _clock(kwargs: dict[str, Any]) -> dict[str, Any]:
    clock = kwargs.pop("clock", None)
    return {} if clock is None else {"clock": clock}


@pytest.fixture
async def gateway(gateway_factory: Callable[..., Awaitable[Gateway]]) -> Gateway:
    return await gateway_factory()


async def endpoint_for(gateway: Gateway, realm_id: int, url: str, secret: str) -> Endpoint:
    ep = Endpoint(
        id=new_endpoint_id(),
        realm_id=realm_id,
        url=url,
        events=tuple(EventType),
        secret=secret,
        state=EndpointState.ACTIVE,
        created_at=time.time(),
    )
    await WebhookStore(gateway.db).add(ep)
    return ep


async def send_events(gateway: Gateway, realm_id: int, count: int) -> list[str]:
    events = [
        NewEvent(
            realm_id,
            EventType.OPTOUT_CHANGED,
            event_body(EventType.OPTOUT_CHANGED, time.time(), {"n": n}),
        )
        for n in range(count)
    ]
    await WebhookStore(gateway.db).enqueue(events, time.time())
    return [e.id for e in events]


async def statuses(gateway: Gateway, realm_id: int) -> list[DeliveryStatus]:
    return [d.status for d in await WebhookStore(gateway.db).deliveries(realm_id, limit=500)]


async def test_signed_events_arrive_and_are_done(
    gateway: Gateway, add_realm: AddRealm, receivers: Any, senders: Any
) -> None:
    acme = await add_realm(gateway, "acme")
    secret = new_secret()
    receiver = await receivers(secret=secret, status=200)
    await endpoint_for(gateway, acme, receiver.url, secret)
    ids = await send_events(gateway, acme, 5)
    await senders()
    await receiver.wait_for(5, timeout=TIMEOUT)
    assert all(r.verified for r in receiver.received)
    assert sorted(r.headers["webhook-id"] for r in receiver.received) == sorted(ids)
    assert sorted(r.json["data"]["n"] for r in receiver.received) == [0, 1, 2, 3, 4]

    async def all_delivered() -> bool:
        return await statuses(gateway, acme) == [DeliveryStatus.DELIVERED] * 5

    await eventually(all_delivered, timeout=TIMEOUT, what="deliveries recorded")


async def test_a_500_is_retried_after_its_delay_with_the_same_id(
    gateway: Gateway, add_realm: AddRealm, receivers: Any, senders: Any
) -> None:
    acme = await add_realm(gateway, "acme")
    secret = new_secret()
    receiver = await receivers(secret=secret, status=500, answer_body=b"x" * 100_000)
    await endpoint_for(gateway, acme, receiver.url, secret)
    (event_id,) = await send_events(gateway, acme, 1)
    clock = Clock()
    await senders(clock=clock)
    await receiver.wait_for(1, timeout=TIMEOUT)
    store = WebhookStore(gateway.db)

    async def failed_once() -> bool:
        return [(d.attempts, d.status) for d in await store.deliveries(acme)] == [
            (1, DeliveryStatus.PENDING)
        ]

    await eventually(failed_once, timeout=TIMEOUT, what="the failure recorded")
    (delivery,) = await store.deliveries(acme)
    assert delivery.last_status == 500 and delivery.last_error == "HTTP 500"
    assert delivery.next_attempt_at is not None and delivery.last_attempt_at is not None
    assert 5 <= delivery.next_attempt_at - delivery.last_attempt_at <= 6.5  # 5 s + jitter

    receiver.status = 204
    clock.offset = 7.0  # the retry is due
    await receiver.wait_for(2, timeout=TIMEOUT)
    assert [r.headers["webhook-id"] for r in receiver.received] == [event_id, event_id]
    assert all(r.verified for r in receiver.received)

    async def delivered() -> bool:
        return await statuses(gateway, acme) == [DeliveryStatus.DELIVERED]

    await eventually(delivered, timeout=TIMEOUT, what="the retry recorded")


async def test_a_slow_receiver_times_out_and_does_not_hold_up_another(
    gateway: Gateway, add_realm: AddRealm, receivers: Any, senders: Any
) -> None:
    acme, beta = await add_realm(gateway, "acme"), await add_realm(gateway, "beta")
    slow = await receivers(delay=3.0)
    fast = await receivers()
    await endpoint_for(gateway, acme, slow.url, new_secret())
    await endpoint_for(gateway, beta, fast.url, new_secret())
    await send_events(gateway, acme, 3)
    await send_events(gateway, beta, 10)
    await senders(timeout=1.0)
    await fast.wait_for(10, timeout=TIMEOUT)
    store = WebhookStore(gateway.db)

    async def timed_out() -> bool:
        found = await store.deliveries(acme)
        return len(found) == 3 and all(d.attempts == 1 for d in found)

    await eventually(timed_out, timeout=TIMEOUT, what="the slow receiver's attempts")
    assert all(
        d.status is DeliveryStatus.PENDING and "Timeout" in (d.last_error or "")
        for d in await store.deliveries(acme)
    )


async def test_a_receiver_that_is_down_gets_the_event_when_it_is_back(
    gateway: Gateway, add_realm: AddRealm, receivers: Any, senders: Any
) -> None:
    acme = await add_realm(gateway, "acme")
    secret = new_secret()
    receiver = await receivers(secret=secret)
    await receiver.stop()  # nobody listens on its port
    await endpoint_for(gateway, acme, receiver.url, secret)
    (event_id,) = await send_events(gateway, acme, 1)
    clock = Clock()
    await senders(clock=clock)
    store = WebhookStore(gateway.db)

    async def refused() -> bool:
        return [d.attempts for d in await store.deliveries(acme)] == [1]

    await eventually(refused, timeout=TIMEOUT, what="the failed attempt")
    (delivery,) = await store.deliveries(acme)
    assert "ConnectError" in (delivery.last_error or "") and delivery.last_status is None
    await receiver.start()  # the same port
    clock.offset = 7.0
    await receiver.wait_for(1, timeout=TIMEOUT)
    assert receiver.received[0].verified and receiver.received[0].headers["webhook-id"] == event_id


async def test_unsafe_addresses_are_refused_at_delivery_time(
    gateway: Gateway, add_realm: AddRealm, receivers: Any, senders: Any
) -> None:
    acme = await add_realm(gateway, "acme")
    down = await receivers()
    target = await receivers()
    redirect = await receivers(status=302, location=target.url)
    await endpoint_for(gateway, acme, down.url, new_secret())
    await endpoint_for(gateway, acme, redirect.url, new_secret())

    async def rebinding(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]  # a public name that now resolves to loopback

    await endpoint_for(gateway, acme, "http://hooks.example.com/x", new_secret())
    await send_events(gateway, acme, 1)
    await senders(allow_private=False, resolver=rebinding)
    store = WebhookStore(gateway.db)

    async def all_tried() -> bool:
        found = await store.deliveries(acme)
        return len(found) == 3 and all(d.attempts == 1 for d in found)

    await eventually(all_tried, timeout=TIMEOUT, what="three failed attempts")
    errors = sorted(d.last_error or "" for d in await store.deliveries(acme))
    assert all("refused: 127.0.0.1 is a loopback address" in e for e in errors), errors
    assert redirect.received == [] and target.received == []  # not even connected


async def test_redirects_are_not_followed_and_answers_are_cut(
    gateway: Gateway, add_realm: AddRealm, receivers: Any, senders: Any
) -> None:
    acme = await add_realm(gateway, "acme")
    target = await receivers()
    redirect = await receivers(status=307, location=target.url, answer_body=b"y" * 50_000)
    await endpoint_for(gateway, acme, redirect.url, new_secret())
    await send_events(gateway, acme, 1)
    await senders()
    await redirect.wait_for(1, timeout=TIMEOUT)
    store = WebhookStore(gateway.db)

    async def failed() -> bool:
        return [d.attempts for d in await store.deliveries(acme)] == [1]

    await eventually(failed, timeout=TIMEOUT, what="the redirect recorded")
    (delivery,) = await store.deliveries(acme)
    assert delivery.last_status == 307 and delivery.status is DeliveryStatus.PENDING
    assert target.received == []
    async with gateway.db.reader.connect() as conn:
        kept = await conn.exec_driver_sql("SELECT last_response FROM webhook_deliveries")
        (response,) = kept.scalars().all()
    assert response == "y" * 4096
    assert json.loads(redirect.received[0].body)["type"] == "optout.changed"


async def test_two_senders_deliver_each_event_once(
    gateway: Gateway, add_realm: AddRealm, receivers: Any, senders: Any
) -> None:
    """Two senders on one database (on PostgreSQL: two nodes) claim each delivery once."""
    acme = await add_realm(gateway, "acme")
    secret = new_secret()
    receiver = await receivers(secret=secret)
    await endpoint_for(gateway, acme, receiver.url, secret)
    ids = await send_events(gateway, acme, 200)
    await senders()
    await senders()
    await receiver.wait_for(200, timeout=TIMEOUT)
    store = WebhookStore(gateway.db)

    async def all_delivered() -> bool:
        return await statuses(gateway, acme) == [DeliveryStatus.DELIVERED] * 200

    await eventually(all_delivered, timeout=TIMEOUT, what="200 deliveries recorded")
    assert sorted(r.headers["webhook-id"] for r in receiver.received) == sorted(ids)
    assert all(d.attempts == 1 for d in await store.deliveries(acme, limit=500))


def _metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_day_of_errors_gives_up_and_marks_the_endpoint_failing(
    gateway: Gateway, add_realm: AddRealm, receivers: Any, senders: Any
) -> None:
    acme = await add_realm(gateway, "acme")
    receiver = await receivers(status=503)
    endpoint = await endpoint_for(gateway, acme, receiver.url, new_secret())
    await send_events(gateway, acme, 1)
    gave_up = _metric("smsgate_webhook_attempts_total", result="gave_up")
    failing = _metric("smsgate_webhook_endpoints_failing_total")
    clock = Clock()
    await senders(clock=clock)
    store = WebhookStore(gateway.db)

    async def attempts(n: int) -> bool:
        return [d.attempts for d in await store.deliveries(acme)] == [n]

    await eventually(lambda: attempts(1), timeout=TIMEOUT, what="the first failure")
    assert (await store.get(acme, endpoint.id)).state is EndpointState.ACTIVE  # type: ignore[union-attr]
    clock.offset = 24 * 3600.0 + 60  # a day later, the retry fails again: the window is over
    await eventually(lambda: attempts(2), timeout=TIMEOUT, what="the last failure")
    (delivery,) = await store.deliveries(acme)
    assert delivery.status is DeliveryStatus.FAILED and delivery.next_attempt_at is None

    async def marked() -> bool:
        found = await store.get(acme, endpoint.id)
        return found is not None and found.state is EndpointState.FAILING

    await eventually(marked, timeout=TIMEOUT, what="the endpoint marked failing")
    assert _metric("smsgate_webhook_attempts_total", result="gave_up") == gave_up + 1
    assert _metric("smsgate_webhook_endpoints_failing_total") == failing + 1
    assert [d.id for d in await store.deliveries(acme, failed_only=True)] == [delivery.id]
