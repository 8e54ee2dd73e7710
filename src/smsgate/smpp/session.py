"""One SMPP connection, either side: framing, request/response correlation, flow control.

`SmppSession` is an `asyncio.Protocol`. It splits the byte stream into frames by
command_length, decodes them and

* resolves the future of the pending request a response belongs to (by sequence number;
  generic_nack fails it with `GenericNackError`, a malformed response with `PduError`);
* answers enquire_link and unbind itself (`handle_enquire_link`, `handle_unbind`);
* passes every other request to `handle_request`, which may return the response PDU, None
  (it answers by itself, or not at all) or an awaitable of either. The response is sent with
  the request's sequence number; a handler that raises is answered with ESME_RSYSERR. An
  awaitable is answered from its done callback; a coroutine runs as a task of its own, an
  `asyncio.Future` is only waited on: a receipt's deliver_sm (thousands a second) costs a
  callback instead of a task.

It never lets a bad frame crash the connection: an undecodable request is answered with its
own response type (or generic_nack) carrying the error status, and the session carries on.
Only a command_length outside 16..SMPP_MAX_PDU_LEN, after which the stream cannot be
re-synchronised, is answered with generic_nack ESME_RINVCMDLEN and closes the connection.

Writes are coalesced: everything sent during one event-loop iteration goes out in one
`transport.write`. `request` respects the transport's pause_writing/resume_writing.
"""

import asyncio
import logging
import struct
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Final, TypeAlias, cast

from smsgate.constants import SMPP_HEADER_LEN, SMPP_MAX_PDU_LEN, SMPP_MAX_SEQUENCE
from smsgate.smpp.codes import RESPONSE_BIT, CommandStatus
from smsgate.smpp.errors import (
    ConnectionLost,
    GenericNackError,
    PduError,
    SmppTimeout,
    UnexpectedResponse,
)
from smsgate.smpp.pdu import (
    Bind,
    BindResp,
    DeliverSm,
    DeliverSmResp,
    EnquireLink,
    EnquireLinkResp,
    GenericNack,
    Pdu,
    SubmitSm,
    SubmitSmResp,
    Unbind,
    UnbindResp,
    decode,
    encode,
    response_for,
)

log = logging.getLogger(__name__)
_LENGTH: Final = struct.Struct(">I")

HandlerResult: TypeAlias = Pdu | Awaitable[Pdu | None] | None
_PDU_TYPES: Final = (
    Bind,
    BindResp,
    SubmitSm,
    SubmitSmResp,
    DeliverSm,
    DeliverSmResp,
    EnquireLink,
    EnquireLinkResp,
    Unbind,
    UnbindResp,
    GenericNack,
)
# future, deadline (loop time) or None, expected response command id or None
_Pending: TypeAlias = tuple["asyncio.Future[Pdu]", float | None, int | None]
_SWEEP_SLACK: Final = 0.005  # timeouts are checked in one sweep, at most this late


