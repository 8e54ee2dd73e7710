"""The front door's own limits, over real sockets: whose X-Forwarded-For is believed, slow
clients, the connection cap; and the same in the API workers of `serve --api-workers`."""

import asyncio
import re
import time
import uuid

import httpx
import pytest

from tests.e2e.support import (
    ALPHA,
    SUCCESS,
    Server,
    ServerFactory,
    make_client,
    next_local_address,
    reply,
    send_args,
)

SETUP = (
    ("realm", "add", ALPHA.name, "--password", ALPHA.password),
    ("sender", "add", ALPHA.name, ALPHA.senders[0]),
)
FORGED = "203.0.113.77"
NO_MATCH = "FAILURE: Realm and password do not match"


async def logged_client(server: Server, client: httpx.AsyncClient) -> str:
    """The client address the server logged for one request that says it is FORGED."""
    marker = uuid.uuid4().hex
    start = server.line_count
    await client.get("/healthz", params={"marker": marker}, headers={"x-forwarded-for": FORGED})
    line = await asyncio.to_thread(server.wait_for_line, marker, start=start)
    found = re.search(r"uvicorn\.access (\S+):\d+ - ", line)
    assert found, line
    return found[1]


def loopback_client(server: Server) -> httpx.AsyncClient:
    """A client on 127.0.0.1 itself: the address uvicorn trusts proxy headers from by default."""
    transport = httpx.AsyncHTTPTransport(local_address="127.0.0.1")
    return httpx.AsyncClient(base_url=server.url, transport=transport, timeout=30)


async def test_x_forwarded_for_is_ignored_by_default(shared_server: Server) -> None:
    async with loopback_client(shared_server) as client:
        assert await logged_client(shared_server, client) == "127.0.0.1"


async def test_x_forwarded_for_is_believed_from_a_trusted_proxy(
    server_factory: ServerFactory,
) -> None:
    server = await server_factory(env={"SMSGATE_TRUSTED_PROXIES": "127.0.0.0/8"})
    async with make_client(server) as client:
        assert await logged_client(server, client) == FORGED
    other = await server_factory(env={"SMSGATE_TRUSTED_PROXIES": "10.1.2.3, 192.0.2.0/24"})
    async with loopback_client(other) as client:
        assert await logged_client(other, client) == "127.0.0.1"


@pytest.mark.slow
async def test_api_workers_ignore_x_forwarded_for_and_slow_guessers_down(
    server_factory: ServerFactory,
) -> None:
    """The API workers of `serve --api-workers` run the same front door and authenticator."""
    server = await server_factory(
        *SETUP,
        dispatch=True,
        extra_args=("--api-workers", "1"),
        ready_line="smsgate core: 1 API workers on",
    )
    async with loopback_client(server) as client:
        assert await logged_client(server, client) == "127.0.0.1"
    async with make_client(server) as guesser:

        async def guess(n: int) -> str:
            wrong = send_args(ALPHA, p=f"guess-{n}")
            return reply(await guesser.get("/api_web", params=wrong))

        # 5 free, 1 waits its turn, 1 is refused unchecked
        assert await asyncio.gather(*(guess(n) for n in range(7))) == [NO_MATCH] * 7
        metrics = (await guesser.get("/metrics")).text
    assert 'smsgate_auth_throttled_total{outcome="delayed"} 1.0' in metrics
    assert 'smsgate_auth_throttled_total{outcome="refused"} 1.0' in metrics
    async with make_client(server) as customer:  # another address: not slowed down at all
        assert reply(await customer.get("/api_web", params=send_args(ALPHA))) == SUCCESS


CONNECTIONS = 500
CAP = 400
HEADER_TIMEOUT = 5.0  # long enough to open every connection first on a busy machine
BODY_TIMEOUT = 1.0


async def test_slow_clients_are_cut_off_and_the_server_stays_up(
    server_factory: ServerFactory,
) -> None:
    server = await server_factory(
        env={
            "SMSGATE_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
            "SMSGATE_BODY_TIMEOUT": str(BODY_TIMEOUT),
            "SMSGATE_MAX_CONNECTIONS": str(CAP),
        }
    )
    opened = time.monotonic()

    async def closed_after(reader: asyncio.StreamReader) -> float:
        try:
            data = await reader.read()
        except ConnectionResetError:
            data = b""
        assert data == b"", data  # closed without an answer
        return time.monotonic() - opened

    streams = []
    for _ in range(CONNECTIONS):  # each sends a request head that never ends
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", server.port, local_addr=(next_local_address(), 0)
        )
        writer.write(b"GET /api_web?r=x HTTP/1.1\r\nHost: x\r\n")
        streams.append((asyncio.ensure_future(closed_after(reader)), writer))
    assert time.monotonic() - opened < HEADER_TIMEOUT, "could not open the connections in time"
    async with asyncio.timeout(HEADER_TIMEOUT + 20):
        ends = await asyncio.gather(*(end for end, _ in streams))
    assert sum(end < HEADER_TIMEOUT for end in ends) == CONNECTIONS - CAP  # closed at once
    for _, writer in streams:
        writer.close()

    opened = time.monotonic()  # a body that never ends
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"POST /api_web HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nr=x")
    async with asyncio.timeout(20):
        assert await closed_after(reader) >= BODY_TIMEOUT
    writer.close()

    async with make_client(server) as client:  # and the server serves as before
        assert (await client.get("/healthz")).text == "ok"
        metrics = (await client.get("/metrics")).text
    assert f'smsgate_http_refused_total{{reason="connections"}} {CONNECTIONS - CAP}.0' in metrics
    assert f'smsgate_http_refused_total{{reason="header_timeout"}} {CAP}.0' in metrics
    assert 'smsgate_http_refused_total{reason="body_timeout"} 1.0' in metrics
