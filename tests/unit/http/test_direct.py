"""api_web GETs answered by the protocol (`direct.ApiCall`), fed bytes directly: the same
bytes as uvicorn's ASGI path, in order when pipelined, nothing written to a client gone."""

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from prometheus_client import REGISTRY
from uvicorn.server import ServerState

from smsgate.constants import REPLY_HEADS_KEPT
from smsgate.domain.model import Message, Outcome
from smsgate.http.api_web import ApiWeb, headers
from smsgate.http.app import FastPath
from smsgate.http.direct import ApiCall, _reply_head, _reply_heads
from smsgate.http.protocol import GuardedHttpToolsProtocol, HttpLimits
from tests.support.waiting import eventually
from tests.unit.http.test_api_web import PASSWORD, SUCCESS, VALID, FakeAccepter, make_app
from tests.unit.http.test_protocol import FakeTransport

LIMITS = HttpLimits(header_timeout=30.0, body_timeout=30.0, max_connections=10)
DATE = (b"date", b"Sun, 06 Dec 2026 05:00:00 GMT")


class Wrapped:
    """FastPath behind a wrapper, as uvicorn's middlewares put it: served the ASGI way."""

    def __init__(self, app: FastPath) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


def connect(app: Any, **config: Any) -> tuple[GuardedHttpToolsProtocol, FakeTransport]:
    options = {"log_config": None, "lifespan": "off", "proxy_headers": False, **config}
    loaded = uvicorn.Config(app, **options)
    loaded.load()
    state = ServerState()
    state.default_headers = [DATE]
    protocol = GuardedHttpToolsProtocol(loaded, state, {}, limits=LIMITS)
    transport = FakeTransport()
    protocol.connection_made(transport)  # type: ignore[arg-type]
    return protocol, transport


def both(
    api_web: ApiWeb, **config: Any
) -> Iterator[tuple[GuardedHttpToolsProtocol, FakeTransport]]:
    fast = FastPath(api_web, None)  # type: ignore[arg-type]  # only api_web paths are sent
    direct = connect(fast, **config)
    assert direct[0].api_web is api_web
    yield direct
    asgi = connect(Wrapped(fast), **config)
    assert asgi[0].api_web is None
    yield asgi


async def answered(protocol: GuardedHttpToolsProtocol, count: int) -> None:
    """Once `count` responses are complete and written (a coalesced write: a step later)."""

    async def done() -> bool:
        return protocol.server_state.total_requests >= count

    await eventually(done, timeout=5, what=f"{count} responses")
    await asyncio.sleep(0.001)


async def exchange(api_web: ApiWeb, *chunks: bytes, count: int = 1) -> list[bytes]:
    """What the direct path and the ASGI path write for `chunks` (in that order)."""
    written = []
    for protocol, transport in both(api_web):
        for chunk in chunks:
            protocol.data_received(chunk)
        await answered(protocol, count)
        written.append(bytes(transport.written))
    return written


def get(query: bytes, path: bytes = b"/bin/api_web", extra: bytes = b"") -> bytes:
    return b"GET %s?%s HTTP/1.1\r\nHost: x\r\n%s\r\n" % (path, query, extra)


REQUESTS = {
    "success": get(VALID),
    "wrong password": get(VALID.replace(PASSWORD.encode(), b"nope"), b"/api_web/"),
    "no realm": get(b"c=smssendmessagetophone", b"/api_web"),
    "raw UTF-8": get(VALID.replace(b"hello", "grüße".encode())),
    "a body with a GET": get(VALID, extra=b"Content-Length: 5\r\n")[:-2] + b"\r\nabcde",
}


@pytest.mark.parametrize("request_", REQUESTS.values(), ids=REQUESTS.keys())
async def test_the_same_bytes_as_the_asgi_path(request_: bytes) -> None:
    direct, asgi = await exchange(make_app()[0], request_)
    assert direct == asgi
    assert direct.startswith(b"HTTP/1.1 200 OK\r\ndate: Sun, 06 Dec 2026 05:00:00 GMT\r\n")
    assert b"server:" not in direct


async def test_a_success_once_committed() -> None:
    app, _, accepter = make_app()
    direct, _ = await exchange(app, get(VALID))
    assert direct == (
        b"HTTP/1.1 200 OK\r\ndate: Sun, 06 Dec 2026 05:00:00 GMT\r\n"
        b"content-type: text/plain; charset=utf-8\r\ncontent-length: %d\r\n\r\n%s"
        % (len(SUCCESS), SUCCESS.encode())
    )
    assert len(accepter.accepted) == 2  # one for each path


@pytest.mark.parametrize(
    "request_",
    [get(VALID).replace(b"HTTP/1.1", b"HTTP/1.0"), get(VALID, extra=b"Connection: close\r\n")],
    ids=["HTTP/1.0", "Connection: close"],
)
async def test_close_after_the_reply(request_: bytes) -> None:
    app = make_app()[0]
    for protocol, transport in both(app):
        protocol.data_received(request_)
        await answered(protocol, 1)
        assert b"\r\nconnection: close\r\n\r\nSUCCESS" in transport.written
        assert transport.closed.is_set()
    direct, asgi = await exchange(app, request_)
    assert direct == asgi


