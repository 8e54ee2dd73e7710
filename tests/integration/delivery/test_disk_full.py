"""A full disk: receipts that cannot be written are refused with a temporary error, the SMSC
delivers them again, and once there is room every message ends `delivered`.

The disk is a real one: a small tmpfs (tests/filesystems.py) holding the SQLite database,
filled with a file until the kernel answers ENOSPC, so the gateway meets SQLITE_FULL from the
real engine, and freed by deleting that file.
"""

from pathlib import Path

import pytest
from pydantic import ValidationError

from smsgate.bootstrap import build
from smsgate.domain.encoding import gsm7_encode
from smsgate.settings import Settings
from smsgate.smpp.codes import CommandStatus
from smsgate.smpp.pdu import TLV_RECEIPTED_MESSAGE_ID, get_tlv
from smsgate.smpp.simulator import SmscSimulator
from tests.fakes.smsc import HappySMSC, HeldReceiptsSMSC
from tests.filesystems import MountTmpfs, fill
from tests.integration.delivery.conftest import (
    CODE,
    StartGateway,
    StartSmsc,
    add_realm,
    rows,
    send_many,
    wait_status,
)

N = 20


def refused(smsc: SmscSimulator) -> set[bytes | None]:
    """The receipts (by message id) the gateway has refused at least once."""
    return {
        get_tlv(pdu.tlvs, TLV_RECEIPTED_MESSAGE_ID)
        for pdu, status in smsc.delivered
        if status != CommandStatus.ESME_ROK
    }


async def test_receipts_refused_on_a_full_disk_are_delivered_again_and_applied(
    start_smsc: StartSmsc, start_gateway: StartGateway, mount_tmpfs: MountTmpfs
) -> None:
    disk = mount_tmpfs("disk", size="8m")
    smsc = await start_smsc(
        HeldReceiptsSMSC(redeliver_delay=0.05, redeliver_max_delay=0.4, redeliver_attempts=200)
    )
    assert isinstance(smsc, HeldReceiptsSMSC)
    gateway = await start_gateway(smsc, database_url=f"sqlite+aiosqlite:///{disk}/smsgate.db")
    realm_id = await add_realm(gateway)
    messages = await send_many(gateway, realm_id, N)
    await wait_status(gateway, messages, "sent")

    filler = fill(disk)
    assert smsc.release_receipts() == N
    while len(refused(smsc)) < N:  # every receipt refused at least once (each refusal counts)
        await smsc.wait_for("deliver_sm_nacked", smsc.counters["deliver_sm_nacked"] + 1)
    assert {status for _, status in smsc.delivered} == {CommandStatus.ESME_RX_T_APPN}
    assert {row.status for row in (await rows(gateway, [m.id for m in messages])).values()} == {
        "sent"
    }

    filler.unlink()  # room again: the next redelivery of each receipt is stored
    await wait_status(gateway, messages, "delivered")
    assert smsc.counters["receipts_dropped"] == 0
    assert smsc.counters["deliver_sm_acked"] == N


async def test_the_built_in_simulator_redelivers_as_the_settings_say(tmp_path: Path) -> None:
    gateway = build(
        Settings(
            data_dir=tmp_path,
            simulator_port=0,
            simulator_receipt_retries=7,
            simulator_receipt_retry_delay=0.25,
            simulator_receipt_retry_max_delay=4.0,
        )
    )
    try:
        assert gateway.simulator is not None
        assert gateway.simulator.redeliver_attempts == 7
        backoff = gateway.simulator.redelivery
        assert (backoff.initial, backoff.maximum) == (0.25, 4.0)
    finally:
        await gateway.stop()


def test_a_retry_delay_above_its_maximum_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least simulator_receipt_retry_delay"):
        Settings(simulator_receipt_retry_delay=5.0, simulator_receipt_retry_max_delay=1.0)


async def test_an_inbound_message_on_a_full_disk_is_refused_for_now(
    start_smsc: StartSmsc, start_gateway: StartGateway, mount_tmpfs: MountTmpfs
) -> None:
    disk = mount_tmpfs("disk", size="8m")
    smsc = await start_smsc(HappySMSC())
    gateway = await start_gateway(smsc, database_url=f"sqlite+aiosqlite:///{disk}/smsgate.db")
    realm_id = await add_realm(gateway)
    await smsc.wait_for("bound", 1)
    stop = gsm7_encode("STOP")

    filler = fill(disk)
    assert await smsc.inject_mo("12065550123", CODE, stop) == CommandStatus.ESME_RX_T_APPN
    filler.unlink()
    assert await smsc.inject_mo("12065550123", CODE, stop) == CommandStatus.ESME_ROK  # again
    assert len(await gateway.optouts.list(realm_id)) == 1
