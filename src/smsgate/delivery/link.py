"""One named SMPP connection (`[[smpp]]` in the config): its binds, kept up with reconnects.

A Link opens `binds` sessions and keeps each one bound: when a session drops or a bind fails,
it waits with exponential backoff and jitter (`smpp.reconnect.Backoff`) and binds again.
Senders ask for `session()`, which waits until some session is bound and returns the one with
the fewest outstanding submits; each session's own window bounds those. `max_tps` is a token
bucket shared by every session of the link. ESME_RTHROTTLED and ESME_RMSGQFUL pause the whole
link for `throttle_backoff` seconds (`pause()`), since the SMSC is telling the account to slow
down, not one session.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from smsgate.config import SmppConnectionConfig
from smsgate.delivery.throttle import TokenBucket
from smsgate.metrics import SESSIONS_BOUND
from smsgate.smpp.client import EsmeSession, connect
from smsgate.smpp.errors import SmppError
from smsgate.smpp.pdu import DeliverSm
from smsgate.smpp.reconnect import Backoff

log = logging.getLogger(__name__)

DeliverHandler = Callable[[str, DeliverSm], Awaitable[int | None]]


class Link:
    """Keeps a connection's sessions bound and hands them out to senders."""

    def __init__(self, config: SmppConnectionConfig, on_deliver: DeliverHandler) -> None:
        self.config = config
        self.name = config.name
        self.can_submit = config.bind != "receiver"
        self.bucket = TokenBucket(config.max_tps)
        self._on_deliver = on_deliver
        self._sessions: list[EsmeSession] = []
        self._bound = asyncio.Event()
        self._open = asyncio.Event()  # cleared while paused by the SMSC
        self._open.set()
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False
        self._pause_task: asyncio.Task[None] | None = None

    @property
    def bound_sessions(self) -> int:
        return len(self._sessions)

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._keep_bound(i), name=f"smpp-{self.name}-{i}")
            for i in range(self.config.binds)
        ]

    async def session(self) -> EsmeSession:
        """A bound session to submit on (waits for a bind and for any SMSC-requested pause)."""
        while True:
            await self._open.wait()
            if self._sessions:
                return min(self._sessions, key=lambda s: s.in_flight)
            if self._closing:
                raise SmppError(f"{self.name}: link is closing")
            self._bound.clear()
            await self._bound.wait()

    async def wait_bound(self) -> None:
        while not self._sessions:
            self._bound.clear()
            await self._bound.wait()

    def pause(self) -> None:
        """The SMSC asked us to slow down: stop handing out sessions for a while."""
        if self._pause_task is None or self._pause_task.done():
            self._open.clear()
            self._pause_task = asyncio.create_task(self._resume_later())

    async def _resume_later(self) -> None:
        await asyncio.sleep(self.config.throttle_backoff)
        self._open.set()

    async def stop(self, timeout: float = 5.0) -> None:
        """Unbind every session (waiting up to `timeout` for outstanding submits)."""
        self._closing = True
        self._open.set()
        self._bound.set()
        for task in self._tasks:
            task.cancel()
        sessions = list(self._sessions)
        await asyncio.gather(*(s.unbind(timeout) for s in sessions), return_exceptions=True)
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._pause_task is not None:
            self._pause_task.cancel()

    async def _deliver(self, pdu: DeliverSm) -> int | None:
        return await self._on_deliver(self.name, pdu)

    async def _keep_bound(self, index: int) -> None:
        c = self.config
        backoff = Backoff(c.reconnect_initial, c.reconnect_max)
        while not self._closing:
            try:
                session = await connect(
                    c.host,
                    c.port,
                    system_id=c.system_id,
                    password=c.password,
                    bind=c.bind,
                    system_type=c.system_type,
                    window=c.window,
                    on_deliver_sm=self._deliver,
                    request_timeout=c.response_timeout,
                    enquire_link_interval=c.enquire_link_interval,
                    timeout=c.response_timeout,
                )
            except (OSError, SmppError) as exc:
                delay = backoff.next_delay()
                log.warning(
                    "%s[%d]: bind failed (%s); retry in %.1fs", self.name, index, exc, delay
                )
                await asyncio.sleep(delay)
                continue
            backoff.reset()
            log.info("%s[%d]: bound to %s:%d as %s", self.name, index, c.host, c.port, c.bind)
            self._sessions.append(session)
            SESSIONS_BOUND.labels(self.name).inc()
            self._bound.set()
            try:
                error = await session.wait_closed()
            finally:
                self._sessions.remove(session)
                SESSIONS_BOUND.labels(self.name).dec()
            if not self._closing:
                delay = backoff.next_delay()
                log.warning(
                    "%s[%d]: connection lost (%s); reconnect in %.1fs",
                    self.name,
                    index,
                    error,
                    delay,
                )
                await asyncio.sleep(delay)
