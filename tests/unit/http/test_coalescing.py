"""One socket write per response: what one event-loop step writes leaves in one write."""

import asyncio

from smsgate.http.coalescing import CoalescingTransport


class RecordingTransport:
    """The calls a real transport would get."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bytes]] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.calls.append(("write", data))

    def close(self) -> None:
        self.calls.append(("close", b""))
        self.closing = True

    def abort(self) -> None:
        self.calls.append(("abort", b""))
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing

    def get_extra_info(self, name: str) -> str:
        return f"info:{name}"


def wrap() -> tuple[CoalescingTransport, RecordingTransport]:
    real = RecordingTransport()
    return CoalescingTransport(real, asyncio.get_running_loop()), real  # type: ignore[arg-type]


async def test_head_and_body_of_one_step_leave_in_one_write() -> None:
    transport, real = wrap()
    transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
    transport.write(b"SUCCESS")
    assert real.calls == []
    await asyncio.sleep(0)
    assert real.calls == [("write", b"HTTP/1.1 200 OK\r\n\r\nSUCCESS")]
    transport.write(b"next")
    await asyncio.sleep(0)
    assert real.calls[-1] == ("write", b"next")


async def test_close_sends_what_is_pending_first() -> None:
    transport, real = wrap()
    transport.write(b"bye")
    transport.close()
    assert real.calls == [("write", b"bye"), ("close", b"")]
    await asyncio.sleep(0)  # the scheduled flush finds nothing left
    assert len(real.calls) == 2


async def test_abort_drops_what_is_pending() -> None:
    transport, real = wrap()
    transport.write(b"never")
    transport.abort()
    await asyncio.sleep(0)
    assert real.calls == [("abort", b"")]


async def test_nothing_is_written_to_a_closing_transport() -> None:
    transport, real = wrap()
    transport.write(b"late")
    real.closing = True  # the peer went away meanwhile
    await asyncio.sleep(0)
    assert real.calls == []


async def test_everything_else_is_the_real_transport() -> None:
    transport, _ = wrap()
    assert transport.get_extra_info("peername") == "info:peername"
    assert transport.is_closing() is False
