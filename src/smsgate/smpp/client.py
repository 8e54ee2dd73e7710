"""ESME side of SMPP: `connect()` opens a TCP connection and binds, giving an `EsmeSession`.

The session submits (`submit`, optionally bounded by a window of outstanding requests),
hands deliver_sm (receipts and mobile-originated messages) to the `on_deliver_sm` callback,
keeps the link alive with enquire_link when idle, and unbinds gracefully.

deliver_sm is acknowledged only after the callback returns: ESME_ROK when it returns None,
the status it returns when it returns an int, ESME_RSYSERR when it raises. So a receipt the
gateway failed to store is never acknowledged and the SMSC will deliver it again. A callback may
also return an awaitable of the same: a coroutine runs as a task, an `asyncio.Future` is only
waited on (no task: the receipt path).

Reconnecting is the dispatcher's job (see `reconnect.Backoff`); a session is one connection.
"""

import asyncio
import inspect
import logging
import ssl as ssl_module
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Final, Literal, TypeAlias

from smsgate.constants import SMPP_INTERFACE_VERSION
from smsgate.smpp.codes import CommandId, CommandStatus
from smsgate.smpp.encoder import request_frame
from smsgate.smpp.errors import (
    BindFailed,
    ConnectionLost,
    GenericNackError,
    SmppError,
    SmppTimeout,
    UnexpectedResponse,
)
from smsgate.smpp.pdu import (
    Bind,
    BindResp,
    DeliverSm,
    DeliverSmResp,
    EnquireLink,
    Pdu,
    SubmitSm,
    SubmitSmResp,
    Unbind,
    response_for,
)
from smsgate.smpp.session import HandlerResult, SmppSession

log = logging.getLogger(__name__)

BindMode: TypeAlias = Literal["transmitter", "receiver", "transceiver"]
DeliverCallback: TypeAlias = Callable[[DeliverSm], Awaitable[int | None] | int | None]
_BIND_IDS: Final[dict[str, CommandId]] = {
    "transmitter": CommandId.BIND_TRANSMITTER,
    "receiver": CommandId.BIND_RECEIVER,
    "transceiver": CommandId.BIND_TRANSCEIVER,
}