class SmppSession(asyncio.Protocol):
    """Protocol shared by the ESME client and the SMSC simulator. Subclass and override
    `handle_request` (and optionally `handle_enquire_link` / `handle_unbind`)."""

    def __init__(self, *, request_timeout: float | None = 30.0, name: str = "smpp") -> None:
        self.request_timeout = request_timeout
        self.name = name
        self.transport: asyncio.Transport | None = None
        self._loop = asyncio.get_running_loop()
        # Resolved when the connection is gone; the result says why (None: clean close).
        self.closed: asyncio.Future[Exception | None] = self._loop.create_future()
        self.last_received = self._loop.time()
        self._rbuf = b""
        self._wbuf: list[bytes] = []
        self._flush_scheduled = False
        self._writable = asyncio.Event()
        self._writable.set()
        self._closing = False
        self._seq = 0
        self._pending: dict[int, _Pending] = {}
        self._sweep: asyncio.TimerHandle | None = None  # one timer for all request timeouts
        self._sweep_at = 0.0
        self._tasks: set[asyncio.Future[Any]] = set()  # handlers not answered yet

    # ------------------------------------------------------------------ asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        if peer:
            self.name = f"{self.name}[{peer[0]}:{peer[1]}]"

    def connection_lost(self, exc: Exception | None) -> None:
        self._closing = True
        self.transport = None
        self._wbuf.clear()
        self._writable.set()  # wake paused writers; they will see the session is closed
        pending, self._pending = self._pending, {}
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        for fut, _, _ in pending.values():
            if not fut.done():
                fut.set_exception(ConnectionLost(f"{self.name}: connection lost"))
        if not self.closed.done():
            self.closed.set_result(exc)

    def pause_writing(self) -> None:
        self._writable.clear()

    def resume_writing(self) -> None:
        self._writable.set()

    def data_received(self, data: bytes) -> None:
        self.last_received = self._loop.time()
        if self._rbuf:
            data = self._rbuf + data
            self._rbuf = b""
        pos, size = 0, len(data)
        while size - pos >= 4 and not self._closing:
            length = _LENGTH.unpack_from(data, pos)[0]
            if length < SMPP_HEADER_LEN or length > SMPP_MAX_PDU_LEN:
                self._bad_length(data[pos:], length)
                return
            if size - pos < length:
                break
            self._dispatch(data[pos : pos + length])
            pos += length
        if pos < size and not self._closing:
            self._rbuf = data[pos:]

    # ------------------------------------------------------------------ public API

    @property
    def is_open(self) -> bool:
        """True until the session starts closing."""
        return not self._closing and self.transport is not None

    @property
    def outstanding(self) -> int:
        """Requests sent and not yet answered (or timed out)."""
        return len(self._pending)

    def next_sequence(self) -> int:
        """The next free sequence number in 1..0x7FFFFFFF (wrapping, skipping pending ones)."""
        seq = self._seq
        while True:
            seq = seq + 1 if seq < SMPP_MAX_SEQUENCE else 1
            if seq not in self._pending:
                self._seq = seq
                return seq

    async def request(self, pdu: Pdu, timeout: float | None = None) -> Pdu:
        """Send `pdu` under a new sequence number and return its response.

        Raises SmppTimeout, ConnectionLost, GenericNackError, PduError (malformed response)
        or UnexpectedResponse. `timeout` defaults to `request_timeout`.
        """
        await self.until_writable(timeout)
        return await self.begin_request(pdu, timeout)

    async def until_writable(self, timeout: float | None = None) -> None:
        """Wait while the transport has paused writing; SmppTimeout after `timeout`
        (default `request_timeout`)."""
        if not self._writable.is_set():
            try:
                async with asyncio.timeout(self._timeout(timeout)):
                    await self._writable.wait()
            except TimeoutError:
                raise SmppTimeout(f"{self.name}: peer not reading") from None

    def begin_request(self, pdu: Pdu, timeout: float | None = None) -> "asyncio.Future[Pdu]":
        """Write `pdu` now and return the future of its response (see `request`).

        Ignores the transport's flow control; whoever does not await the future must
        still retrieve its exception.
        """
        seq = self.next_sequence()
        frame = encode(pdu, seq)
        return self.begin_request_frame(frame, seq, pdu.command_id | RESPONSE_BIT, timeout)

    def begin_request_frame(
        self, frame: bytes, sequence_number: int, expect: int | None, timeout: float | None
    ) -> "asyncio.Future[Pdu]":
        """Write a pre-encoded request; its response must carry `sequence_number` and, unless
        `expect` is None, that command id. Used by `begin_request` and by test SMSCs."""
        if not self.is_open:
            raise ConnectionLost(f"{self.name}: session is closed")
        fut: asyncio.Future[Pdu] = self._loop.create_future()
        delay = self._timeout(timeout)
        deadline = None if delay is None else self._loop.time() + delay
        self._pending[sequence_number] = (fut, deadline, expect)
        if deadline is not None and (self._sweep is None or deadline < self._sweep_at):
            self._schedule_sweep(deadline)
        self.write(frame)
        return fut

    def send(self, pdu: Pdu, sequence_number: int | None = None) -> None:
        """Fire and forget (responses): encode and write `pdu`, dropped if closed."""
        if self.is_open:
            self.write(encode(pdu, sequence_number))
        else:
            log.debug("%s: closed, dropping %s", self.name, type(pdu).__name__)

    def write(self, frame: bytes) -> None:
        """Queue raw bytes; they are written, coalesced, at the end of this loop iteration."""
        self._wbuf.append(frame)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def close(self) -> None:
        """Graceful close: flush what was sent, then close the transport."""
        if self.transport is not None and not self._closing:
            self._flush()
            self._closing = True
            self.transport.close()

    def abort(self) -> None:
        """Close at once, discarding unsent data."""
        if self.transport is not None:
            self._closing = True
            self.transport.abort()

    async def close_and_wait(self, timeout: float = 2.0) -> None:
        """Graceful close, but abort if the peer does not let the buffer drain in time."""
        self.close()
        if not self.closed.done():
            await asyncio.wait([self.closed], timeout=timeout)
        if not self.closed.done():
            self.abort()
        await self.wait_closed()

    async def wait_closed(self) -> Exception | None:
        """Wait until the connection is gone; returns the reason (None for a clean close)."""
        return await asyncio.shield(self.closed)

    def cancel_handlers(self) -> None:
        """Cancel request handlers still running (e.g. at shutdown)."""
        for task in list(self._tasks):
            task.cancel()

    async def wait_handlers(self) -> None:
        """Wait for the request handlers running now to finish."""
        if self._tasks:
            await asyncio.wait(list(self._tasks))

    # ------------------------------------------------------------------ overridables

    def handle_request(self, pdu: Pdu) -> HandlerResult:
        """Answer a request other than enquire_link/unbind. Default: ESME_RINVCMDID."""
        return response_for(pdu.command_id, pdu.sequence_number, CommandStatus.ESME_RINVCMDID)

    def handle_enquire_link(self, pdu: EnquireLink) -> HandlerResult:
        return EnquireLinkResp()

    def handle_unbind(self, pdu: Unbind) -> HandlerResult:
        """Default: acknowledge, then close once the response is flushed."""
        self.send(UnbindResp(), pdu.sequence_number)
        self.close()
        return None

    def handle_unmatched_response(self, pdu: Pdu) -> None:
        """A response for no pending request (late after a timeout, or bogus)."""
        if isinstance(pdu, GenericNack):
            log.warning(
                "%s: peer sent generic_nack: %s",
                self.name,
                GenericNackError(pdu.command_status, pdu.sequence_number),
            )
        else:
            log.warning(
                "%s: unmatched %s seq %d", self.name, type(pdu).__name__, pdu.sequence_number
            )

    # ------------------------------------------------------------------ internals

    def _timeout(self, timeout: float | None) -> float | None:
        return self.request_timeout if timeout is None else timeout

    def _flush(self) -> None:
        self._flush_scheduled = False
        if not self._wbuf:
            return
        data = self._wbuf[0] if len(self._wbuf) == 1 else b"".join(self._wbuf)
        self._wbuf.clear()
        if self.transport is not None and not self._closing:
            self.transport.write(data)

    def _schedule_sweep(self, when: float) -> None:
        if self._sweep is not None:
            self._sweep.cancel()
        self._sweep_at = when
        self._sweep = self._loop.call_at(when, self._expire)

    def _expire(self) -> None:
        """Fail the requests past their deadline; schedule the next check.

        One timer per session instead of one per request: with a steady flow and a common
        timeout it fires about once per timeout period, and costs nothing per request."""
        self._sweep = None
        now = self._loop.time()
        limit = now + _SWEEP_SLACK
        expired = [s for s, (_, due, _) in self._pending.items() if due is not None and due < limit]
        for seq in expired:
            fut = self._pending.pop(seq)[0]
            if not fut.done():
                fut.set_exception(SmppTimeout(f"{self.name}: no response to seq {seq}"))
        deadlines = [entry[1] for entry in self._pending.values() if entry[1] is not None]
        if deadlines:
            self._schedule_sweep(max(min(deadlines), now + _SWEEP_SLACK))

    def _bad_length(self, data: bytes, length: int) -> None:
        seq = int.from_bytes(data[12:16], "big") if len(data) >= 16 else 0
        log.warning("%s: command_length %d out of range, closing", self.name, length)
        self.send(GenericNack(command_status=CommandStatus.ESME_RINVCMDLEN), seq)
        self.close()

    def _dispatch(self, frame: bytes) -> None:
        try:
            pdu = decode(frame)
        except PduError as exc:
            self._malformed(exc)
            return
        if pdu.command_id & RESPONSE_BIT:
            self._resolve(pdu)
            return
        try:
            if isinstance(pdu, EnquireLink):
                result = self.handle_enquire_link(pdu)
            elif isinstance(pdu, Unbind):
                result = self.handle_unbind(pdu)
            else:
                result = self.handle_request(pdu)
        except Exception:
            log.exception("%s: handler failed for %s", self.name, type(pdu).__name__)
            result = response_for(pdu.command_id, 0, CommandStatus.ESME_RSYSERR)
        if result is None:
            return
        if isinstance(result, _PDU_TYPES):
            self.send(result, pdu.sequence_number)
            return
        # a future is only waited on; a coroutine runs as a task of its own
        self.answer_when_done(pdu, asyncio.ensure_future(result, loop=self._loop))

    def answer_when_done(
        self,
        request: Pdu,
        pending: "asyncio.Future[Any]",
        respond: Callable[[Any], Pdu | None] | None = None,
    ) -> None:
        """Answer `request` once `pending` is done, as a handler returning it would be: with
        `respond(result)` (without `respond`, the result: a PDU or None), ESME_RSYSERR if it
        raised, nothing if it was cancelled; `wait_handlers` and `cancel_handlers` see it.

        For a handler that maps a future of its own to a response: one done callback instead
        of a second future and its callback (the receipt path, thousands a second)."""
        pending.add_done_callback(partial(self._answer, request, respond))
        self._tasks.add(pending)

    def _answer(
        self,
        request: Pdu,
        respond: Callable[[Any], Pdu | None] | None,
        result: "asyncio.Future[Any]",
    ) -> None:
        """Send the response of a handler that returned an awaitable, once it is done."""
        self._tasks.discard(result)
        if result.cancelled():  # shutting down: no answer
            return
        exc = result.exception()
        response: Pdu | None
        if exc is not None:
            log.error("%s: handler failed for %s", self.name, type(request).__name__, exc_info=exc)
            response = response_for(request.command_id, 0, CommandStatus.ESME_RSYSERR)
        elif respond is None:
            response = result.result()
        else:
            response = respond(result.result())
        if response is not None:
            self.send(response, request.sequence_number)

    def _resolve(self, pdu: Pdu) -> None:
        entry = self._pending.pop(pdu.sequence_number, None)
        if entry is None:
            self.handle_unmatched_response(pdu)
            return
        fut, _, expect = entry
        if fut.done():
            return
        if isinstance(pdu, GenericNack):
            fut.set_exception(GenericNackError(pdu.command_status, pdu.sequence_number))
        elif expect is not None and pdu.command_id != expect:
            fut.set_exception(UnexpectedResponse(f"{self.name}: got {pdu!r}"))
        else:
            fut.set_result(pdu)

    def _malformed(self, exc: PduError) -> None:
        log.warning("%s: %s", self.name, exc)
        if exc.command_id & RESPONSE_BIT:  # never answer a response; fail its request
            entry = self._pending.pop(exc.sequence_number, None)
            if entry is not None and not entry[0].done():
                entry[0].set_exception(exc)
            return
        self.send(response_for(exc.command_id, exc.sequence_number, exc.status))
