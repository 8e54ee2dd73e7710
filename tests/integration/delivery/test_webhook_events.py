"""Webhook events from the delivery path: message.status for receipts, message.inbound for MOs
(with STOP/START/HELP), optout.changed; each realm's endpoints get that realm's events only."""

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from smsgate.bootstrap import Gateway
from smsgate.delivery.webhook_http import resolve
from smsgate.domain.encoding import gsm7_encode
from smsgate.services.webhooks import Webhooks
from smsgate.store import schema as s
from smsgate.store.webhooks import WebhookStore
from tests.fakes.smsc import HappySMSC
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.integration.delivery.conftest import (
    CODE,
    StartGateway,
    StartSmsc,
    add_realm,
    send_many,
    wait_status,
)
from tests.support.waiting import eventually

TIMEOUT = 60.0
OTHER_CODE = "67890"


@pytest.fixture(autouse=True)
def allow_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMSGATE_WEBHOOK_ALLOW_PRIVATE", "true")


@pytest.fixture
async def receivers() -> AsyncIterator[Callable[..., Any]]:
    started: list[WebhookReceiver] = []

    async def make(**kwargs: Any) -> WebhookReceiver:
        receiver = await WebhookReceiver(**kwargs).start()
        started.append(receiver)
        return receiver

    yield make
    for receiver in started:
        await receiver.stop()


def hooks(gateway: Gateway) -> Webhooks:
    return Webhooks(WebhookStore(gateway.db), gateway.realms, resolver=resolve, allow_private=True)


async def subscribe(gateway: Gateway, realm: str, make: Any, events: str | None = None) -> Any:
    receiver = await make()
    endpoint = await hooks(gateway).add(realm, receiver.url, events)
    receiver.secret = endpoint.secret
    return receiver


async def test_status_events_per_realm(
    database_url: str,  # first: the database outlives the gateway at teardown
    start_smsc: StartSmsc,
    start_gateway: StartGateway,
    receivers: Any,
) -> None:
    smsc = await start_smsc(HappySMSC())
    gateway = await start_gateway(smsc, database_url=database_url)
    acme = await add_realm(gateway, CODE, name="acme")
    beta = await add_realm(gateway, OTHER_CODE, name="beta")
    to_acme = await subscribe(gateway, "acme", receivers, "message.status")
    to_beta = await subscribe(gateway, "beta", receivers)
    ours = await send_many(gateway, acme, 3)
    theirs = await send_many(gateway, beta, 2, code=OTHER_CODE)
    await wait_status(gateway, [*ours, *theirs], "delivered")

    # sent and delivered, for each message
    await to_acme.wait_for(6, timeout=TIMEOUT, what="acme's events")
    await to_beta.wait_for(4, timeout=TIMEOUT, what="beta's events")
    for receiver, messages in ((to_acme, ours), (to_beta, theirs)):
        assert all(r.verified for r in receiver.received)
        bodies = [r.json for r in receiver.received]
        assert {b["type"] for b in bodies} == {"message.status"}
        assert {(b["data"]["id"], b["data"]["status"]) for b in bodies} == {
            (m.id, status) for m in messages for status in ("sent", "delivered")
        }
        delivered = [b["data"] for b in bodies if b["data"]["status"] == "delivered"]
        assert {(d["to"], d["text"]) for d in delivered} == {(m.phone, m.text) for m in messages}


async def test_a_hanging_receiver_does_not_hold_up_sms_delivery(
    start_smsc: StartSmsc,
    start_gateway: StartGateway,
    receivers: Any,
) -> None:
    """Every webhook attempt hangs (the receiver never answers): every message is still sent
    and delivered, while not one webhook attempt has finished."""
    smsc = await start_smsc(HappySMSC())
    gateway = await start_gateway(smsc)
    acme = await add_realm(gateway, CODE, name="acme")
    hanging = await subscribe(gateway, "acme", receivers, "message.status")
    hanging.delay = 3600.0
    first = await send_many(gateway, acme, 50)
    await wait_status(gateway, first, "delivered")

    async def stuck() -> bool:
        return hanging.started > 0

    await eventually(stuck, timeout=TIMEOUT, what="webhook attempts started")  # stuck on it ...
    more = await send_many(gateway, acme, 200)
    await wait_status(gateway, more, "delivered")  # ... and SMS delivery is not
    assert hanging.received == []


async def test_inbound_and_optout_events(
    database_url: str,  # first: the database outlives the gateway at teardown
    start_smsc: StartSmsc,
    start_gateway: StartGateway,
    receivers: Any,
) -> None:
    smsc = await start_smsc(HappySMSC())
    gateway = await start_gateway(smsc, database_url=database_url)
    acme = await add_realm(gateway, CODE, name="acme")
    await add_realm(gateway, OTHER_CODE, name="beta")
    await smsc.wait_for("bound", 1)
    to_acme = await subscribe(gateway, "acme", receivers, "message.inbound,optout.changed")
    to_beta = await subscribe(gateway, "beta", receivers)

    await smsc.inject_mo("2065550123", CODE, gsm7_encode("STOP"))
    await smsc.inject_mo("2065550123", CODE, gsm7_encode("Hello there"))
    await gateway.optouts.add(acme, "12065550199", "", source="cli")
    await gateway.optouts.remove(acme, "12065550123", CODE, source="api")
    await to_acme.wait_for(5, timeout=TIMEOUT, what="acme's events")
    assert all(r.verified for r in to_acme.received)
    got = sorted(
        (r.json["type"], r.json["data"].get("keyword") or "", r.json["data"].get("direction", ""))
        for r in to_acme.received
    )
    assert got == [
        ("message.inbound", "", ""),
        ("message.inbound", "STOP", ""),
        ("optout.changed", "", "in"),
        ("optout.changed", "", "out"),
        ("optout.changed", "", "out"),
    ]
    changes = {
        (d["phone"], d["sender_code"], d["source"], d["direction"])
        for r in to_acme.received
        if (d := r.json["data"]) and r.json["type"] == "optout.changed"
    }
    assert changes == {
        ("12065550123", CODE, "mo", "out"),
        ("12065550199", "", "cli", "out"),
        ("12065550123", CODE, "api", "in"),
    }
    inbound = [r.json["data"] for r in to_acme.received if r.json["type"] == "message.inbound"]
    assert {(d["from"], d["to"], d["text"]) for d in inbound} == {
        ("12065550123", CODE, "STOP"),
        ("12065550123", CODE, "Hello there"),
    }
    # the STOP's reply to the phone is a message of acme's: beta hears of none of this
    await wait_status_any(gateway)
    assert to_beta.received == []
    async with gateway.db.reader.connect() as conn:
        beta_events = await conn.scalar(
            select(func.count())
            .select_from(s.webhook_events)
            .where(s.webhook_events.c.realm_id != acme)
        )
    assert beta_events == 0


async def wait_status_any(gateway: Gateway) -> None:
    """Until the STOP's confirmation has been delivered (so all its events were written)."""
    async with gateway.db.reader.connect() as conn:
        ids = list(await conn.scalars(select(s.messages.c.id)))
    await wait_status(gateway, ids, "delivered")