class EsmeSession(SmppSession):
    """A bound ESME connection. Create it with `connect()`."""

    def __init__(
        self,
        *,
        window: int | None = None,
        on_deliver_sm: DeliverCallback | None = None,
        request_timeout: float | None = 30.0,
        enquire_link_interval: float | None = 30.0,
        enquire_link_timeout: float | None = None,
        name: str = "esme",
    ) -> None:
        super().__init__(request_timeout=request_timeout, name=name)
        self.on_deliver_sm = on_deliver_sm
        self.window = window
        self.enquire_link_interval = enquire_link_interval
        self.enquire_link_timeout = enquire_link_timeout
        self.bind_mode: BindMode | None = None
        self.smsc_system_id = ""  # system_id from the SMSC's bind_resp
        self._window = asyncio.Semaphore(window) if window else None
        self._inflight = 0
        self._drained: asyncio.Future[None] | None = None
        self._unbinding = False
        self._keepalive: asyncio.Task[None] | None = None

    @property
    def accepting(self) -> bool:
        """True while `submit` can be used (open, and unbind has not started)."""
        return self.is_open and not self._unbinding

    @property
    def in_flight(self) -> int:
        """submit_sm sent (or waiting for a window slot) and not answered yet."""
        return self._inflight

    async def submit(self, pdu: SubmitSm | bytes, *, timeout: float | None = None) -> SubmitSmResp:
        """Send one submit_sm and return its response, whatever its command_status.

        `pdu` is a SubmitSm, or the body of one as `encoder.submit_sm_body` gives it. A
        generic_nack is returned as a SubmitSmResp with the nack's status, so callers
        classify one status field. Raises SmppTimeout or ConnectionLost (also once `unbind`
        has started). With `window`, waits for a free slot first.
        """
        if self._unbinding:
            raise ConnectionLost(f"{self.name}: unbinding")
        self._inflight += 1
        window = self._window
        try:
            if window is not None:
                await window.acquire()
                if self._unbinding:
                    window.release()
                    raise ConnectionLost(f"{self.name}: unbinding")
            try:
                await self.until_writable(timeout)
                resp = await self._begin_submit(pdu, timeout)
            except GenericNackError as exc:
                return SubmitSmResp(sequence_number=exc.sequence_number, command_status=exc.status)
            finally:
                if window is not None:
                    window.release()
        finally:
            self._answered(None)
        if not isinstance(resp, SubmitSmResp):  # request() checked the id; this is for mypy
            raise UnexpectedResponse(f"{self.name}: got {resp!r}")
        return resp

    def submit_nowait(
        self,
        pdu: SubmitSm | bytes,
        *,
        timeout: float | None = None,
        then: "Callable[[asyncio.Future[Pdu]], None] | None" = None,
    ) -> "asyncio.Future[Pdu] | None":
        """`submit` without a coroutine, for the dispatcher's hot path: writes the submit_sm
        now and returns the future of its response (read it with `submit_response`), or None,
        sending nothing, when `submit` would have to wait (a full session window, a peer not
        reading) or would refuse (unbinding, closed). `then(future)` runs once the future is
        done, right after the session's own bookkeeping (one callback, not two)."""
        window = self._window
        if self._unbinding or not self._writable.is_set() or not self.is_open:
            return None
        if window is not None and not try_acquire(window):
            return None
        fut = self._begin_submit(pdu, timeout)
        self._inflight += 1
        if then is None:
            fut.add_done_callback(self._answered if window is None else self._answered_in_window)
        else:
            fut.add_done_callback(partial(self._answered_then, then))
        return fut

    def _begin_submit(self, pdu: SubmitSm | bytes, timeout: float | None) -> "asyncio.Future[Pdu]":
        if not isinstance(pdu, bytes):
            return self.begin_request(pdu, timeout)
        seq = self.next_sequence()
        frame = request_frame(CommandId.SUBMIT_SM, seq, pdu)
        return self.begin_request_frame(frame, seq, CommandId.SUBMIT_SM_RESP, timeout)

    def _answered_then(
        self, then: "Callable[[asyncio.Future[Pdu]], None]", fut: "asyncio.Future[Pdu]"
    ) -> None:
        if self._window is not None:  # `_answered_in_window`, without the call
            self._window.release()
        self._answered(fut)
        then(fut)

    def _answered_in_window(self, fut: "asyncio.Future[Pdu]") -> None:
        if self._window is not None:
            self._window.release()
        self._answered(fut)

    def _answered(self, _: "asyncio.Future[Pdu] | None") -> None:
        """One submit less in flight; the last one lets a waiting `unbind` go on."""
        self._inflight -= 1
        if not self._inflight and self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    async def unbind(self, timeout: float = 5.0) -> None:
        """Stop submitting, wait (bounded by `timeout` overall) for outstanding submits and
        deliver_sm callbacks, send unbind, then close. Never raises for a dead peer."""
        if not self.is_open:
            await self.wait_closed()
            return
        self._unbinding = True
        deadline = self._loop.time() + timeout
        try:
            waits: list[asyncio.Future[None]] = list(self._tasks)
            if self._inflight:
                self._drained = self._loop.create_future()
                waits.append(self._drained)
            if waits:
                await asyncio.wait(waits, timeout=max(0.0, deadline - self._loop.time()))
            if self.is_open:
                try:
                    await self.request(Unbind(), max(0.05, deadline - self._loop.time()))
                except SmppError as exc:
                    log.info("%s: unbind not acknowledged: %s", self.name, exc)
        finally:
            await self.close_and_wait(max(0.1, deadline - self._loop.time()))

    async def wait_closed(self) -> Exception | None:
        reason = await super().wait_closed()
        task = self._keepalive
        if task is not None and task is not asyncio.current_task():
            await asyncio.wait([task])
        return reason

    def connection_lost(self, exc: Exception | None) -> None:
        if self._keepalive is not None and self._keepalive is not asyncio.current_task():
            self._keepalive.cancel()
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)
        super().connection_lost(exc)

    def handle_request(self, pdu: Pdu) -> HandlerResult:
        if not isinstance(pdu, DeliverSm):
            return response_for(pdu.command_id, 0, CommandStatus.ESME_RINVCMDID)
        callback = self.on_deliver_sm
        if callback is None:
            log.warning("%s: no on_deliver_sm callback; acknowledging and dropping", self.name)
            return DeliverSmResp()
        result = callback(pdu)  # an exception here is answered with ESME_RSYSERR
        if isinstance(result, asyncio.Future):
            self.answer_when_done(pdu, result, _deliver_sm_resp)
            return None
        if inspect.isawaitable(result):
            return self._deliver_status(result)
        return DeliverSmResp(command_status=result or CommandStatus.ESME_ROK)

    async def _deliver_status(self, result: Awaitable[int | None]) -> Pdu:
        return DeliverSmResp(command_status=(await result) or CommandStatus.ESME_ROK)

    def _bound(self, mode: BindMode, resp: BindResp) -> None:
        self.bind_mode = mode
        self.smsc_system_id = resp.system_id
        if self.enquire_link_interval:
            self._keepalive = self._loop.create_task(self._keep_alive(self.enquire_link_interval))

    async def _keep_alive(self, interval: float) -> None:
        """Send enquire_link after `interval` seconds without traffic; close if unanswered."""
        while self.is_open:
            idle = self._loop.time() - self.last_received
            if idle < interval:
                await asyncio.sleep(interval - idle)
                continue
            try:
                await self.request(EnquireLink(), self.enquire_link_timeout)
            except SmppTimeout:
                log.warning("%s: enquire_link unanswered, closing the connection", self.name)
                self.abort()
                return
            except ConnectionLost:
                return
            except SmppError as exc:  # generic_nack etc.: the peer is alive
                log.info("%s: enquire_link answered with %s", self.name, exc)
                self.last_received = self._loop.time()


