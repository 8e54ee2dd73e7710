"""`serve --workers N`: N API processes on one port, each a gateway (and a node) of its own."""

import asyncio
import socket
import subprocess
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
from tests.support.waiting import eventually, scaled

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

    async def both_registered() -> bool:  # each worker registers once started
        assert server.running, server.output()
        return len(await api_nodes(db)) >= 2

    cluster.processes.append(await server.start())
    try:
        await eventually(
            both_registered, timeout=45, what="two workers registered", describe=server.output
        )
        async with asyncio.timeout(scaled(60)):
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


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (
            ["--workers", "2"],
            "--workers > 1 on SQLite needs --no-dispatch (and one `smsgate dispatch`); "
            "--api-workers N uses more cores with one gateway",
        ),
        (["--workers", "2", "--api-workers", "1"], "use either --workers or --api-workers"),
        (
            ["--api-workers", "1", "--no-dispatch"],
            "--api-workers needs the dispatcher in this process (drop --no-dispatch)",
        ),
    ],
)
def test_serve_refuses_contradicting_options(tmp_path: Path, args: list[str], error: str) -> None:
    done = serve_once(tmp_path, *args)
    assert done.returncode == 1
    assert done.stderr.strip() == f"error: {error}"


def test_api_workers_report_a_taken_port(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = serve_once(tmp_path, "--api-workers", "1", "--port", str(port))
    assert done.returncode == 1
    expected = f"error: cannot listen on 127.0.0.1:{port}: Address already in use"
    assert done.stderr.strip() == expected


def serve_once(data_dir: Path, *args: str) -> "subprocess.CompletedProcess[str]":
    """`smsgate serve ARGS` expected to refuse at once (bounded, output captured)."""
    return subprocess.run(
        [str(SMSGATE), "serve", *args],
        env={"PATH": "/usr/bin:/bin", "SMSGATE_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        timeout=scaled(60),
        check=False,
    )
