"""`/readyz` from outside: `smsgate serve` (alone and with `--api-workers`, whose workers ask
the core) is ready only while an SMPP bind is up and the store takes a write.

The SMSC is the gateway's own simulator, started and stopped by the test on the port the
gateway's `[[smpp]]` connection names; the unwritable store is a real full tmpfs
(tests/filesystems.py). `/healthz` answers `ok` all along: it is liveness only.
"""

import asyncio
import os
import sys
from pathlib import Path

import httpx
import pytest

from smsgate.smpp.simulator import SmscSimulator
from tests.e2e.support import Server, ServerFactory, free_port, make_client
from tests.filesystems import MountTmpfs, fill
from tests.support.waiting import eventually, scaled
from tests.unit.test_container import healthcheck_command

CONNECTION = "carrier"
# Binds fail fast and are retried fast: the test waits for the gateway, not for backoff.
CONFIG = """
[[smpp]]
name = "{name}"
host = "127.0.0.1"
port = {port}
system_id = "smsgate"
password = "pw"
default = true
reconnect_initial = 0.1
reconnect_max = 0.5
"""


async def readiness(http: httpx.AsyncClient) -> tuple[int, str]:
    response = await http.get("/readyz")
    return response.status_code, response.text


async def image_healthcheck(server: Server) -> int:
    """The exit status of the Dockerfile's HEALTHCHECK command, run here against `server`."""
    _python, flag, code = healthcheck_command()
    env = {**os.environ, "SMSGATE_PORT": str(server.port)}
    process = await asyncio.create_subprocess_exec(
        sys.executable, flag, code, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    return await asyncio.wait_for(process.wait(), scaled(30))


async def becomes(http: httpx.AsyncClient, status: int, text: str, server: Server) -> None:
    seen: list[tuple[int, str]] = []

    async def check() -> bool:
        seen[:] = [await readiness(http)]
        return seen[0] == (status, text)

    await eventually(
        check,
        timeout=30,
        what=f"/readyz answering {status} {text!r}",
        describe=lambda: f"last answer: {seen}\n{server.log_text()[-3000:]}",
    )


@pytest.mark.parametrize("api_workers", [0, 1], ids=["one-process", "api-workers"])
async def test_ready_only_while_a_bind_is_up(
    server_factory: ServerFactory, tmp_path: Path, api_workers: int
) -> None:
    smsc_port = free_port()
    config = tmp_path / "smsgate.toml"
    config.write_text(CONFIG.format(name=CONNECTION, port=smsc_port))
    options: dict[str, object] = {"env": {"SMSGATE_CONFIG": str(config)}, "dispatch": True}
    if api_workers:
        options["extra_args"] = ("--api-workers", str(api_workers))
        options["ready_line"] = f"smsgate core: {api_workers} API workers on"
    server = await server_factory(**options)
    async with make_client(server) as http:
        # no SMSC listening yet: the gateway runs, but cannot deliver
        assert await readiness(http) == (503, f"not ready: no SMPP bind up ({CONNECTION})")
        assert (await http.get("/healthz")).text == "ok"

        smsc = SmscSimulator()
        await smsc.start("127.0.0.1", smsc_port)
        try:
            await becomes(http, 200, "ready", server)
        finally:
            await smsc.stop()  # closes the session: the bind is down
        await becomes(http, 503, f"not ready: no SMPP bind up ({CONNECTION})", server)
        assert (await http.get("/healthz")).status_code == 200


async def test_not_ready_while_the_store_cannot_commit(
    mount_tmpfs: MountTmpfs, tmp_path: Path
) -> None:
    data_dir = mount_tmpfs("disk", size="8m") / "data"
    server = Server(data_dir, tmp_path / "server.log")
    await asyncio.to_thread(server.start)
    try:
        async with make_client(server) as http:
            assert await readiness(http) == (200, "ready")  # no connections: the store decides
            filler = fill(data_dir)
            await becomes(
                http, 503, "not ready: store not writable: database or disk is full", server
            )
            assert (await http.get("/healthz")).status_code == 200
            filler.unlink()
            await becomes(http, 200, "ready", server)
    finally:
        await asyncio.to_thread(server.stop)
