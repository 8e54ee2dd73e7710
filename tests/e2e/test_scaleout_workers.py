"""`serve --workers N`: N API processes on one port, each a gateway (and a node) of its own."""

import asyncio
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from smsgate.store import schema as s
from smsgate.store.database import Database
from tests.e2e.scaleout_support import (
    SMSGATE,
    Cluster,
    CountingSMSC,
    Process,
    send_all,
)
from tests.e2e.support import SUCCESS, free_port

pytestmark = pytest.mark.slow


async def api_nodes(db: Database) -> list[tuple[str, int]]:
    async with db.reader.connect() as conn:
        rows = await conn.execute(select(s.nodes.c.role, s.nodes.c.pid))
        return sorted((r.role, r.pid) for r in rows)


@pytest.mark.postgres
async def test_workers_share_one_port_and_register_as_nodes(
    postgres_url: str, db: Database, tmp_path: Path
) -> None:
    smsc = CountingSMSC()  # not used by API processes; the cluster helper wants one
    await smsc.start()
    cluster = Cluster(postgres_url, smsc, tmp_path)
    port = free_port()
    server = Process(
        "api",
        ["serve", "--no-dispatch", "--workers", "2", "--port", str(port)],
        cluster.env(),
        tmp_path / "api.log",
    )
    cluster.processes.append(await server.start())
    try:
        async with asyncio.timeout(60):
            deadline = time.monotonic() + 45
            while len(await api_nodes(db)) < 2:  # each worker registers once started
                assert server.running and time.monotonic() < deadline, server.output()
                await asyncio.sleep(0.1)
            nodes = await api_nodes(db)
            assert [role for role, _ in nodes] == ["api", "api"]
            assert len({pid for _, pid in nodes}) == 2  # two processes
            url = f"http://127.0.0.1:{port}"
            replies = await send_all([url], [f"w{i}" for i in range(200)])
            assert replies == {SUCCESS: 200}
            async with db.reader.connect() as conn:
                stored = set(await conn.scalars(select(s.messages.c.text)))
            assert stored == {f"w{i}" for i in range(200)}
    finally:
        await cluster.close()
        await smsc.stop()
    assert await api_nodes(db) == []  # both workers deregistered on the way out


def test_workers_on_sqlite_need_no_dispatch(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "SMSGATE_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [str(SMSGATE), "serve", "--workers", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "error: --workers > 1 on SQLite needs --no-dispatch (and one `smsgate dispatch`)"
    )
