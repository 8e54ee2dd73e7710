"""Servers and clients for the end-to-end tests.

`shared_server` is one `smsgate serve --no-dispatch` for the session; its realms and sender
codes (`support.SHARED_REALMS`) are made with the CLI before it starts (in one interpreter, see
`Cli.run_batch`; the README and CLI tests run the `smsgate` script itself). Tests that need a
server of their own start it with `server_factory`. Every `client` connects from its own
loopback address (127.0.x.y; all of 127/8 is loopback on Linux), so the delays that one test's
wrong passwords earn its address never reach another test.
"""

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from smsgate.store.database import Database, open_database
from tests.e2e.scaleout_support import CountingSMSC, prepare_database
from tests.e2e.support import SHARED_REALMS, Cli, Server, ServerFactory, make_client
from tests.fakes.webhook_receiver import WebhookReceiver


@pytest.fixture(scope="session")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("shared")
    data_dir = root / "data"
    cli = Cli(data_dir)
    cli.run_batch(
        *(("realm", "add", r.name, "--password", r.password) for r in SHARED_REALMS),
        *(("sender", "add", r.name, code) for r in SHARED_REALMS for code in r.senders),
    )
    server = Server(data_dir, root / "server.log").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def cli(shared_server: Server) -> Cli:
    """The CLI on the shared server's data directory."""
    return shared_server.cli


@pytest.fixture
async def client(shared_server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(shared_server) as http:
        yield http


@pytest.fixture
async def server_factory(tmp_path: Path) -> AsyncIterator[ServerFactory]:
    """`await server_factory(*cli_commands, dispatch=False, **Server options)`: run the CLI
    commands on a new data directory, then start a server on it. Every server is stopped at
    teardown."""
    servers: list[Server] = []

    async def start(*setup: tuple[str, ...], dispatch: bool = False, **options: Any) -> Server:
        n = len(servers)
        data_dir = tmp_path / f"server{n}"
        cli = Cli(data_dir)
        for command in setup:
            (await cli(*command)).ok()
        server = Server(data_dir, tmp_path / f"server{n}.log", dispatch=dispatch, **options)
        servers.append(server)
        return await asyncio.to_thread(server.start)

    try:
        yield start
    finally:
        for server in servers:
            await asyncio.to_thread(server.stop)


# Scale-out tests (PostgreSQL): a counting fake SMSC and a migrated database of their own.
@pytest.fixture
async def smsc() -> AsyncIterator[CountingSMSC]:
    sim = CountingSMSC()
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


@pytest.fixture
async def db(postgres_url: str) -> AsyncIterator[Database]:
    database = open_database(postgres_url)
    try:
        await prepare_database(database)
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    """A webhook receiver on loopback (servers that call it need SMSGATE_WEBHOOK_ALLOW_PRIVATE)."""
    started = await WebhookReceiver().start()
    try:
        yield started
    finally:
        await started.stop()