async def test_pipelined_requests_are_answered_in_order() -> None:
    app, _, accepter = make_app()
    phones = [b"2065551%03d" % n for n in range(5)]
    requests = [get(VALID.replace(b"2065551212", phone)) for phone in phones]
    requests[3] = get(VALID.replace(PASSWORD.encode(), b"nope"))  # a failure among them
    requests.insert(2, b"HEAD /api_web HTTP/1.1\r\nHost: x\r\n\r\n")  # an ASGI one between
    direct, asgi = await exchange(app, b"".join(requests[:4]), b"".join(requests[4:]), count=6)
    assert direct == asgi
    assert direct.count(b"HTTP/1.1 ") == 6
    assert direct.index(b"405 Method") < direct.index(b"Realm and password do not match")
    sent = [m.phone for m in accepter.accepted]
    assert sent == 2 * ["1" + p.decode() for n, p in enumerate(phones) if n != 3]


class Held(FakeAccepter):
    """Commits only once `release` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()

    async def accept(self, message: Message) -> Outcome:
        await self.release.wait()
        return await super().accept(message)


async def test_a_client_gone_before_the_commit_gets_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    accepter = Held()
    app = make_app(accepter=accepter)[0]
    protocol, transport = next(both(app))
    protocol.data_received(get(VALID))
    await asyncio.sleep(0.01)
    [task] = protocol.tasks
    protocol.connection_lost(None)
    with caplog.at_level(logging.DEBUG):
        accepter.release.set()
        await asyncio.wait_for(task, 5)
        await asyncio.sleep(0.01)
    assert not protocol.tasks
    assert len(accepter.accepted) == 1  # committed: the client may ask again, not lose it
    assert transport.written == b""
    assert protocol.server_state.total_requests == 0  # as uvicorn: no response completed
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_shutdown_while_answering_closes_after_the_reply() -> None:
    accepter = Held()
    protocol, transport = next(both(make_app(accepter=accepter)[0]))
    protocol.data_received(get(VALID))
    await asyncio.sleep(0.01)
    assert len(protocol.tasks) == 1  # what a graceful shutdown waits for
    protocol.shutdown()
    accepter.release.set()
    await answered(protocol, 1)
    assert b"\r\nconnection: close\r\n\r\nSUCCESS" in transport.written
    assert transport.closed.is_set() and not protocol.tasks


async def test_a_failed_answer_is_uvicorns_500(caplog: pytest.LogCaptureFixture) -> None:
    app = make_app()[0]

    async def broken(body: bytes, query: bytes, client: str | None) -> bytes:
        raise RuntimeError("broken")

    app.answer = broken  # type: ignore[method-assign]
    with caplog.at_level(logging.ERROR):
        direct, asgi = await exchange(app, get(VALID))
    assert direct == asgi
    assert direct.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
    assert direct.endswith(b"connection: close\r\n\r\nInternal Server Error")
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == 2 * ["Exception in ASGI application\n"]


async def test_the_access_line_is_uvicorns(caplog: pytest.LogCaptureFixture) -> None:
    request_ = get(VALID, b"/api_web/").replace(b"HTTP/1.1", b"HTTP/1.0")
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        await exchange(make_app()[0], request_)
    direct, asgi = [r for r in caplog.records if r.name == "uvicorn.access"]
    assert (direct.msg, direct.args) == (asgi.msg, asgi.args)
    query = VALID.decode()
    assert direct.getMessage() == f'192.0.2.1:40000 - "GET /api_web/?{query} HTTP/1.0" 200'


async def test_counted_once_a_request() -> None:
    def accepted() -> float:
        value = REGISTRY.get_sample_value("smsgate_api_requests_total", {"result": "accepted"})
        return value or 0.0

    before = accepted()
    await exchange(make_app()[0], get(VALID))
    assert accepted() - before == 2


@pytest.mark.parametrize(
    "request_",
    [
        b"POST /api_web HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n\r\n%s" % (len(VALID), VALID),
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
        get(VALID, extra=b"Connection: upgrade\r\nUpgrade: h2c\r\n"),
    ],
    ids=["POST", "another path", "upgrade"],
)
async def test_other_requests_go_the_asgi_way(request_: bytes) -> None:
    protocol, _ = next(both(make_app()[0]))
    protocol.data_received(request_)
    assert type(protocol.cycle) is not ApiCall


async def test_not_answered_directly_with_limit_concurrency() -> None:
    protocol, _ = connect(FastPath(make_app()[0], None), limit_concurrency=5)  # type: ignore[arg-type]
    assert protocol.api_web is None


async def test_a_full_write_buffer_is_drained_before_the_reply() -> None:
    protocol, transport = next(both(make_app()[0]))
    protocol.pause_writing()  # the transport's buffer is over its high-water mark
    protocol.data_received(get(VALID))
    await asyncio.sleep(0.05)
    assert transport.written == b""
    protocol.resume_writing()
    await answered(protocol, 1)
    assert transport.written.endswith(SUCCESS.encode())


@pytest.mark.parametrize("request_", REQUESTS.values(), ids=REQUESTS.keys())
async def test_the_end_of_the_request_is_noted_as_uvicorn_notes_it(request_: bytes) -> None:
    protocol, _ = next(both(make_app()[0]))
    protocol.data_received(request_)
    call = protocol.cycle
    assert type(call) is ApiCall
    assert (call.more_body, call.response_complete) == (False, False)  # read, not answered
    await answered(protocol, 1)
    protocol.on_message_complete()  # after the reply: left alone, as uvicorn leaves it
    assert call.response_complete


def test_reply_heads_are_the_headers_and_kept_for_a_few_replies() -> None:
    for n in range(2 * REPLY_HEADS_KEPT):
        reply = b"FAILURE: %d" % (n * 7919)
        expected = b"".join(b"%s: %s\r\n" % pair for pair in headers(reply))
        assert _reply_head(reply) == expected
        assert _reply_heads.get(reply, expected) == expected
    assert len(_reply_heads) == REPLY_HEADS_KEPT
