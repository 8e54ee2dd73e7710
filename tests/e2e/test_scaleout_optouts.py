"""An opt-out written by one process is honoured by every other process at once.

Opt-outs are never cached: api_web reads them inside its commit, a dispatcher again inside its
claim. Here the opt-out is written by a third process (the CLI) and by a dispatcher handling an
MO "STOP", and two API processes and a dispatcher, all on one PostgreSQL database, honour it
immediately: no waiting between the write and the requests that must see it.
"""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from smsgate.smpp.codes import CommandStatus
from smsgate.store import schema as s
from smsgate.store.database import Database
from tests.e2e.scaleout_support import (
    PASSWORD,
    REALM,
    SENDER,
    SMSGATE,
    Cluster,
    CountingSMSC,
)
from tests.e2e.support import SUCCESS, free_port
from tests.support.waiting import eventually, scaled

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

BY_CLI, BY_MO = "12065550001", "12065550002"


def opted_out(phone: str) -> str:
    return f"FAILURE: Phone {phone} has opted out of sender code {SENDER}"


@pytest.fixture
async def cluster(
    postgres_url: str, db: Database, smsc: CountingSMSC, tmp_path: Path
) -> AsyncIterator[Cluster]:
    group = Cluster(postgres_url, smsc, tmp_path, binds=1, node_timeout=10.0)  # none dies
    try:
        yield group
    finally:
        await group.close()


async def send(url: str, phone: str, text: str) -> str:
    async with httpx.AsyncClient(base_url=url, timeout=scaled(30)) as client:
        reply = await client.get(
            "/bin/api_web",
            params={
                "r": REALM,
                "p": PASSWORD,
                "c": "smssendmessagetophone",
                "phone": phone,
                "sender_code": SENDER,
                "message_text": text,
            },
        )
    return reply.text


async def cli(cluster: Cluster, *args: str) -> None:
    process = await asyncio.create_subprocess_exec(
        str(SMSGATE),
        *args,
        env=cluster.env(),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(scaled(60)):
        _out, err = await process.communicate()
    assert process.returncode == 0, err.decode()


async def message_states(db: Database, prefix: str) -> list[tuple[str, str | None]]:
    async with db.reader.connect() as conn:
        rows = await conn.execute(
            select(s.messages.c.status, s.messages.c.error)
            .where(s.messages.c.text.like(f"{prefix}%"))
            .order_by(s.messages.c.id)
        )
        return [(r.status, r.error) for r in rows]


async def test_opt_outs_are_honoured_across_processes_at_once(
    cluster: Cluster, db: Database, smsc: CountingSMSC
) -> None:
    async with asyncio.timeout(scaled(180)):
        (_, api1), (_, api2) = await asyncio.gather(cluster.api("api-1"), cluster.api("api-2"))

        # Accepted while no dispatcher runs: they wait in the queue.
        assert await send(api1, BY_CLI, "before-1") == SUCCESS
        assert await send(api2, BY_CLI, "before-2") == SUCCESS

        # Written by a third process; refused by both APIs straight away.
        await cli(cluster, "optout", "add", REALM, BY_CLI, "--sender-code", SENDER)
        assert await send(api1, BY_CLI, "after-1") == opted_out(BY_CLI)
        assert await send(api2, BY_CLI, "after-2") == opted_out(BY_CLI)

        # A dispatcher started now reads the opt-out again when it claims the queued two.
        metrics_port = free_port()
        await cluster.dispatcher("disp-1", "--metrics-port", str(metrics_port))
        await smsc.wait_for("bound", 1, timeout=scaled(30))

        async def both_refused() -> bool:
            return await message_states(db, "before-") == [("failed", "opted out")] * 2

        await eventually(
            both_refused,
            timeout=30,
            what="queued messages failed as opted out",
            describe=cluster.logs,
        )

        # STOP from the phone, handled by the dispatcher process: deliver_sm_resp comes after
        # the opt-out is committed, and both APIs refuse from that moment on.
        status = await smsc.inject_mo(BY_MO, SENDER, b"STOP")
        assert status == CommandStatus.ESME_ROK
        assert await send(api2, BY_MO, "after-stop-2") == opted_out(BY_MO)
        assert await send(api1, BY_MO, "after-stop-1") == opted_out(BY_MO)

        # The dispatcher's own metrics: its bind, and the cluster as it sees it.
        async def gauges_seen() -> bool:
            try:
                async with httpx.AsyncClient(timeout=2) as client:
                    text = (await client.get(f"http://127.0.0.1:{metrics_port}/metrics")).text
            except httpx.TransportError:
                return False
            return (
                'smsgate_smpp_binds_held{connection="carrier"} 1.0' in text
                and 'smsgate_nodes_alive{role="api"} 2.0' in text
                and 'smsgate_nodes_alive{role="dispatch"} 1.0' in text
            )

        await eventually(gauges_seen, timeout=30, what="dispatcher metrics", describe=cluster.logs)
        # ... and its probes on the same port: alive, and ready (its bind is up)
        async with httpx.AsyncClient(timeout=scaled(10)) as client:
            probes = f"http://127.0.0.1:{metrics_port}"
            assert (await client.get(f"{probes}/healthz")).text == "ok"
            ready = await client.get(f"{probes}/readyz")
            assert (ready.status_code, ready.text) == (200, "ready")

        # The phone still gets the STOP confirmation (it answers its own request); nothing
        # else ever reached the SMSC.
        await smsc.wait_for_submits(1, timeout=scaled(30))
        assert [p.destination_addr for p in smsc.submitted] == [BY_MO]
        assert not smsc.texts("before-") and not smsc.texts("after")
