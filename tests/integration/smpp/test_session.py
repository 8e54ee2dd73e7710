"""ESME session against the simulator over real TCP on 127.0.0.1."""

import asyncio
import dataclasses

import pytest

from smsgate.constants import SMPP_MAX_SEQUENCE
from smsgate.smpp.client import connect, submit_response
from smsgate.smpp.errors import (
    BindFailed,
    ConnectionLost,
    GenericNackError,
    SmppTimeout,
)
from smsgate.smpp.pdu import (
    TLV_MESSAGE_STATE,
    TLV_RECEIPTED_MESSAGE_ID,
    CommandStatus,
    DeliverSm,
    DeliverSmResp,
    EnquireLink,
    EnquireLinkResp,
    GenericNack,
    Pdu,
    SubmitSm,
    SubmitSmResp,
    Unbind,
    UnbindResp,
    encode,
    get_tlv,
)
from smsgate.smpp.simulator import SmscSession, SmscSimulator
from tests.fakes.smsc import (
    DropConnectionSMSC,
    MalformedPduSMSC,
    SilentEnquireLinkSMSC,
    SlowResponseSMSC,
)
from tests.integration.smpp.support import (
    RECEIPTED,
    SUBMIT,
    EsmeFactory,
    Inbox,
    SmscFactory,
)

S = CommandStatus


