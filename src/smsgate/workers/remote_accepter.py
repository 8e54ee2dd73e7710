"""An API worker's `accept` (and `add`, an opt-out): hand it to the core and wait for its commit.

Requests of one event-loop turn travel in one frame (a flush is scheduled with `call_soon` on
the first of them), so a busy worker sends few, large frames and the core commits them in one
group commit. SUCCESS still means what it means in one process: the core answers a message only
after the transaction holding it has committed. If the core goes away, every waiting request
and every later one gets `StoreUnavailable` (FAILURE, temporarily unavailable), and
`on_lost` is called: the worker stops, and the core, if it lives, starts a new one.
"""

import asyncio
import itertools
import logging
import socket
from collections.abc import Callable
from typing import Any, cast

from smsgate.domain.model import Message, Outcome
from smsgate.services.readiness import Readiness
from smsgate.store.errors import StoreUnavailable
from smsgate.workers import wire
from smsgate.workers.frames import FrameError, FrameReader, encode

log = logging.getLogger(__name__)


class RemoteAccepter(asyncio.Protocol):
    """`AcceptsMessages` over the socket to the core (see the module docstring)."""

    def __init__(self, sock: socket.socket, *, on_lost: Callable[[], None] = lambda: None) -> None:
        self._sock = sock
        self._on_lost = on_lost
        self._reader = FrameReader()
        self._transport: asyncio.Transport | None = None
        self._seq = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[Any]] = {}
        self._outbox: list[tuple[Any, ...]] = []
        self._flush_scheduled = False
        self._stopping = False

    @property
    def running(self) -> bool:
        return self._transport is not None and not self._transport.is_closing()

    async def start(self) -> None:
        await asyncio.get_running_loop().connect_accepted_socket(lambda: self, self._sock)

    async def stop(self) -> None:
        self._stopping = True
        if self._transport is not None:
            self._transport.close()

    async def accept(self, message: Message) -> Outcome:
        if not self.running:
            raise StoreUnavailable("the core process is not reachable")
        seq = next(self._seq)
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._waiting[seq] = future
        self._outbox.append(wire.message_fields(seq, message))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)
        return await future

    async def core_metrics(self) -> bytes:
        """The core process's Prometheus text."""
        if not self.running or self._transport is None:
            raise StoreUnavailable("the core process is not reachable")
        seq = next(self._seq)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._waiting[seq] = future
        self._transport.write(encode((wire.METRICS, seq)))
        return await future

    async def core_ready(self) -> Readiness:
        """The core process's readiness (not ready, naming why, if it is unreachable)."""
        if not self.running or self._transport is None:
            return Readiness(False, "the core process is not reachable")
        seq = next(self._seq)
        future: asyncio.Future[tuple[bool, str]] = asyncio.get_running_loop().create_future()
        self._waiting[seq] = future
        self._transport.write(encode((wire.READY, seq)))
        try:
            ready, reason = await future
        except StoreUnavailable:
            return Readiness(False, "the core process is not reachable")
        return Readiness(ready, reason)

    async def add(self, realm_id: int, phone: str, sender_code: str, *, source: str) -> bool:
        """Opt `phone` out of `sender_code` in the core's store (an API worker never writes);
        False if it already was. StoreUnavailable if the core could not commit it."""
        if not self.running or self._transport is None:
            raise StoreUnavailable("the core process is not reachable")
        seq = next(self._seq)
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiting[seq] = future
        self._transport.write(encode((wire.OPT_OUT, seq, realm_id, phone, sender_code, source)))
        code = await future
        if code == wire.UNAVAILABLE:
            raise StoreUnavailable("the core process could not commit the opt-out")
        return code == wire.ADDED

    def _flush(self) -> None:
        self._flush_scheduled = False
        rows, self._outbox = self._outbox, []
        if rows and self._transport is not None:
            self._transport.write(encode((wire.ACCEPT, rows)))

    # --- asyncio.Protocol ---

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        waiting, self._waiting = self._waiting, {}
        for future in waiting.values():
            if not future.done():
                future.set_exception(StoreUnavailable("lost the core process"))
        if not self._stopping:
            log.error("lost the connection to the core process")
            self._on_lost()

    def data_received(self, data: bytes) -> None:
        try:
            frames = self._reader.feed(data)
        except FrameError as exc:
            log.error("the core process sent garbage: %s", exc)
            if self._transport is not None:
                self._transport.close()
            return
        for frame in frames:
            if frame[0] == wire.RESULTS:
                for seq, code in frame[1]:
                    self._resolve(seq, code)
            elif frame[0] in (wire.METRICS, wire.OPT_OUT):
                future = self._waiting.pop(frame[1], None)
                if future is not None and not future.done():
                    future.set_result(frame[2])
            elif frame[0] == wire.READY:
                future = self._waiting.pop(frame[1], None)
                if future is not None and not future.done():
                    future.set_result((frame[2], frame[3]))

    def _resolve(self, seq: int, code: int) -> None:
        future = self._waiting.pop(seq, None)
        if future is None or future.done():  # the request was cancelled (client went away)
            return
        outcome = wire.OUTCOMES.get(code)
        if outcome is None:
            future.set_exception(StoreUnavailable("the core process could not commit"))
        else:
            future.set_result(outcome)
