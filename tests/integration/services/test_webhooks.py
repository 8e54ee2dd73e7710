"""The webhook use cases over the real store: URL checks at `add`, realm isolation, test
events, replay, and opt-out events."""

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from smsgate.bootstrap import Gateway
from smsgate.domain.webhook import EventType
from smsgate.services.webhooks import Webhooks
from smsgate.store import webhook_outbox as outbox
from smsgate.store.errors import NotFound
from smsgate.store.webhooks import WebhookStore


async def _run(gateway: Gateway, fn: Any) -> Any:
    return await gateway.transactions.run(fn)


AddRealm = Callable[..., Awaitable[int]]

DNS = {
    "hooks.example.com": ["93.184.215.14"],
    "internal.example.com": ["10.0.0.7"],
    "mixed.example.com": ["93.184.215.14", "127.0.0.1"],
}


async def resolver(host: str, port: int) -> list[str]:
    if host in DNS:
        return DNS[host]
    if host[0].isdigit() or ":" in host:
        return [host]
    raise OSError("Name or service not known")


@pytest.fixture
async def gateway(gateway_factory: Callable[..., Awaitable[Gateway]]) -> Gateway:
    return await gateway_factory()


def service(gateway: Gateway, *, allow_private: bool = False) -> Webhooks:
    store = WebhookStore(gateway.db)
    return Webhooks(store, gateway.realms, resolver=resolver, allow_private=allow_private)


async def test_add_checks_the_url_and_what_it_resolves_to(
    gateway: Gateway, add_realm: AddRealm
) -> None:
    await add_realm(gateway, "acme")
    hooks = service(gateway)
    added = await hooks.add("acme", " https://hooks.example.com/in ", "message.status")
    assert added.url == "https://hooks.example.com/in"
    assert added.events == (EventType.MESSAGE_STATUS,)
    assert added.secret.startswith("whsec_")
    everything = await hooks.add("acme", "http://93.184.215.14:8080/x")
    assert set(everything.events) == {
        EventType.MESSAGE_STATUS,
        EventType.MESSAGE_INBOUND,
        EventType.OPTOUT_CHANGED,
    }
    for url, reason in [
        ("http://127.0.0.1/x", "loopback"),
        ("http://localhost.invalid/x", "cannot resolve"),
        ("http://internal.example.com/x", "private"),
        ("http://mixed.example.com/x", "loopback"),
        ("http://169.254.169.254/latest/meta-data", "metadata"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("ftp://hooks.example.com/x", "only http and https"),
    ]:
        with pytest.raises(ValueError, match=reason):
            await hooks.add("acme", url)
    with pytest.raises(ValueError, match=r"unknown event type 'message\.sent'"):
        await hooks.add("acme", "https://hooks.example.com/", "message.sent")
    with pytest.raises(NotFound):
        await hooks.add("nosuch", "https://hooks.example.com/")
    # for development: private addresses allowed, metadata still not
    dev = service(gateway, allow_private=True)
    assert (await dev.add("acme", "http://127.0.0.1:9/x")).url == "http://127.0.0.1:9/x"
    with pytest.raises(ValueError, match="metadata"):
        await dev.add("acme", "http://169.254.169.254/")
    assert len(await hooks.list("acme")) == 3


async def test_realms_see_only_their_own(gateway: Gateway, add_realm: AddRealm) -> None:
    await add_realm(gateway, "acme")
    await add_realm(gateway, "beta")
    hooks = service(gateway)
    mine = await hooks.add("acme", "https://hooks.example.com/a")
    with pytest.raises(NotFound):
        await hooks.remove("beta", mine.id)
    with pytest.raises(NotFound):
        await hooks.test("beta", mine.id)
    event_id = await hooks.test("acme", mine.id)
    (delivery,) = await hooks.deliveries("acme")
    assert (delivery.event_id, delivery.event_type) == (event_id, "webhook.test")
    assert await hooks.deliveries("beta") == []
    with pytest.raises(NotFound):
        await hooks.replay(delivery.id, "beta")
    again = await hooks.replay(delivery.id, "acme")
    assert again != delivery.id
    assert await hooks.replay(delivery.id) > again  # the CLI's replay: any realm
    await hooks.remove("acme", mine.id)
    with pytest.raises(NotFound, match="removed"):
        await hooks.replay(delivery.id)
    with pytest.raises(NotFound):
        await hooks.replay(123456)


async def test_optout_changed_events(gateway: Gateway, add_realm: AddRealm) -> None:
    acme = await add_realm(gateway, "acme")
    beta = await add_realm(gateway, "beta")
    hooks = service(gateway)
    await hooks.add("acme", "https://hooks.example.com/a", "optout.changed")
    await hooks.add("beta", "https://hooks.example.com/b", "message.status")
    await gateway.realms.add_sender("acme", "12345")
    await gateway.optouts.add(acme, "12065551212", "12345", source="cli")
    await gateway.optouts.add(beta, "12065551212", "", source="api")  # beta does not want these
    (due,) = await _run(gateway, lambda tx: outbox.claim_due(tx, time.time(), 10, 60.0))
    body = json.loads(due.payload)
    assert body["type"] == "optout.changed"
    assert body["data"] == {
        "phone": "12065551212",
        "sender_code": "12345",
        "source": "cli",
        "direction": "out",
    }


async def test_an_import_tells_of_new_opt_outs_only(gateway: Gateway, add_realm: AddRealm) -> None:
    acme = await add_realm(gateway, "acme")
    await gateway.realms.add_sender("acme", "12345")
    hooks = service(gateway)
    await gateway.optouts.add(acme, "12065550001", "12345", source="cli")  # before the webhook
    await hooks.add("acme", "https://hooks.example.com/a", "optout.changed")
    rows = [("12065550001", "12345"), ("12065550002", "12345"), ("12065550002", "12345")]
    await gateway.optouts.import_chunks(acme, [rows], source="import")
    due = await _run(gateway, lambda tx: outbox.claim_due(tx, time.time(), 10, 60.0))
    assert [json.loads(d.payload)["data"] for d in due] == [
        {"phone": "12065550002", "sender_code": "12345", "source": "import", "direction": "out"}
    ]
