"""Opt-outs that arrive after acceptance, crash recovery and graceful shutdown."""

import asyncio
import time
from collections import Counter
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import insert, update

from smsgate.bootstrap import Gateway
from smsgate.store import schema as s
from tests.fakes.more_smsc import InstrumentedSMSC
from tests.fakes.smsc import HappySMSC
from tests.integration.delivery.conftest import (
    CODE,
    StartGateway,
    StartSmsc,
    add_realm,
    parts,
    rows,
    send,
    send_many,
    wait_status,
)


def resent_after_restart() -> float:
    return REGISTRY.get_sample_value("smsgate_resent_after_restart_total") or 0.0


async def claimed_before_crash(gateway: Gateway, ids: list[str]) -> None:
    async with gateway.db.write_engine.begin() as conn:
        await conn.execute(
            update(s.messages).where(s.messages.c.id.in_(ids)).values(status="sending", attempts=1)
        )


async def test_opt_out_after_acceptance_wins_at_claim(
    start_smsc: StartSmsc, start_gateway: StartGateway
) -> None:
    smsc = await start_smsc(HappySMSC())
    api_only = await start_gateway(None, dispatch=False)  # accepts, does not dispatch
    realm_id = await add_realm(api_only)
    code_out = await send(api_only, realm_id)
    realm_out = await send(api_only, realm_id)
    kept = await send(api_only, realm_id)
    await api_only.optouts.add(realm_id, code_out.phone, CODE, source="cli")
    await api_only.optouts.add(realm_id, realm_out.phone, source="cli")  # realm-wide
    await api_only.stop()

    gateway = await start_gateway(smsc)
    found = await wait_status(gateway, [code_out, realm_out, kept], "failed", "delivered")

    assert (found[code_out.id].status, found[code_out.id].error) == ("failed", "opted out")
    assert (found[realm_out.id].status, found[realm_out.id].error) == ("failed", "opted out")
    assert found[kept.id].status == "delivered"
    assert [p.destination_addr for p in smsc.submitted] == [kept.phone]


async def test_opt_out_while_waiting_in_the_sender_lane_wins(
    start_smsc: StartSmsc, start_gateway: StartGateway
) -> None:
    smsc = await start_smsc(InstrumentedSMSC())
    gateway = await start_gateway(smsc, request_receipts=False)
    realm_id = await add_realm(gateway, max_tps=2)  # 5 messages: the last waits ~2 s

    messages = await send_many(gateway, realm_id, 5)
    await smsc.wait_for_submits(1)  # claimed: past the opt-out check of the claim
    last = messages[-1]
    await gateway.optouts.add(realm_id, last.phone, CODE, source="cli")
    found = await wait_status(gateway, messages, "sent", "failed")

    assert (found[last.id].status, found[last.id].error) == ("failed", "opted out")
    assert {found[m.id].status for m in messages[:-1]} == {"sent"}
    assert last.phone not in {p.destination_addr for _, p in smsc.stamps}


async def test_messages_left_sending_by_a_crash_are_sent_again(
    start_smsc: StartSmsc, start_gateway: StartGateway
) -> None:
    smsc = await start_smsc(HappySMSC())
    before = await start_gateway(None, dispatch=False)
    realm_id = await add_realm(before)
    single = await send_many(before, realm_id, 3)
    multipart = await send(before, realm_id, "z" * 400)  # 3 parts; part 1 got through
    await claimed_before_crash(before, [m.id for m in [*single, multipart]])
    async with before.db.write_engine.begin() as conn:
        await conn.execute(
            insert(s.message_parts).values(
                message_id=multipart.id,
                part_no=1,
                connection="carrier",
                smsc_message_id="ff01",
                status="sent",
                updated_at=time.time(),
            )
        )
    await before.stop()
    counted = resent_after_restart()

    gateway = await start_gateway(smsc)
    found = await wait_status(gateway, [*single, multipart], "delivered", "sent", "failed")

    assert resent_after_restart() - counted == 4
    assert {r.status for r in found.values()} <= {"delivered", "sent"}
    assert Counter(p.destination_addr for p in smsc.submitted) == Counter(
        {**{m.phone: 1 for m in single}, multipart.phone: 2}  # only the missing parts
    )
    assert [
        p.short_message[5] for p in smsc.submitted if p.destination_addr == multipart.phone
    ] == [
        2,
        3,
    ]
    assert [p.part_no for p in await parts(gateway, multipart.id)] == [1, 2, 3]
    assert {r.attempts for r in found.values()} == {2}


async def test_stop_releases_what_was_never_submitted(
    start_smsc: StartSmsc, start_gateway: StartGateway
) -> None:
    smsc = await start_smsc(InstrumentedSMSC(delay=0.3))
    gateway = await start_gateway(smsc, window=3, request_receipts=False)
    realm_id = await add_realm(gateway)

    messages = await send_many(gateway, realm_id, 12)
    await smsc.wait_for_submits(3)  # the window is full; the others wait in the dispatcher
    await gateway.stop()

    assert smsc.counters["unbind"] == 1
    found = await rows(gateway, [m.id for m in messages])
    by_status = Counter(r.status for r in found.values())
    submitted = {p.destination_addr for _, p in smsc.stamps}
    assert by_status["sending"] == 0, by_status
    assert by_status["sent"] == len(submitted) >= 3  # answered while stopping, and recorded
    assert by_status["queued"] == 12 - len(submitted) > 0
    for message in messages:  # queued again exactly the ones the SMSC never saw
        assert (found[message.id].status == "queued") == (message.phone not in submitted)


async def test_stop_while_a_claim_is_committing_leaves_nothing_sending(
    start_smsc: StartSmsc, start_gateway: StartGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A claim that has committed cannot be undone by cancelling the coroutine that awaits it:
    stop() must let it finish and give its messages back."""
    smsc = await start_smsc(HappySMSC())
    gateway = await start_gateway(smsc, request_receipts=False)
    realm_id = await add_realm(gateway)
    assert gateway.dispatcher is not None
    queue = gateway.dispatcher._queue
    real_claim = queue.claim
    committed = asyncio.Event()

    async def slow_claim(*args: Any, **kwargs: Any) -> Any:
        result = await real_claim(*args, **kwargs)
        committed.set()  # on disk now; the answer is still on its way to the dispatcher
        await asyncio.sleep(0.2)
        return result

    monkeypatch.setattr(queue, "claim", slow_claim)
    # no room for inserting them claimed: they are inserted queued and go through claim()
    monkeypatch.setattr(gateway.dispatcher, "reserve", lambda count: False)
    messages = await send_many(gateway, realm_id, 5)
    await committed.wait()
    await gateway.stop()

    found = await rows(gateway, [m.id for m in messages])
    submitted = {p.destination_addr for p in smsc.submitted}
    for message in messages:  # sent before the unbind, or queued again: never stranded
        assert found[message.id].status == ("sent" if message.phone in submitted else "queued")