class HeldSMSC(SmscSimulator):
    """Answers submits only once `release` is set (to observe the window)."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()

    async def on_submit(self, session: SmscSession, pdu: SubmitSm) -> SubmitSmResp | None:
        await self.release.wait()
        return self.accept(pdu)


class NackingSMSC(SmscSimulator):
    """Answers submit_sm with generic_nack ESME_RTHROTTLED."""

    async def on_submit(self, session: SmscSession, pdu: SubmitSm) -> SubmitSmResp | None:
        session.send(GenericNack(command_status=S.ESME_RTHROTTLED), pdu.sequence_number)
        return None


async def test_bind_and_submit_1000_with_window(smsc: SmscFactory, esme: EsmeFactory) -> None:
    sim = await smsc(credentials={"gateway": "secret"})
    session = await esme(sim, window=50)
    assert session.bind_mode == "transceiver" and session.smsc_system_id == "SMSCSIM"
    resps = await asyncio.gather(*(session.submit(SUBMIT) for _ in range(1000)))
    assert all(r.command_status == S.ESME_ROK for r in resps)
    assert len({r.message_id for r in resps}) == 1000
    assert len(sim.submitted) == 1000 and set(sim.messages) == {r.message_id for r in resps}
    assert session.outstanding == 0 and session.in_flight == 0


async def test_window_bounds_outstanding_submits(smsc: SmscFactory, esme: EsmeFactory) -> None:
    sim = await smsc(HeldSMSC)
    assert isinstance(sim, HeldSMSC)
    session = await esme(sim, window=5)
    submits = [asyncio.create_task(session.submit(SUBMIT)) for _ in range(20)]
    await sim.wait_for_submits(5)
    # request() bypasses the window; its answer proves nothing else was written before it
    assert isinstance(await session.request(EnquireLink()), EnquireLinkResp)
    assert sim.counters["submit_sm"] == 5 and session.outstanding == 5
    assert session.in_flight == 20
    sim.release.set()
    assert len(await asyncio.gather(*submits)) == 20


async def test_receipts_arrive_with_hex_and_decimal_ids(
    smsc: SmscFactory, esme: EsmeFactory
) -> None:
    sim = await smsc()
    inbox = Inbox()
    session = await esme(sim, window=10, on_deliver_sm=inbox)
    resps = await asyncio.gather(*(session.submit(RECEIPTED) for _ in range(50)))
    receipts = await inbox.wait_for(50)
    await sim.wait_for("deliver_sm_acked", 50)
    by_hex = {r.message_id for r in resps}
    for receipt in receipts:
        assert receipt.esm_class == 0x04
        text = receipt.short_message.decode()
        decimal = text.split()[0].removeprefix("id:")
        assert f"{int(decimal):x}" in by_hex  # decimal in the text, hex in submit_sm_resp
        assert get_tlv(receipt.tlvs, TLV_RECEIPTED_MESSAGE_ID) == f"{int(decimal):x}\0".encode()
        assert get_tlv(receipt.tlvs, TLV_MESSAGE_STATE) == b"\x02"
        assert "stat:DELIVRD" in text and text.endswith("text:hi")
        assert receipt.source_addr == "15551234567" and receipt.destination_addr == "12345"


async def test_receipt_goes_to_the_receiver_of_a_split_bind(
    smsc: SmscFactory, esme: EsmeFactory
) -> None:
    sim = await smsc()
    inbox = Inbox()
    tx = await esme(sim, bind="transmitter")
    await esme(sim, bind="receiver", on_deliver_sm=inbox)
    await tx.submit(RECEIPTED)
    assert len(await inbox.wait_for(1)) == 1


async def test_receipt_is_queued_until_a_receiver_binds(
    smsc: SmscFactory, esme: EsmeFactory
) -> None:
    sim = await smsc()
    tx = await esme(sim, bind="transmitter")
    await tx.submit(RECEIPTED)
    assert sim.counters["receipts_queued"] == 1
    inbox = Inbox()
    await esme(sim, bind="receiver", on_deliver_sm=inbox)
    assert len(await inbox.wait_for(1)) == 1


async def test_mo_injection_reaches_on_deliver_sm(smsc: SmscFactory, esme: EsmeFactory) -> None:
    sim = await smsc()
    inbox = Inbox()
    await esme(sim, bind="receiver", on_deliver_sm=inbox)
    status = await sim.inject_mo("15551234567", "12345", b"STOP", tlvs=[(0x0204, b"\x00\x01")])
    assert status == S.ESME_ROK
    (mo,) = inbox.items
    assert (mo.source_addr, mo.destination_addr, mo.short_message) == (
        "15551234567",
        "12345",
        b"STOP",
    )
    assert mo.esm_class == 0 and mo.tlvs == ((0x0204, b"\x00\x01"),)
    assert sim.delivered == [(sim.delivered[0][0], S.ESME_ROK)]


async def test_callback_outcome_decides_deliver_sm_resp(
    smsc: SmscFactory, esme: EsmeFactory
) -> None:
    sim = await smsc()
    outcomes: list[object] = []

    async def store(pdu: DeliverSm) -> int | None:
        await asyncio.sleep(0)
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome  # type: ignore[return-value]

    await esme(sim, on_deliver_sm=store)
    outcomes.extend([None, RuntimeError("database down"), S.ESME_RX_T_APPN])
    assert await sim.inject_mo("1", "2", b"a") == S.ESME_ROK
    assert await sim.inject_mo("1", "2", b"b") == S.ESME_RSYSERR  # never ack what we lost
    assert await sim.inject_mo("1", "2", b"c") == S.ESME_RX_T_APPN


async def test_sync_callback_raising_is_answered_with_syserr(
    smsc: SmscFactory, esme: EsmeFactory
) -> None:
    sim = await smsc()

    def broken(pdu: DeliverSm) -> None:
        raise ValueError("cannot store")

    await esme(sim, on_deliver_sm=broken)
    assert await sim.inject_mo("1", "2", b"x") == S.ESME_RSYSERR


async def test_a_callback_future_is_answered_when_it_is_done(
    smsc: SmscFactory, esme: EsmeFactory
) -> None:
    """The receipt path returns a future (no task per deliver_sm): None is ESME_ROK, an int
    is that status, an exception is ESME_RSYSERR; and nothing is answered before it is done."""
    sim = await smsc()
    futures: asyncio.Queue[asyncio.Future[int | None]] = asyncio.Queue()

    def store(pdu: DeliverSm) -> asyncio.Future[int | None]:
        future: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        futures.put_nowait(future)
        return future

    session = await esme(sim, on_deliver_sm=store)
    outcomes: list[int | Exception | None] = [None, S.ESME_RX_T_APPN, RuntimeError("disk gone")]
    for outcome, expected in zip(
        outcomes, [S.ESME_ROK, S.ESME_RX_T_APPN, S.ESME_RSYSERR], strict=True
    ):
        answer = asyncio.create_task(sim.inject_mo("1", "2", b"x"))
        future = await futures.get()
        assert not answer.done() and len(session._tasks) == 1  # waiting, and no task for it
        assert not any(isinstance(pending, asyncio.Task) for pending in session._tasks)
        if isinstance(outcome, Exception):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
        assert await answer == expected
    assert not session._tasks


async def test_unbind_waits_for_a_callback_future(smsc: SmscFactory, esme: EsmeFactory) -> None:
    sim = await smsc()
    futures: asyncio.Queue[asyncio.Future[None]] = asyncio.Queue()

    def store(pdu: DeliverSm) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        futures.put_nowait(future)
        return future

    session = await esme(sim, on_deliver_sm=store)
    answer = asyncio.create_task(sim.inject_mo("1", "2", b"x"))
    future = await futures.get()
    unbind = asyncio.create_task(session.unbind(timeout=10))
    await asyncio.sleep(0)  # one loop step: unbind is now waiting for the handler
    assert not unbind.done()
    future.set_result(None)
    assert await answer == S.ESME_ROK  # answered before the unbind closed the session
    await unbind
    assert not session.is_open


async def test_nacked_receipt_is_redelivered(smsc: SmscFactory, esme: EsmeFactory) -> None:
    sim = await smsc(redeliver_delay=0.01)
    statuses = [S.ESME_RSYSERR, None]
    inbox = Inbox()

    def flaky(pdu: DeliverSm) -> int | None:
        inbox(pdu)
        return statuses.pop(0)

    session = await esme(sim, on_deliver_sm=flaky)
    await session.submit(RECEIPTED)
    first, second = await inbox.wait_for(2)
    assert first.short_message == second.short_message and first.tlvs == second.tlvs
    await sim.wait_for("deliver_sm_acked", 1)
    assert sim.counters["deliver_sm_nacked"] == 1


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("unknown_command", GenericNack(command_status=S.ESME_RINVCMDID)),
        ("truncated", DeliverSmResp(command_status=S.ESME_RINVCMDLEN)),
        ("garbage", DeliverSmResp(command_status=S.ESME_RINVSERTYP)),
    ],
)
async def test_malformed_pdus_are_answered_and_the_session_survives(
    smsc: SmscFactory, esme: EsmeFactory, kind: str, expected: Pdu
) -> None:
    sim = await smsc(MalformedPduSMSC, kind=kind)
    assert isinstance(sim, MalformedPduSMSC)
    session = await esme(sim, on_deliver_sm=Inbox())
    reply = await sim.send_malformed()
    assert reply is not None and type(reply) is type(expected)
    assert reply.command_status == expected.command_status
    assert (await session.submit(SUBMIT)).command_status == S.ESME_ROK
    assert session.is_open


async def test_malformed_pdus_after_submits(smsc: SmscFactory, esme: EsmeFactory) -> None:
    sim = await smsc(MalformedPduSMSC, kind="unknown_command", every=2)
    assert isinstance(sim, MalformedPduSMSC)
    session = await esme(sim, window=4)
    resps = await asyncio.gather(*(session.submit(SUBMIT) for _ in range(10)))
    assert all(r.command_status == S.ESME_ROK for r in resps)
    await sim.wait_for("malformed_replies", 5)
    assert all(isinstance(r, GenericNack) for r in sim.replies)


async def test_bad_command_length_closes_the_connection(
    smsc: SmscFactory, esme: EsmeFactory
) -> None:
    sim = await smsc(MalformedPduSMSC, kind="bad_length")
    assert isinstance(sim, MalformedPduSMSC)
    session = await esme(sim)
    reply = await sim.send_malformed()
    assert reply == GenericNack(sequence_number=reply.sequence_number, command_status=2)  # type: ignore[union-attr]
    await asyncio.wait_for(session.wait_closed(), 5)
    with pytest.raises(ConnectionLost):
        await session.submit(SUBMIT)


async def test_connection_drop_fails_pending_requests(smsc: SmscFactory, esme: EsmeFactory) -> None:
    sim = await smsc(DropConnectionSMSC, after=5)
    session = await esme(sim, window=10)
    results = await asyncio.gather(
        *(session.submit(SUBMIT) for _ in range(10)), return_exceptions=True
    )
    answered = [r for r in results if isinstance(r, SubmitSmResp)]
    lost = [r for r in results if isinstance(r, ConnectionLost)]
    assert len(answered) == 5 and len(lost) == 5
    assert await session.wait_closed() is None  # closed by the peer, cleanly
    assert session.outstanding == 0


async def test_request_timeout_then_late_response_is_ignored(
    smsc: SmscFactory, esme: EsmeFactory
) -> None:
    sim = await smsc(SlowResponseSMSC, delay=0.2)
    session = await esme(sim)
    with pytest.raises(SmppTimeout):
        await session.submit(SUBMIT, timeout=0.05)
    assert session.outstanding == 0
    await sim.wait_for("submit_sm", 1)
    assert (await session.submit(SUBMIT, timeout=2)).command_status == S.ESME_ROK
    assert session.is_open  # the late response for the first one was dropped quietly


async def test_generic_nack_fails_the_pending_request(smsc: SmscFactory, esme: EsmeFactory) -> None:
    sim = await smsc(NackingSMSC)
    session = await esme(sim)
    resp = await session.submit(SUBMIT)  # submit() folds generic_nack into the status
    assert resp.command_status == S.ESME_RTHROTTLED and resp.message_id == ""
    with pytest.raises(GenericNackError) as caught:
        await session.request(SUBMIT)
    assert caught.value.status == S.ESME_RTHROTTLED


async def test_submit_nowait_answers_like_submit(smsc: SmscFactory, esme: EsmeFactory) -> None:
    sim = await smsc()
    session = await esme(sim)
    futures = [session.submit_nowait(SUBMIT) for _ in range(20)]
    assert all(f is not None for f in futures)
    assert session.in_flight == 20  # written at once, counted until answered
    await asyncio.gather(*(f for f in futures if f is not None))
    resps = [submit_response(f) for f in futures if f is not None]
    assert [r.command_status for r in resps] == [S.ESME_ROK] * 20
    assert {r.message_id for r in resps} == set(sim.messages)
    assert session.in_flight == 0


async def test_a_submit_sm_body_goes_out_as_its_submit_sm(
    smsc: SmscFactory, esme: EsmeFactory
) -> None:
    """The dispatcher submits bodies encoded once (`submit_sm_body`): the SMSC reads the very
    submit_sm the dataclass would have made, under the session's own sequence numbers."""
    sim = await smsc()
    session = await esme(sim, window=5)
    body = encode(RECEIPTED)[16:]
    assert (await session.submit(body)).command_status == S.ESME_ROK
    seen: list[tuple[int, int, bool]] = []

    def then(fut: "asyncio.Future[Pdu]") -> None:  # after the session's own bookkeeping
        seen.append((session.in_flight, window._value, fut.done()))

    window = session._window
    assert window is not None
    fut = session.submit_nowait(body, then=then)
    assert fut is not None and session.in_flight == 1
    await asyncio.wait([fut])
    await asyncio.sleep(0)
    assert seen == [(0, 5, True)]
    assert submit_response(fut).command_status == S.ESME_ROK
    sent = list(sim.messages.values())
    assert [dataclasses.replace(p, sequence_number=0) for p in sent] == [RECEIPTED] * 2
    assert sent[0].sequence_number != sent[1].sequence_number


