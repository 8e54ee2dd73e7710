"""SIGKILL between the parts of a multipart MO: the part already acknowledged is not lost.

The SMSC (the simulator, on this test's event loop) outlives the gateway: `smsgate serve`
points at it with SMSGATE_CONFIG. Part 1 of "STOP" is acknowledged, the gateway is SIGKILLed
and started again on the same data directory, part 2 arrives: the whole MO is stored and the
opt-out is honoured, over HTTP too.
"""

import asyncio
import os
import signal
from pathlib import Path

import aiosqlite

from smsgate.constants import ESM_CLASS_UDHI
from smsgate.domain.encoding import concat_udh, gsm7_encode
from smsgate.smpp.codes import CommandStatus
from smsgate.smpp.simulator import SmscSimulator
from tests.e2e.support import Cli, RealmSpec, Server, make_client, reply, send_args

REALM = RealmSpec("moparts", "moparts-pass", ("56789",))
HANDSET = "12065550199"
BIND_TIMEOUT = 30.0  # a gateway process starting on a busy 2-core machine


async def rows(data_dir: Path, query: str) -> list[tuple[object, ...]]:
    async with aiosqlite.connect(data_dir / "smsgate.db") as db, db.execute(query) as cursor:
        return [tuple(row) for row in await cursor.fetchall()]


async def test_a_part_acknowledged_before_a_sigkill_survives_the_restart(tmp_path: Path) -> None:
    smsc = SmscSimulator()
    await smsc.start("127.0.0.1", 0)
    config = tmp_path / "smsgate.toml"
    config.write_text(
        '[[smpp]]\nname = "carrier"\nhost = "127.0.0.1"\n'
        f'port = {smsc.port}\nsystem_id = "smsgate"\npassword = "pw"\n'
        "reconnect_initial = 0.05\nreconnect_max = 0.5\n",
        encoding="utf-8",
    )
    data_dir = tmp_path / "data"
    await asyncio.to_thread(
        Cli(data_dir).run_batch,
        ("realm", "add", REALM.name, "--password", REALM.password),
        ("sender", "add", REALM.name, REALM.senders[0]),
    )
    env = {"SMSGATE_CONFIG": str(config)}
    first = Server(data_dir, tmp_path / "first.log", dispatch=True, env=env)
    second = Server(data_dir, tmp_path / "second.log", dispatch=True, env=env)

    async def part(seq: int, text: str) -> int:
        payload = concat_udh(0x42, 2, seq) + gsm7_encode(text)
        return await smsc.inject_mo(HANDSET, REALM.senders[0], payload, esm_class=ESM_CLASS_UDHI)

    try:
        await asyncio.to_thread(first.start)
        await smsc.wait_for("bound", 1, timeout=BIND_TIMEOUT)
        assert await part(1, "ST") == CommandStatus.ESME_ROK
        os.kill(first.pid, signal.SIGKILL)
        await asyncio.to_thread(first.stop)  # reaps it
        await smsc.wait_for("disconnections", 1)

        await asyncio.to_thread(second.start)
        await smsc.wait_for("bound", 2, timeout=BIND_TIMEOUT)
        assert await part(2, "OP") == CommandStatus.ESME_ROK

        assert await rows(data_dir, "SELECT phone, text, keyword FROM inbound_messages") == [
            (HANDSET, "STOP", "stop")
        ]
        assert await rows(data_dir, "SELECT phone FROM opt_outs") == [(HANDSET,)]
        assert await rows(data_dir, "SELECT * FROM inbound_parts") == []
        await smsc.wait_for_submits(1)  # the STOP confirmation
        async with make_client(second) as http:
            response = await http.get("/bin/api_web", params=send_args(REALM, phone=HANDSET))
        assert reply(response) == (
            f"FAILURE: Phone {HANDSET} has opted out of sender code {REALM.senders[0]}"
        )
    finally:
        await asyncio.to_thread(second.stop)
        await asyncio.to_thread(first.stop)
        await smsc.stop()
