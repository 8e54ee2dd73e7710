"""One named SMPP connection (`[[smpp]]` in the config): its binds, kept up with reconnects.

A Link opens `binds` sessions and keeps each one bound: when a session drops or a bind fails,
it waits with exponential backoff and jitter (`smpp.reconnect.Backoff`) and binds again.
Senders ask for `session()`, which waits until some session is bound and returns the one with
the fewest outstanding submits; each session's own window bounds those. `max_tps` is a token
bucket shared by every session of the link. ESME_RTHROTTLED and ESME_RMSGQFUL pause the whole
link for `throttle_backoff` seconds (`pause()`), since the SMSC is telling the account to slow
down, not one session.

Each session occupies a bind SLOT, 0..binds-1. Alone (SQLite), a link holds every slot. When
several dispatchers share the account (PostgreSQL), a `LeaseManager` tells the link which slots
this process holds a lease on (`set_slots`), so that all processes together never open more than
`binds` sessions: a slot it gains is bound, a slot it loses is unbound. `max_tps` is the
account's rate, so the link's own bucket gets max_tps * slots held / binds. With no slot held,
`session()` raises `LinkNotHeld` and the dispatcher gives the message back to the queue.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable

from smsgate.config import SmppConnectionConfig
from smsgate.delivery.throttle import TokenBucket
from smsgate.metrics import BINDS_HELD, SESSIONS_BOUND
from smsgate.smpp.client import EsmeSession, connect
from smsgate.smpp.errors import SmppError
from smsgate.smpp.pdu import DeliverSm
from smsgate.smpp.reconnect import Backoff

log = logging.getLogger(__name__)

DeliverHandler = Callable[[str, DeliverSm], Awaitable[int | None] | int | None]


class LinkNotHeld(Exception):
    """This process holds no bind slot of the link (another dispatcher has them all)."""


class Link:
    """Keeps a connection's sessions bound and hands them out to senders."""

    def __init__(
        self, config: SmppConnectionConfig, on_deliver: DeliverHandler, *, leased: bool = False
    ) -> None:
        """`leased`: slots come from a LeaseManager (`set_slots`); else `start` takes them all."""
        self.config = config
        self.name = config.name
        self.can_submit = config.bind != "receiver"
        self.leased = leased
        self.bucket = TokenBucket(config.max_tps)
        self._on_deliver = on_deliver
        self._sessions: list[EsmeSession] = []
        self._by_slot: dict[int, EsmeSession] = {}
        self._slots: frozenset[int] = frozenset()
        self._bound = asyncio.Event()
        self._open = asyncio.Event()  # cleared while paused by the SMSC
        self._open.set()
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._closing = False
        self._pause_task: asyncio.Task[None] | None = None
        self._log_fields = {"connection": self.name}  # structured logs (SMSGATE_LOG_FORMAT)

    @property
    def bound_sessions(self) -> int:
        return len(self._sessions)

    @property
    def slots(self) -> frozenset[int]:
        """The bind slots this process may open sessions for."""
        return self._slots

    @property
    def held(self) -> bool:
        return bool(self._slots)

    @property
    def in_flight(self) -> int:
        """submit_sm sent on the bound sessions and not answered yet (the windows in use)."""
        return sum(s.in_flight for s in self._sessions)

    def slot_sessions(self) -> list[tuple[int, int | None]]:
        """Each slot this process holds, with its session's submits in flight (None: the
        slot is not bound now)."""
        sessions = self._by_slot
        return [
            (slot, sessions[slot].in_flight if slot in sessions else None)
            for slot in sorted(self._slots)
        ]

    @property
    def paused(self) -> bool:
        """True while the SMSC's throttling (ESME_RTHROTTLED, ESME_RMSGQFUL) pauses the link."""
        return not self._open.is_set()

    async def start(self) -> None:
        if not self.leased:
            await self.set_slots(range(self.config.binds))

    async def set_slots(self, slots: Iterable[int], timeout: float = 5.0) -> None:
        """Open sessions for new slots; unbind (waiting up to `timeout` for outstanding
        submits) the sessions of slots no longer held."""
        if self._closing:
            return
        wanted = frozenset(slots)
        dropped = self._slots - wanted
        added = wanted - self._slots
        if wanted != self._slots:
            log.info(
                "%s: bind slots %s", self.name, sorted(wanted) or "none", extra=self._log_fields
            )
            rate = self.config.max_tps * len(wanted) / self.config.binds
            if wanted and rate != self.bucket.rate:
                self.bucket = TokenBucket(rate)
        self._slots = wanted
        BINDS_HELD.labels(self.name).set(len(wanted))
        for slot in sorted(added):
            self._tasks[slot] = asyncio.create_task(
                self._keep_bound(slot), name=f"smpp-{self.name}-{slot}"
            )
        if not wanted:
            self._bound.set()  # waiters in session() must learn that there is nothing to wait for
        await asyncio.gather(*(self._drop(slot, timeout) for slot in dropped))

    async def _drop(self, slot: int, timeout: float) -> None:
        task = self._tasks.pop(slot, None)
        session = self._by_slot.get(slot)
        if session is not None:
            if session in self._sessions:
                self._sessions.remove(session)  # no new submits on it
            await session.unbind(timeout)
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def session(self) -> EsmeSession:
        """A bound session to submit on (waits for a bind and for any SMSC-requested pause).
        Raises LinkNotHeld when this process holds no slot of the link."""
        while True:
            await self._open.wait()
            ready = self.ready_session()
            if ready is not None:
                return ready
            if self._closing:
                raise SmppError(f"{self.name}: link is closing")
            if not self._slots:
                raise LinkNotHeld(f"{self.name}: no bind slot held by this process")
            self._bound.clear()
            await self._bound.wait()

    def ready_session(self) -> EsmeSession | None:
        """What `session()` would return at once, or None when it would wait or raise."""
        if not self._open.is_set():
            return None
        best: EsmeSession | None = None  # the first of the fewest in flight, without a list
        for session in self._sessions:
            if session.accepting and (best is None or session.in_flight < best.in_flight):
                best = session  # accepting: not closing or unbinding
        return best

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
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        sessions = list(self._sessions)
        await asyncio.gather(*(s.unbind(timeout) for s in sessions), return_exceptions=True)
        await asyncio.gather(*tasks, return_exceptions=True)
        self._slots = frozenset()
        BINDS_HELD.labels(self.name).set(0)
        if self._pause_task is not None:
            self._pause_task.cancel()

    def _deliver(self, pdu: DeliverSm) -> Awaitable[int | None] | int | None:
        return self._on_deliver(self.name, pdu)

    async def _keep_bound(self, index: int) -> None:
        c = self.config
        backoff = Backoff(c.reconnect_initial, c.reconnect_max)
        while not self._closing and index in self._slots:
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
                    "%s[%d]: bind failed (%s); retry in %.1fs",
                    self.name,
                    index,
                    exc,
                    delay,
                    extra=self._log_fields,
                )
                await asyncio.sleep(delay)
                continue
            backoff.reset()
            log.info(
                "%s[%d]: bound to %s:%d as %s",
                self.name,
                index,
                c.host,
                c.port,
                c.bind,
                extra=self._log_fields,
            )
            if self._closing or index not in self._slots:  # dropped while binding
                await session.unbind(c.response_timeout)
                return
            self._sessions.append(session)
            self._by_slot[index] = session
            SESSIONS_BOUND.labels(self.name).inc()
            self._bound.set()
            try:
                error = await session.wait_closed()
            finally:
                if session in self._sessions:
                    self._sessions.remove(session)
                if self._by_slot.get(index) is session:
                    del self._by_slot[index]
                SESSIONS_BOUND.labels(self.name).dec()
            if not self._closing and index in self._slots:
                delay = backoff.next_delay()
                log.warning(
                    "%s[%d]: connection lost (%s); reconnect in %.1fs",
                    self.name,
                    index,
                    error,
                    delay,
                    extra=self._log_fields,
                )
                await asyncio.sleep(delay)