async def test_submit_response_folds_generic_nack(smsc: SmscFactory, esme: EsmeFactory) -> None:
    sim = await smsc(NackingSMSC)
    session = await esme(sim)
    fut = session.submit_nowait(SUBMIT)
    assert fut is not None
    await asyncio.wait([fut])
    resp = submit_response(fut)
    assert resp.command_status == S.ESME_RTHROTTLED and resp.message_id == ""


async def test_submit_nowait_error_is_raised_by_submit_response(
    smsc: SmscFactory, esme: EsmeFactory
) -> None:
    sim = await smsc(SlowResponseSMSC, delay=30)
    session = await esme(sim)
    fut = session.submit_nowait(SUBMIT)
    assert fut is not None
    await sim.wait_for_submits(1)
    session.abort()
    await asyncio.wait([fut])
    with pytest.raises(ConnectionLost):
        submit_response(fut)
    assert session.in_flight == 0


async def test_submit_nowait_declines_what_submit_would_wait_for(
    smsc: SmscFactory, esme: EsmeFactory
) -> None:
    sim = await smsc(SlowResponseSMSC, delay=0.05)
    windowed = await esme(sim, window=1)
    first = windowed.submit_nowait(SUBMIT)
    assert first is not None
    assert windowed.submit_nowait(SUBMIT) is None  # the window is full: submit() would wait
    await asyncio.wait([first])
    again = windowed.submit_nowait(SUBMIT)  # the answer freed the slot
    assert again is not None
    await asyncio.wait([again])
    session = await esme(sim)
    pending = session.submit_nowait(SUBMIT)
    assert pending is not None
    unbinding = asyncio.create_task(session.unbind(timeout=5))
    await asyncio.sleep(0)  # unbind() has started and waits for the outstanding submit
    assert session.submit_nowait(SUBMIT) is None
    await unbinding  # ... which its answer lets go on
    assert submit_response(pending).command_status == S.ESME_ROK
    assert session.submit_nowait(SUBMIT) is None  # closed
    assert sim.counters["submit_sm"] == 3


