"""What the SMSC can do wrong, and what the gateway does about it: throttling, permanent errors,
dropped connections, slow answers, malformed PDUs."""

from collections import Counter
from collections.abc import Callable

import pytest

from smsgate.smpp.codes import CommandStatus
from smsgate.smpp.pdu import DeliverSmResp, GenericNack
from smsgate.smpp.simulator import SmscSimulator
from tests.fakes.more_smsc import InstrumentedSMSC
from tests.fakes.smsc import (
    BindRefusedSMSC,
    DropConnectionSMSC,
    ErrorOnSubmitSMSC,
    MalformedPduSMSC,
    QueueFullSMSC,
    RejectingSMSC,
    SilentEnquireLinkSMSC,
    ThrottlingSMSC,
)
from tests.integration.delivery.conftest import (
    StartGateway,
    StartSmsc,
    add_realm,
    parts,
    rows,
    send,
    send_many,
    wait_status,
)


def accepted_phones(smsc: SmscSimulator) -> Counter[str]:
    """How often the SMSC ACCEPTED a submit to each phone (answered ESME_ROK)."""
    return Counter(pdu.destination_addr for pdu in smsc.messages.values())


@pytest.mark.parametrize(
    "make",
    [
        lambda: ThrottlingSMSC(first=6),
        lambda: ThrottlingSMSC(first=0, every=3),
        lambda: QueueFullSMSC(first=6),
        lambda: QueueFullSMSC(first=0, every=4),
    ],
    ids=["throttled-first", "throttled-every-3rd", "queue-full-first", "queue-full-every-4th"],
)
async def test_throttled_submits_are_sent_again_exactly_once(
    start_smsc: StartSmsc, start_gateway: StartGateway, make: Callable[[], RejectingSMSC]
) -> None:
    smsc = await start_smsc(make())
    gateway = await start_gateway(smsc, request_receipts=False)
    realm_id = await add_realm(gateway)

    messages = await send_many(gateway, realm_id, 20)
    found = await wait_status(gateway, messages, "sent", "failed")

    assert {r.status for r in found.values()} == {"sent"}
    assert smsc.rejected >= 5
    assert accepted_phones(smsc) == Counter(m.phone for m in messages)  # once each
    assert len(smsc.submitted) == 20 + smsc.rejected


async def test_syserr_is_retried(start_smsc: StartSmsc, start_gateway: StartGateway) -> None:
    smsc = await start_smsc(RejectingSMSC(CommandStatus.ESME_RSYSERR, first=2))
    gateway = await start_gateway(smsc, request_receipts=False)
    realm_id = await add_realm(gateway)

    message = await send(gateway, realm_id)
    await wait_status(gateway, [message], "sent")
    assert smsc.counters["submit_sm"] == 3


async def test_permanent_error_fails_the_message_with_the_smpp_status(
    start_smsc: StartSmsc, start_gateway: StartGateway
) -> None:
    smsc = await start_smsc(ErrorOnSubmitSMSC(CommandStatus.ESME_RINVDSTADR))
    gateway = await start_gateway(smsc)
    realm_id = await add_realm(gateway)

    single = await send(gateway, realm_id)
    multipart = await send(gateway, realm_id, "y" * 300)
    found = await wait_status(gateway, [single, multipart], "failed", "sent")

    for row in found.values():
        assert row.status == "failed"
        assert row.error is not None and "ESME_RINVDSTADR" in row.error
    assert await parts(gateway, multipart.id) == []
    # never retried: one submit for the single-part message, at most two for the other
    assert Counter(p.destination_addr for p in smsc.submitted)[single.phone] == 1
    assert smsc.messages == {}