# PDUs are never changed once made (records: frozen to mypy) and the session sends each under
# the request's sequence number: one will do.
_DELIVERED: Final = DeliverSmResp(command_status=CommandStatus.ESME_ROK)


def _deliver_sm_resp(status: int | None) -> Pdu:
    """The deliver_sm_resp for a callback's status (None: ESME_ROK)."""
    return DeliverSmResp(command_status=status) if status else _DELIVERED


async def connect(
    host: str,
    port: int,
    *,
    system_id: str,
    password: str,
    bind: BindMode = "transceiver",
    system_type: str = "",
    interface_version: int = SMPP_INTERFACE_VERSION,
    addr_ton: int = 0,
    addr_npi: int = 0,
    address_range: str = "",
    timeout: float = 10.0,
    window: int | None = None,
    on_deliver_sm: DeliverCallback | None = None,
    request_timeout: float | None = 30.0,
    enquire_link_interval: float | None = 30.0,
    enquire_link_timeout: float | None = None,
    ssl: ssl_module.SSLContext | None = None,
) -> EsmeSession:
    """Connect and bind. `timeout` bounds the TCP connect and the bind separately.

    Raises BindFailed (refused bind or generic_nack), SmppTimeout, ConnectionLost, or
    OSError from the TCP connect.
    """
    loop = asyncio.get_running_loop()

    def factory() -> EsmeSession:
        return EsmeSession(
            window=window,
            on_deliver_sm=on_deliver_sm,
            request_timeout=request_timeout,
            enquire_link_interval=enquire_link_interval,
            enquire_link_timeout=enquire_link_timeout,
            name=f"esme:{system_id}",
        )

    try:
        async with asyncio.timeout(timeout):
            _, session = await loop.create_connection(factory, host, port, ssl=ssl)
    except TimeoutError:
        raise SmppTimeout(f"connect to {host}:{port} timed out") from None
    request = Bind(
        command_id=_BIND_IDS[bind],
        system_id=system_id,
        password=password,
        system_type=system_type,
        interface_version=interface_version,
        addr_ton=addr_ton,
        addr_npi=addr_npi,
        address_range=address_range,
    )
    try:
        try:
            resp = await session.request(request, timeout)
        except GenericNackError as exc:
            raise BindFailed(exc.status) from None
        if not isinstance(resp, BindResp) or resp.command_status != CommandStatus.ESME_ROK:
            raise BindFailed(resp.command_status)
    except BaseException:
        session.abort()
        await session.wait_closed()
        raise
    session._bound(bind, resp)
    log.info("%s: bound as %s to %s:%d", session.name, bind, host, port)
    return session


def try_acquire(semaphore: asyncio.Semaphore) -> bool:
    """Take a slot of `semaphore` if one is free now, without waiting. asyncio has no
    non-blocking acquire: when `locked()` is False, `acquire()` takes a slot at its first step.
    The usual case (a slot free, no one waiting) is read from the semaphore's counter itself,
    without `locked()` and the coroutine."""
    if semaphore._value > 0 and not semaphore._waiters:
        semaphore._value -= 1
        return True
    if semaphore.locked():
        return False
    step = semaphore.acquire()
    try:
        step.send(None)
    except StopIteration:
        return True
    step.close()  # unreachable while the loop is not running anything else meanwhile
    return False


def submit_response(fut: "asyncio.Future[Pdu]") -> SubmitSmResp:
    """A finished `submit_nowait` future as `submit` would return it: a generic_nack becomes
    a SubmitSmResp with the nack's status; any other error (an SmppError) is raised."""
    try:
        resp = fut.result()
    except GenericNackError as exc:
        return SubmitSmResp(sequence_number=exc.sequence_number, command_status=exc.status)
    if not isinstance(resp, SubmitSmResp):  # request() checked the id; this is for mypy
        raise UnexpectedResponse(f"unexpected response {resp!r}")
    return resp