async def test_enquire_link_is_answered_both_ways(smsc: SmscFactory, esme: EsmeFactory) -> None:
    sim = await smsc()
    session = await esme(sim)
    assert isinstance(await session.request(EnquireLink()), EnquireLinkResp)
    (smsc_side,) = sim.sessions
    assert isinstance(await smsc_side.request(EnquireLink()), EnquireLinkResp)


async def test_keepalive_sends_enquire_link_when_idle(smsc: SmscFactory, esme: EsmeFactory) -> None:
    sim = await smsc()
    await esme(sim, enquire_link_interval=0.02)
    await sim.wait_for("enquire_link", 3)


async def test_unanswered_enquire_link_closes_the_connection(
    smsc: SmscFactory, esme: EsmeFactory
) -> None:
    sim = await smsc(SilentEnquireLinkSMSC)
    session = await esme(sim, enquire_link_interval=0.02, enquire_link_timeout=0.05)
    await asyncio.wait_for(session.wait_closed(), 5)
    assert sim.counters["enquire_link"] >= 1


async def test_unbind_waits_for_outstanding_submits(smsc: SmscFactory, esme: EsmeFactory) -> None:
    sim = await smsc(SlowResponseSMSC, delay=0.05)
    session = await esme(sim, window=10)
    submits = [asyncio.create_task(session.submit(SUBMIT)) for _ in range(3)]
    await sim.wait_for_submits(3)
    await session.unbind(timeout=5)
    assert [t.result().command_status for t in submits] == [S.ESME_ROK] * 3
    assert sim.counters["unbind"] == 1
    assert session.closed.done()
    with pytest.raises(ConnectionLost):
        await session.submit(SUBMIT)


