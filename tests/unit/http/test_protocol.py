"""The guarded HTTP protocol, fed bytes directly: raw UTF-8 request lines in any split, head
size limit, deadlines and the connection cap. (Over real sockets: tests/e2e.)"""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from uvicorn.server import ServerState

from smsgate.http.protocol import TOO_LARGE_RESPONSE, GuardedHttpToolsProtocol, HttpLimits

LIMITS = HttpLimits(header_timeout=30.0, body_timeout=30.0, max_connections=10, max_head_bytes=1024)


class FakeTransport:
    """What the protocol writes, and whether it closed; a peer and a local address."""

    def __init__(self) -> None:
        self.written = bytearray()
        self.eof = False
        self.closed = asyncio.Event()
        self.reading = True

    def write(self, data: bytes) -> None:
        self.written += data

    def write_eof(self) -> None:
        self.eof = True

    def can_write_eof(self) -> bool:
        return True

    def close(self) -> None:
        self.closed.set()

    def is_closing(self) -> bool:
        return self.closed.is_set()

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def get_extra_info(self, name: str) -> Any:
        return {"peername": ("192.0.2.1", 40000), "sockname": ("127.0.0.1", 8080)}.get(name)


class Recorder:
    """An ASGI app that keeps each request's scope and body and answers 'ok'."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, Any], bytes]] = []
        self.arrived = asyncio.Condition()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})
        async with self.arrived:
            self.requests.append((scope, body))
            self.arrived.notify_all()

    async def wait_for(self, count: int) -> None:
        async with asyncio.timeout(10), self.arrived:
            await self.arrived.wait_for(lambda: len(self.requests) >= count)


@pytest.fixture
async def app() -> AsyncIterator[Recorder]:
    yield Recorder()


def connect(
    app: Recorder, limits: HttpLimits = LIMITS, state: ServerState | None = None
) -> tuple[GuardedHttpToolsProtocol, FakeTransport]:
    config = uvicorn.Config(app, log_config=None, lifespan="off", proxy_headers=False)
    config.load()
    protocol = GuardedHttpToolsProtocol(config, state or ServerState(), {}, limits=limits)
    transport = FakeTransport()
    protocol.connection_made(transport)  # type: ignore[arg-type]
    return protocol, transport


def query_of(app: Recorder, n: int = 0) -> bytes:
    query: bytes = app.requests[n][0]["query_string"]
    return query


GET = "GET /api_web?t=Grüße&r=日本 HTTP/1.1\r\nHost: x\r\n\r\n".encode()
ENCODED = b"t=Gr%C3%BC%C3%9Fe&r=%E6%97%A5%E6%9C%AC"


@pytest.mark.parametrize("split", [None, 1, 10, 18, 19, 20, 40, len(GET) - 1])
async def test_raw_utf8_in_the_request_line_is_percent_encoded(app: Recorder, split: int) -> None:
    protocol, transport = connect(app)
    for part in (GET[:split], GET[split:]) if split else (GET,):
        protocol.data_received(part)
    await app.wait_for(1)
    assert query_of(app) == ENCODED
    assert transport.written.startswith(b"HTTP/1.1 200 OK")


async def test_the_line_of_the_next_request_on_the_connection_too(app: Recorder) -> None:
    protocol, _ = connect(app)
    protocol.data_received(b"GET /a?x=1 HTTP/1.1\r\nHost: x\r\n\r\n")
    await app.wait_for(1)
    protocol.data_received(GET)
    await app.wait_for(2)
    assert (query_of(app, 0), query_of(app, 1)) == (b"x=1", ENCODED)


@pytest.mark.parametrize("together", [True, False], ids=["one chunk", "two chunks"])
async def test_a_raw_utf8_body_and_headers_are_left_alone(app: Recorder, together: bool) -> None:
    body = "t=Grüße".encode()
    head = f"POST /a HTTP/1.1\r\nHost: x\r\nX-Note: ü\r\nContent-Length: {len(body)}\r\n\r\n"
    protocol, _ = connect(app)
    chunks = [head.encode() + body] if together else [head.encode(), body]
    for chunk in chunks:
        protocol.data_received(chunk)
    await app.wait_for(1)
    scope, received = app.requests[0]
    assert received == body
    assert (b"x-note", "ü".encode()) in scope["headers"]


async def test_a_head_over_the_limit_is_answered_once_and_dropped(app: Recorder) -> None:
    protocol, transport = connect(app)
    protocol.data_received(b"GET /api_web?x=")
    for _ in range(10):
        protocol.data_received(b"y" * 512)
    assert bytes(transport.written) == TOO_LARGE_RESPONSE
    assert transport.eof and not transport.closed.is_set()  # lingers: the rest is dropped
    assert len(protocol.url) <= LIMITS.max_head_bytes + 512  # no more than one read past it
    assert app.requests == []


async def test_a_target_over_the_limit_in_one_read(app: Recorder) -> None:
    protocol, transport = connect(app)
    protocol.data_received(b"GET /?" + b"y" * 2000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert bytes(transport.written) == TOO_LARGE_RESPONSE
    await asyncio.sleep(0)
    assert app.requests == []


async def test_an_unfinished_head_is_closed_at_its_deadline(app: Recorder) -> None:
    limits = HttpLimits(header_timeout=0.05, body_timeout=30.0, max_connections=10)
    protocol, transport = connect(app, limits)
    protocol.data_received(b"GET /a HTTP/1.1\r\nHost: x\r\n")  # never the blank line
    async with asyncio.timeout(5):
        await transport.closed.wait()
    assert transport.written == b""


async def test_an_idle_new_connection_is_closed_at_the_header_deadline(app: Recorder) -> None:
    limits = HttpLimits(header_timeout=0.05, body_timeout=30.0, max_connections=10)
    _, transport = connect(app, limits)
    async with asyncio.timeout(5):
        await transport.closed.wait()


async def test_an_unfinished_body_is_closed_at_its_deadline(app: Recorder) -> None:
    limits = HttpLimits(header_timeout=30.0, body_timeout=0.05, max_connections=10)
    protocol, transport = connect(app, limits)
    protocol.data_received(b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
    async with asyncio.timeout(5):
        await transport.closed.wait()
    assert app.requests == []


async def test_a_waiting_response_is_not_a_timeout(app: Recorder) -> None:
    """Between the end of a request and its response no deadline runs (the app may be
    slowing a password guesser down)."""
    release = asyncio.Event()

    answered = asyncio.Event()

    async def slow(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"late"})
        answered.set()

    limits = HttpLimits(header_timeout=0.02, body_timeout=0.02, max_connections=10)
    protocol, transport = connect(slow, limits)  # type: ignore[arg-type]
    protocol.data_received(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
    await asyncio.sleep(0.2)  # ten deadlines' worth: nothing may close it meanwhile
    assert not transport.closed.is_set()
    release.set()
    async with asyncio.timeout(5):
        await answered.wait()
    assert b"late" in transport.written and not transport.closed.is_set()


async def test_connections_over_the_cap_are_closed_at_once(app: Recorder) -> None:
    state = ServerState()
    limits = HttpLimits(header_timeout=30.0, body_timeout=30.0, max_connections=3)
    kept = [connect(app, limits, state)[1] for _ in range(3)]
    _, refused = connect(app, limits, state)
    assert refused.closed.is_set()
    assert not any(t.closed.is_set() for t in kept)
