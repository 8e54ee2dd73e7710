"""The core's end of one API worker's socket: messages in, outcomes out after the commit.

Opt-outs from the worker (api_web's `smsstopsubscribersend`, REST's `stopSubscriberSend`)
are committed here too, each as it arrives, and answered after their commit.

Every message of a frame goes to this process's `Accepter` at once (so they share a group
commit), and the frame's results go back as one frame when all of them are known. A result is
sent only after the commit, exactly as api_web in this process would answer; a worker that
went away before its results arrived answers its clients FAILURE (its side of the socket is
gone), while the messages it sent are committed and will be delivered, like a request whose
client timed out.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, cast

from smsgate.domain.model import Outcome
from smsgate.services.group_commit import Accepter
from smsgate.services.optouts import AddsOptOut
from smsgate.services.readiness import Readiness
from smsgate.store.errors import StoreUnavailable
from smsgate.workers import wire
from smsgate.workers.frames import FrameError, FrameReader, encode

log = logging.getLogger(__name__)


class CoreEndpoint(asyncio.Protocol):
    """asyncio protocol for one worker connection (`loop.connect_accepted_socket`)."""

    def __init__(
        self,
        accepter: Accepter,
        metrics: Callable[[], bytes],
        ready: Callable[[], Awaitable[Readiness]],
        optouts: AddsOptOut,
    ) -> None:
        self._accepter = accepter
        self._metrics = metrics
        self._ready = ready
        self._optouts = optouts
        self._tasks: set[asyncio.Task[None]] = set()  # held until done: the loop keeps weak refs
        self._reader = FrameReader()
        self._transport: asyncio.Transport | None = None
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        try:
            for frame in self._reader.feed(data):
                kind = frame[0]
                if kind == wire.ACCEPT:
                    self._accept(frame[1])
                elif kind == wire.METRICS:
                    self._send((wire.METRICS, frame[1], self._metrics()))
                elif kind == wire.READY:
                    self._spawn(self._answer_ready(frame[1]))
                elif kind == wire.OPT_OUT:
                    _, seq, realm_id, phone, code, source = frame
                    self._spawn(self._opt_out(seq, realm_id, phone, code, source))
        except (FrameError, ValueError, TypeError, IndexError) as exc:  # not one of ours
            log.error("API worker sent garbage, dropping it: %s", exc)
            if self._transport is not None:
                self._transport.close()

    def _accept(self, rows: list[tuple[Any, ...]]) -> None:
        results = _FrameResults(len(rows), self._send)
        for row in rows:
            seq, message = wire.message_from(row)
            slot = _Slot(results, seq)
            try:
                self._accepter.submit_to(message, slot)
            except StoreUnavailable as exc:  # stopping: not committed
                slot.set_exception(exc)

    async def _answer_ready(self, seq: int) -> None:
        answer = await self._ready()
        self._send((wire.READY, seq, answer.ready, answer.reason))

    async def _opt_out(self, seq: int, realm_id: int, phone: str, code: str, source: str) -> None:
        try:
            added = await self._optouts.add(realm_id, phone, code, source=source)
        except Exception as exc:  # not committed: the worker answers FAILURE
            log.error("cannot store an opt-out for an API worker: %s", exc)
            result = wire.UNAVAILABLE
        else:
            result = wire.ADDED if added else wire.ALREADY
        self._send((wire.OPT_OUT, seq, result))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _send(self, frame: tuple[Any, ...]) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(encode(frame))


class _FrameResults:
    """The results of one ACCEPT frame, sent back as one RESULTS frame once all are in."""

    __slots__ = ("_missing", "_results", "_send")

    def __init__(self, count: int, send: Callable[[tuple[Any, ...]], None]) -> None:
        self._missing = count
        self._results: list[tuple[int, int]] = []
        self._send = send
        if not count:
            send((wire.RESULTS, self._results))

    def add(self, seq: int, code: int) -> None:
        self._results.append((seq, code))
        self._missing -= 1
        if not self._missing:
            self._send((wire.RESULTS, self._results))


class _Slot:
    """One message's `Waiter` (services.group_commit): its code goes into its frame's
    results. Cheaper than a future per message and a `gather` per frame, on the core's
    busiest path."""

    __slots__ = ("_done", "_frame", "_seq")

    def __init__(self, frame: _FrameResults, seq: int) -> None:
        self._frame = frame
        self._seq = seq
        self._done = False

    def done(self) -> bool:
        return self._done

    def set_result(self, result: Outcome, /) -> None:
        self._resolve(wire.CODES[result])

    def set_exception(self, exception: BaseException, /) -> None:
        self._resolve(wire.UNAVAILABLE)  # not committed: the worker answers FAILURE

    def _resolve(self, code: int) -> None:
        if not self._done:
            self._done = True
            self._frame.add(self._seq, code)
