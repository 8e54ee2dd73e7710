"""Interop with the `smpp34` package, a Rust/tokio SMPP 3.4 stack we did not write.

smpp34 ships a server side (`smpp34.Server`), so it plays the carrier (smpp34_smsc.py) exactly as
Net::SMPP does in test_net_smpp.py. Its client (smpp34_esme.py) is also run against our own SMSC
simulator. Both run in subprocesses: besides mirroring a real deployment, smpp34 1.5.0 can crash
the interpreter at exit (see smpp34_smsc.py), which must not take pytest along.
"""

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from smsgate.constants import ESM_CLASS_RECEIPT
from smsgate.smpp.codes import TLV_RECEIPTED_MESSAGE_ID, CommandId, CommandStatus
from smsgate.smpp.simulator import SmscSimulator
from tests.interop import support
from tests.interop.support import Env, Peer

pytestmark = pytest.mark.interop

SCRIPT = support.HERE / "smpp34_smsc.py"
ESME_SCRIPT = support.HERE / "smpp34_esme.py"


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    peer = await Peer.start(sys.executable, str(SCRIPT))
    async with support.gateway_on(peer, tmp_path) as env:
        yield env
    assert env.peer.returncode == 0, env.peer.events


async def test_bind_and_unbind(env: Env) -> None:
    bind = await support.check_bind_and_unbind(env)
    assert bind["can_receive"] is True  # a transceiver bind


async def test_gsm_text_is_sent_and_delivered(env: Env) -> None:
    await support.check_gsm_text(env)


async def test_ucs2_text_is_sent_and_delivered(env: Env) -> None:
    await support.check_ucs2_text(env)


@pytest.mark.parametrize(
    "case", [support.GSM_THREE_PARTS, support.UCS2_THREE_PARTS], ids=["gsm7", "ucs2"]
)
async def test_three_part_message_is_sent_and_delivered(
    env: Env, case: tuple[str, int, list[int]]
) -> None:
    await support.check_three_parts(env, *case)


async def test_mo_stop_opts_the_phone_out(env: Env) -> None:
    await support.check_mo_stop(env)


async def test_smpp34_client_against_our_simulator() -> None:
    """Our SMSC side (the simulator every other test relies on) serves smpp34's client: bind,
    GSM and UCS-2 submits, receipts in the form real SMSCs send them, an MO, unbind."""
    async with SmscSimulator(credentials={"esme1": "pw"}) as sim:
        esme = await Peer.start(sys.executable, str(ESME_SCRIPT), str(sim.port), listens=False)
        try:
            await esme.wait_for("bound")
            [session] = sim.sessions
            assert (session.system_id, session.bind_id) == ("esme1", CommandId.BIND_TRANSCEIVER)
            resps = await esme.wait_for("submit_sm_resp", 2)
            assert [r["status"] for r in resps] == [0, 0]
            gsm, ucs2 = sim.submitted
            assert (gsm.data_coding, gsm.short_message) == (0, b"Hello from smpp34")
            assert (ucs2.data_coding, ucs2.short_message) == (8, "Привет 👋".encode("utf-16-be"))
            assert (gsm.source_addr, gsm.source_addr_ton) == ("12345", 3)
            assert (gsm.destination_addr, gsm.dest_addr_ton, gsm.dest_addr_npi) == (
                "12065550100",
                1,
                1,
            )
            assert gsm.registered_delivery == 1
            receipts = await esme.wait_for("deliver_sm", 2, esm_class=ESM_CLASS_RECEIPT)
            await sim.wait_for("deliver_sm_acked", 2)
            by_id = {r["tlvs"][f"0x{TLV_RECEIPTED_MESSAGE_ID:04x}"]: r for r in receipts}
            for resp in resps:
                receipt = by_id[(resp["message_id"].encode() + b"\0").hex()]
                text = bytes.fromhex(receipt["short_message"]).decode("ascii")
                # the simulator writes the hex submit_sm_resp id in decimal in the text
                assert f"id:{int(resp['message_id'], 16)} " in text
                assert "stat:DELIVRD" in text
                assert (receipt["source_addr"], receipt["destination_addr"]) == (
                    "12065550100",
                    "12345",
                )
            status = await sim.inject_mo("12065550100", "12345", b"STOP")
            assert status == CommandStatus.ESME_ROK
            [mo] = await esme.wait_for("deliver_sm", esm_class=0)
            assert (mo["source_addr"], mo["destination_addr"]) == ("12065550100", "12345")
            assert bytes.fromhex(mo["short_message"]) == b"STOP"
            await esme.wait_for("unbound")
            await sim.wait_for("unbind", 1)
        finally:
            assert await esme.close() == 0, esme.events
