"""`smsgate serve --api-workers N` on SQLite: N HTTP processes in front of the one process that
commits and delivers, and serves the JSON API and the console through them. Real processes,
real HTTP, the built-in SMSC simulator."""

import asyncio
import os
import signal

import httpx
import pytest

from tests.e2e.support import (
    ALPHA,
    Server,
    ServerFactory,
    make_client,
    reply,
    send_args,
    stored,
)
from tests.e2e.test_v1_contract import create_key
from tests.integration.console.conftest import csrf_of
from tests.support.waiting import eventually

pytestmark = pytest.mark.slow

SUCCESS = "SUCCESS: Sending message to phone was successful"
SETUP = (
    ("realm", "add", ALPHA.name, "--password", ALPHA.password),
    ("sender", "add", ALPHA.name, ALPHA.senders[0]),
)


def children(pid: int) -> list[int]:
    """Worker processes below `pid` (their command line names the worker module)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid and b"smsgate.workers.worker" in cmdline:
            found.append(int(entry))
    return found


async def start(server_factory: ServerFactory, workers: int = 2) -> Server:
    server = await server_factory(
        *SETUP,
        dispatch=True,
        extra_args=("--api-workers", str(workers)),
        ready_line=f"smsgate core: {workers} API workers on",
    )

    async def all_running() -> bool:
        return len(children(server.pid)) == workers

    await eventually(
        all_running, timeout=30, what="all API workers running", describe=server.log_text
    )
    return server


async def send_many(server: Server, count: int) -> list[str]:
    async with make_client(server) as client:
        requests = [send_args(ALPHA) for _ in range(count)]
        replies = await asyncio.gather(*(client.get("/bin/api_web", params=r) for r in requests))
    return [reply(r) for r in replies]


async def test_workers_accept_and_the_core_delivers(server_factory: ServerFactory) -> None:
    server = await start(server_factory)
    assert await send_many(server, 200) == [SUCCESS] * 200

    async def all_sent() -> bool:
        rows = await stored(server)
        return len(rows) == 200 and {r["status"] for r in rows} <= {"sent", "delivered"}

    await eventually(
        all_sent, timeout=30, what="200 messages sent by the core", describe=server.log_text
    )
    async with make_client(server) as client:
        metrics = (await client.get("/metrics")).text
        wrong = await client.get("/bin/api_web", params=send_args(ALPHA, p="wrong"))
    assert 'smsgate_smpp_submits_total{connection="simulator",result="ok"}' in metrics  # core
    assert "smsgate_api_requests_total" in metrics  # the worker's own
    assert reply(wrong) == "FAILURE: Realm and password do not match"


async def test_the_json_api_and_the_console_are_served_on_the_same_port(
    server_factory: ServerFactory,
) -> None:
    """The routes the workers pass on to the core: a /v1 message sent and read back delivered,
    the OpenAPI document, and a console login (cookie, CSRF form, redirect) with its pages."""
    server = await start(server_factory)
    await server.cli("operator", "add", "olga", "--password-stdin", stdin="s3cret\n")
    key = await asyncio.to_thread(create_key, server.data_dir, ALPHA.name)
    async with make_client(server) as client:
        assert (await client.get("/openapi.json")).json()["openapi"].startswith("3.")
        auth = {"Authorization": f"Bearer {key}"}
        message = {"to": "12065551212", "from": ALPHA.senders[0], "text": "through a worker"}
        sent = await client.post("/v1/messages", json=message, headers=auth)
        assert sent.status_code == 202, sent.text
        url = f"/v1/messages/{sent.json()['id']}"
        seen: dict[str, object] = {}

        async def delivered() -> bool:
            seen.update((await client.get(url, headers=auth)).json())
            return seen.get("status") == "delivered"

        await eventually(delivered, timeout=30, what="delivered", describe=lambda: str(seen))

        form = await client.get("/console/login")
        assert form.status_code == 200
        login = {"csrf": csrf_of(form.text), "name": "olga", "password": "s3cret", "realm": ""}
        answer = await client.post("/console/login", data=login)
        assert answer.status_code == 303, answer.text
        overview = await client.get(answer.headers["location"])
        assert overview.status_code == 200 and "olga" in overview.text
        realms = await client.get("/console/realms")
        assert realms.status_code == 200 and ALPHA.name in realms.text


async def test_a_killed_worker_is_replaced_and_nothing_is_refused(
    server_factory: ServerFactory,
) -> None:
    server = await start(server_factory)
    victim = children(server.pid)[0]
    os.kill(victim, signal.SIGKILL)

    async def replaced() -> bool:
        pids = children(server.pid)
        return len(pids) == 2 and victim not in pids

    await eventually(
        replaced,
        timeout=30,
        what="a new worker in place of the killed one",
        describe=server.log_text,
    )
    assert await send_many(server, 50) == [SUCCESS] * 50
    assert "API worker 0 exited" in server.log_text() or "API worker 1 exited" in (
        server.log_text()
    )


async def test_sigint_stops_every_process(server_factory: ServerFactory) -> None:
    server = await start(server_factory)
    workers = children(server.pid)
    assert await send_many(server, 20) == [SUCCESS] * 20
    core = server.pid
    await asyncio.to_thread(server.stop)
    for pid in [core, *workers]:
        assert _gone(pid), f"{pid} still runs"
    assert "Traceback" not in server.log_text()


async def test_a_dead_core_takes_its_workers_down(server_factory: ServerFactory) -> None:
    """SIGKILL of the core: the workers lose their socket to it, answer nothing as SUCCESS
    any more, and exit instead of staying as orphans."""
    server = await start(server_factory)
    workers = children(server.pid)
    os.kill(server.pid, signal.SIGKILL)

    async def gone() -> bool:
        return all(_gone(pid) for pid in workers)

    await eventually(
        gone, timeout=30, what="workers exiting after the core died", describe=server.log_text
    )
    with pytest.raises(httpx.TransportError):
        async with make_client(server) as client:
            await client.get("/healthz")


def _gone(pid: int) -> bool:
    """Exited: no such process, or a zombie nobody has reaped yet."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:  # no such process
        return True
