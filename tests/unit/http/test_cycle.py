"""The request cycle of the protocol (`cycle.CycleProtocol`): one keep-alive timer per
connection that closes an idle connection when uvicorn's would, and not a busy one."""

import asyncio

from smsgate.http.app import FastPath
from tests.unit.http.test_api_web import VALID, make_app
from tests.unit.http.test_direct import answered, connect, get
from tests.unit.http.test_protocol import Recorder

KEEP_ALIVE = 0.2  # seconds


async def test_an_idle_connection_is_closed_after_the_keep_alive_timeout() -> None:
    protocol, transport = connect(FastPath(make_app()[0], None), timeout_keep_alive=KEEP_ALIVE)  # type: ignore[arg-type]
    protocol.data_received(get(VALID))
    await answered(protocol, 1)
    # from when the response left, not from when this test saw it (later on a busy machine)
    started = protocol._idle_since
    assert started is not None
    async with asyncio.timeout(5):
        await transport.closed.wait()
    waited = asyncio.get_running_loop().time() - started
    assert KEEP_ALIVE * 0.9 <= waited < KEEP_ALIVE * 3


async def test_the_timeout_counts_from_the_last_response() -> None:
    protocol, transport = connect(Recorder(), timeout_keep_alive=KEEP_ALIVE)
    loop = asyncio.get_running_loop()
    for n in range(1, 5):  # a request every half timeout: never idle a whole one
        protocol.data_received(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        await answered(protocol, n)
        last = protocol._idle_since  # when the response left (see above)
        assert last is not None
        await asyncio.sleep(KEEP_ALIVE / 2)
        assert not transport.closed.is_set()
    async with asyncio.timeout(5):
        await transport.closed.wait()
    assert loop.time() - last >= KEEP_ALIVE * 0.9


async def test_no_close_while_a_request_is_read() -> None:
    protocol, transport = connect(Recorder(), timeout_keep_alive=KEEP_ALIVE)
    protocol.data_received(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
    await answered(protocol, 1)
    protocol.data_received(b"GET /a HTTP/1.1\r\n")  # the next request, not finished yet
    await asyncio.sleep(KEEP_ALIVE * 2)  # uvicorn's timer is off meanwhile; the guard's is on
    assert not transport.closed.is_set()


async def test_the_timer_stops_with_the_connection() -> None:
    protocol, _ = connect(Recorder(), timeout_keep_alive=KEEP_ALIVE)
    protocol.data_received(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
    await answered(protocol, 1)
    timer = protocol.timeout_keep_alive_task
    assert timer is not None
    protocol.connection_lost(None)
    assert timer.cancelled() and protocol.timeout_keep_alive_task is None