async def test_unbind_is_bounded_when_the_peer_never_answers(
    smsc: SmscFactory, esme: EsmeFactory
) -> None:
    sim = await smsc(SlowResponseSMSC, delay=30)
    session = await esme(sim)
    task = asyncio.create_task(session.submit(SUBMIT))
    await sim.wait_for_submits(1)
    await session.unbind(timeout=0.1)
    with pytest.raises(ConnectionLost):
        await task


async def test_smsc_initiated_unbind(smsc: SmscFactory, esme: EsmeFactory) -> None:
    sim = await smsc()
    session = await esme(sim)
    (smsc_side,) = sim.sessions
    assert isinstance(await smsc_side.request(Unbind()), UnbindResp)
    await asyncio.wait_for(session.wait_closed(), 5)


async def test_sequence_numbers_wrap(smsc: SmscFactory, esme: EsmeFactory) -> None:
    sim = await smsc()
    session = await esme(sim)
    session._seq = SMPP_MAX_SEQUENCE - 1
    for _ in range(3):
        await session.submit(SUBMIT)
    assert [p.sequence_number for p in sim.submitted] == [SMPP_MAX_SEQUENCE, 1, 2]


async def test_paused_transport_holds_requests(smsc: SmscFactory, esme: EsmeFactory) -> None:
    sim = await smsc()
    session = await esme(sim)
    session.pause_writing()
    task = asyncio.create_task(session.submit(SUBMIT))
    assert isinstance(await session.begin_request(EnquireLink()), EnquireLinkResp)
    assert not task.done() and sim.counters["submit_sm"] == 0
    session.resume_writing()
    assert (await task).command_status == S.ESME_ROK


@pytest.mark.parametrize(
    ("credentials", "password", "status"),
    [
        ({"gateway": "secret"}, "wrong", S.ESME_RINVPASWD),
        ({"other": "secret"}, "secret", S.ESME_RINVSYSID),
    ],
)
async def test_bad_credentials_raise_bind_failed(
    smsc: SmscFactory, credentials: dict[str, str], password: str, status: int
) -> None:
    sim = await smsc(credentials=credentials)
    with pytest.raises(BindFailed) as caught:
        await connect("127.0.0.1", sim.port, system_id="gateway", password=password)
    assert caught.value.status == status
    assert sim.counters["bound"] == 0


async def test_connect_refused_raises_oserror(smsc: SmscFactory) -> None:
    sim = await smsc()
    port = sim.port
    await sim.stop()
    with pytest.raises(OSError):
        await connect("127.0.0.1", port, system_id="a", password="b")
