"""One socket write per HTTP response instead of two: a transport that joins the writes.

An ASGI response is two messages, `http.response.start` and `http.response.body`, and uvicorn
writes each to the transport at once: two `send()` system calls and, with TCP_NODELAY, two TCP
segments for a 60-byte reply. Profiled under load, those two writes were the largest single
cost of an API process (about a third of its time holding the GIL), and the client pays for
the second segment too. The protocol (`protocol.py`) gives uvicorn a transport that collects
what is written during one event-loop step and sends it with one write right after
(`call_soon`), so a response's head and body leave together; a close sends what is pending
first.

Written by hand because uvicorn has no option for it; it only wraps the transport.
"""

import asyncio
from typing import Any


class CoalescingTransport:
    """Delegates to `transport`, except that writes of one loop step become one write."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(data)

    def write_now(self, data: bytes) -> None:
        """Write `data` at once, after what is pending: for a caller whose write is a whole
        response already (`direct.py`), so that it costs no extra loop step."""
        if self._pending:
            self._pending.append(data)
            data = b"".join(self._pending)
            self._pending.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def flush(self) -> None:
        if not self._pending:
            return
        data = b"".join(self._pending)
        self._pending.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def abort(self) -> None:
        self._pending.clear()
        self._transport.abort()

    def is_closing(self) -> bool:  # read for every response: `__getattr__` is a failed lookup first
        return self._transport.is_closing()

    def __getattr__(self, name: str) -> Any:  # everything else: the real transport's
        return getattr(self._transport, name)
