"""The claimed hand-off (SQLite, one dispatcher): the group commit inserts what the dispatcher
has room for already `sending`, and the dispatcher sends it without a claim transaction."""

import asyncio
from typing import Any

import pytest

from smsgate.delivery.intake import LocalIntake
from tests.fakes.smsc import HappySMSC, SlowResponseSMSC
from tests.integration.delivery.conftest import (
    StartGateway,
    StartSmsc,
    add_realm,
    rows,
    send_many,
    wait_status,
)


async def test_accepted_messages_are_stored_claimed_and_sent_without_a_claim(
    start_smsc: StartSmsc, start_gateway: StartGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    smsc = await start_smsc(SlowResponseSMSC(delay=0.5))
    gateway = await start_gateway(smsc, request_receipts=False)
    assert gateway.dispatcher is not None
    claims: list[Any] = []
    real_claim = gateway.dispatcher._queue.claim

    async def counting_claim(*args: Any, **kwargs: Any) -> Any:
        claims.append(args)
        return await real_claim(*args, **kwargs)

    monkeypatch.setattr(gateway.dispatcher._queue, "claim", counting_claim)
    realm_id = await add_realm(gateway)
    messages = await send_many(gateway, realm_id, 20)

    found = await rows(gateway, [m.id for m in messages])  # the SMSC has not answered yet
    assert {(r.status, r.attempts) for r in found.values()} == {("sending", 1)}
    await wait_status(gateway, messages, "sent")
    assert claims == []
    assert sorted(p.destination_addr for p in smsc.submitted) == sorted(m.phone for m in messages)


async def test_without_room_messages_are_queued_then_claimed(
    start_smsc: StartSmsc, start_gateway: StartGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    smsc = await start_smsc(HappySMSC())
    gateway = await start_gateway(smsc, request_receipts=False)
    assert gateway.dispatcher is not None
    monkeypatch.setattr(gateway.dispatcher, "reserve", lambda count: False)  # never room
    realm_id = await add_realm(gateway)
    messages = await send_many(gateway, realm_id, 10)
    found = await wait_status(gateway, messages, "sent")
    assert {r.attempts for r in found.values()} == {1}  # claimed once, the usual way


async def test_a_failed_commit_gives_the_room_back(
    start_smsc: StartSmsc, start_gateway: StartGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    smsc = await start_smsc(HappySMSC())
    gateway = await start_gateway(smsc, request_receipts=False)
    dispatcher = gateway.dispatcher
    assert dispatcher is not None
    realm_id = await add_realm(gateway)
    real_run = gateway.transactions.run

    async def failing(fn: Any) -> Any:
        raise OSError("disk gone")

    monkeypatch.setattr(gateway.transactions, "run", failing)
    with pytest.raises(Exception, match="disk gone"):
        await send_many(gateway, realm_id, 5)
    assert isinstance(dispatcher.intake, LocalIntake)
    assert dispatcher.intake.reserved == 0
    monkeypatch.setattr(gateway.transactions, "run", real_run)
    messages = await send_many(gateway, realm_id, 5)
    await wait_status(gateway, messages, "sent")


async def test_stop_gives_back_what_was_taken_but_not_sent(
    start_smsc: StartSmsc, start_gateway: StartGateway
) -> None:
    smsc = await start_smsc(SlowResponseSMSC(delay=0.3))
    gateway = await start_gateway(smsc, request_receipts=False, window=1)
    realm_id = await add_realm(gateway)
    messages = await send_many(gateway, realm_id, 10)  # one in flight, nine waiting in a lane
    await asyncio.sleep(0)
    await gateway.stop()
    found = await rows(gateway, [m.id for m in messages])
    submitted = {p.destination_addr for p in smsc.submitted}
    for message in messages:  # sent before the unbind, or queued again: never stranded
        assert found[message.id].status == ("sent" if message.phone in submitted else "queued")
    assert any(r.status == "queued" for r in found.values())
