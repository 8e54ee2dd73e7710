"""The dispatcher's probe server over real HTTP: /healthz, /readyz from the check run on the
event loop (ready, not ready, a check that fails or hangs), /metrics, 404 for anything else,
and the port closed after `stop`."""

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from smsgate.http import probe_server
from smsgate.http.probe_server import ProbeServer
from smsgate.services.readiness import READY, Readiness

Ready = Callable[[], Awaitable[Readiness]]
Factory = Callable[[Ready], ProbeServer]


@pytest.fixture
async def probes() -> AsyncIterator[Factory]:
    """`probes(ready)`: a started server on a free port of 127.0.0.1; stopped at teardown."""
    started: list[ProbeServer] = []

    def make(ready: Ready) -> ProbeServer:
        server = ProbeServer("127.0.0.1", 0, ready, asyncio.get_running_loop())
        server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


async def get(server: ProbeServer, path: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.get(f"http://127.0.0.1:{server.port}{path}")


async def test_health_readiness_metrics_and_nothing_else(probes: Factory) -> None:
    answers = [READY, Readiness(False, "no SMPP bind up (carrier)")]
    loops: list[asyncio.AbstractEventLoop] = []

    async def ready() -> Readiness:
        loops.append(asyncio.get_running_loop())
        return answers.pop(0)

    server = probes(ready)
    health = await get(server, "/healthz")
    assert (health.status_code, health.text) == (200, "ok")
    first, second = await get(server, "/readyz"), await get(server, "/readyz")
    assert (first.status_code, first.text) == (200, "ready")
    assert (second.status_code, second.text) == (503, "not ready: no SMPP bind up (carrier)")
    assert loops == [asyncio.get_running_loop()] * 2  # the check ran on the store's loop
    metrics = await get(server, "/metrics")
    assert metrics.status_code == 200 and "smsgate_" in metrics.text
    assert (await get(server, "/")).status_code == 404
    assert (await get(server, "/healthz/x")).status_code == 404


async def test_a_failing_or_hanging_check_is_not_ready(
    probes: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def fails() -> Readiness:
        raise RuntimeError("database is locked\nSQL: UPDATE ...")

    answer = await get(probes(fails), "/readyz")
    assert (answer.status_code, answer.text) == (503, "not ready: database is locked")

    monkeypatch.setattr(probe_server, "_WAIT_SECONDS", 0.2)
    never = asyncio.Event()

    async def hangs() -> Readiness:
        await never.wait()
        return READY

    answer = await get(probes(hangs), "/readyz")
    assert (answer.status_code, answer.text) == (
        503,
        "not ready: the readiness check did not answer",
    )


async def test_stop_closes_the_port(probes: Factory) -> None:
    async def ready() -> Readiness:
        return READY

    server = ProbeServer("127.0.0.1", 0, ready, asyncio.get_running_loop())
    server.start()
    port = server.port
    assert (await get(server, "/healthz")).status_code == 200
    server.stop()
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient(timeout=5) as client:
            await client.get(f"http://127.0.0.1:{port}/healthz")


async def test_a_port_in_use_is_an_oserror_at_construction() -> None:
    async def ready() -> Readiness:
        return READY

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(OSError):
            ProbeServer("127.0.0.1", port, ready, asyncio.get_running_loop())
