"""The core's end of one API worker's socket: messages in, outcomes out after the commit.

Every message of a frame goes to this process's `Accepter` at once (so they share a group
commit), and the frame's results go back as one frame when all of them are known. A result is
sent only after the commit, exactly as api_web in this process would answer; a worker that
went away before its results arrived answers its clients FAILURE (its side of the socket is
gone), while the messages it sent are committed and will be delivered, like a request whose
client timed out.
"""

import asyncio
import logging
from collections.abc import Callable
from typing import Any, cast

from smsgate.store.accept import Accepter, Outcome
from smsgate.store.errors import StoreUnavailable
from smsgate.workers import wire
from smsgate.workers.frames import FrameError, FrameReader, encode

log = logging.getLogger(__name__)


class CoreEndpoint(asyncio.Protocol):
    """asyncio protocol for one worker connection (`loop.connect_accepted_socket`)."""

    def __init__(self, accepter: Accepter, metrics: Callable[[], bytes]) -> None:
        self._accepter = accepter
        self._metrics = metrics
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
        except (FrameError, ValueError, TypeError, IndexError) as exc:  # not one of ours
            log.error("API worker sent garbage, dropping it: %s", exc)
            if self._transport is not None:
                self._transport.close()

    def _accept(self, rows: list[tuple[Any, ...]]) -> None:
        seqs: list[int] = []
        futures: list[asyncio.Future[Outcome]] = []
        results: list[tuple[int, int]] = []
        for row in rows:
            seq, message = wire.message_from(row)
            try:
                futures.append(self._accepter.submit(message))
                seqs.append(seq)
            except StoreUnavailable:  # stopping: not committed
                results.append((seq, wire.UNAVAILABLE))
        if not futures:
            self._send((wire.RESULTS, results))
            return

        def done(gathered: "asyncio.Future[list[Outcome | BaseException]]") -> None:
            for seq, outcome in zip(seqs, gathered.result(), strict=True):
                code = wire.CODES[outcome] if isinstance(outcome, Outcome) else wire.UNAVAILABLE
                results.append((seq, code))
            self._send((wire.RESULTS, results))

        asyncio.gather(*futures, return_exceptions=True).add_done_callback(done)

    def _send(self, frame: tuple[Any, ...]) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(encode(frame))