async def test_dropped_connection_mid_window_loses_nothing(
    start_smsc: StartSmsc, start_gateway: StartGateway
) -> None:
    window = 10
    smsc = await start_smsc(DropConnectionSMSC(after=7))
    gateway = await start_gateway(smsc, window=window, request_receipts=False)
    realm_id = await add_realm(gateway)

    messages = await send_many(gateway, realm_id, 40)
    found = await wait_status(gateway, messages, "sent", "failed")

    assert {r.status for r in found.values()} == {"sent"}
    assert smsc.drops == 1
    assert smsc.counters["bound"] == 2  # bound again after the drop
    accepted = accepted_phones(smsc)
    assert set(accepted) == {m.phone for m in messages}
    submitted = Counter(p.destination_addr for p in smsc.submitted)
    duplicates = sum(n - 1 for n in submitted.values())
    assert 1 <= duplicates <= window  # the unanswered window went again, nothing more


async def test_slow_smsc_never_has_more_than_window_submits_outstanding(
    start_smsc: StartSmsc, start_gateway: StartGateway
) -> None:
    smsc = await start_smsc(InstrumentedSMSC(delay=0.05))
    gateway = await start_gateway(smsc, window=5, request_receipts=False)
    realm_id = await add_realm(gateway)

    messages = await send_many(gateway, realm_id, 40)
    await wait_status(gateway, messages, "sent")

    assert smsc.peak == 5  # the window is used, and never exceeded
    assert len(smsc.stamps) == 40


@pytest.mark.parametrize("kind", MalformedPduSMSC.KINDS)
async def test_malformed_pdus_from_the_smsc_do_not_stop_delivery(
    start_smsc: StartSmsc, start_gateway: StartGateway, kind: str
) -> None:
    smsc = await start_smsc(MalformedPduSMSC(kind, every=4))
    gateway = await start_gateway(smsc, request_receipts=False)
    realm_id = await add_realm(gateway)

    messages = await send_many(gateway, realm_id, 20)
    found = await wait_status(gateway, messages, "sent", "failed")

    assert {r.status for r in found.values()} == {"sent"}
    assert set(accepted_phones(smsc)) == {m.phone for m in messages}
    if kind == "bad_length":  # the stream cannot be re-synchronised: a new connection
        assert smsc.counters["bound"] >= 2
    else:  # answered with an error status on the same connection
        await smsc.wait_for("malformed_replies", 5)
        assert smsc.counters["bound"] == 1
        assert smsc.replies
        for reply in smsc.replies:
            assert isinstance(reply, GenericNack | DeliverSmResp)
            assert reply.command_status != CommandStatus.ESME_ROK


async def test_refused_bind_is_retried_and_nothing_fails_meanwhile(
    start_smsc: StartSmsc, start_gateway: StartGateway
) -> None:
    smsc = await start_smsc(BindRefusedSMSC())
    gateway = await start_gateway(smsc, request_receipts=False)
    realm_id = await add_realm(gateway)

    messages = await send_many(gateway, realm_id, 5)
    await smsc.wait_for("bind", 3)  # refused, and tried again with backoff
    assert {r.status for r in (await rows(gateway, [m.id for m in messages])).values()} <= {
        "queued",
        "sending",
    }
    smsc.status = CommandStatus.ESME_ROK  # the carrier fixed the account
    await wait_status(gateway, messages, "sent")
    assert smsc.counters["bound"] == 1
    assert len(smsc.submitted) == 5


async def test_half_dead_link_is_dropped_and_bound_again(
    start_smsc: StartSmsc, start_gateway: StartGateway
) -> None:
    smsc = await start_smsc(SilentEnquireLinkSMSC())
    gateway = await start_gateway(
        smsc, enquire_link_interval=0.1, response_timeout=0.3, request_receipts=False
    )
    realm_id = await add_realm(gateway)

    await smsc.wait_for("enquire_link", 1)  # idle: probed, no answer ...
    await smsc.wait_for("bound", 2)  # ... so the gateway gave up on the session and bound again
    message = await send(gateway, realm_id)
    await wait_status(gateway, [message], "sent")
