"""How queued messages reach the dispatcher: one interface, one implementation per topology.

The store is the source of truth for the queue; an intake only decides how the dispatcher
learns of queued rows and claims them (queued -> sending, opt-outs re-read: `store.queue`).
Bootstrap chooses the implementation from the database:

- `LocalIntake` (SQLite: the database's only dispatcher). The group commit inserts messages
  it has room for already claimed (`reserve` / `take`: `services.group_commit.Handoff`),
  which saves the claim transaction altogether; the others are handed over by id (`enqueue`)
  and claimed by id. Whatever is lost from memory (a crash, a full hand-off buffer) is found
  again by polling `queued` rows: while a backlog lasts, and once per poll interval otherwise.
  At start, every message a crash left `sending` is queued again (`recover`).
- `SharedIntake` (PostgreSQL: any number of dispatchers). Each claims the oldest queued rows
  with SKIP LOCKED (`QueueStore.claim_next`), under its node id; it is woken by NOTIFY from API
  processes and by its own process's commits (`wake`), and polls once per poll interval. Dead
  nodes' messages are queued again by the reaper (`store.nodes`), not at start.

Either way `next_batch` returns claimed messages with the monotonic time of their claim (a
message that waits long in its lane re-reads the opt-outs), or nothing once closed.
"""

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Collection, Sequence
from typing import Protocol

from smsgate.domain.model import Message

log = logging.getLogger(__name__)

Claimed = list[tuple[Message, float]]  # a claimed message, and when (time.monotonic)
Unheld = Callable[[], Collection[str]]  # connections whose messages to leave to others


class ClaimQueue(Protocol):
    """The queue in the store (`store.queue.QueueStore`)."""

    async def queued_ids(self, limit: int) -> list[str]: ...

    async def claim(
        self, ids: Sequence[str], *, unheld: Collection[str] = ()
    ) -> tuple[list[Message], list[str]]: ...

    async def claim_next(
        self, limit: int, *, unheld: Collection[str] = ()
    ) -> tuple[list[Message], list[str]]: ...

    async def recover(self) -> int: ...

    async def release(self, ids: Sequence[str]) -> None: ...


class Intake(Protocol):
    """The dispatcher's ways in (see the module docstring)."""

    def enqueue(self, messages: Sequence[Message]) -> None:
        """Messages committed queued by this process."""

    def wake(self) -> None:
        """Messages were queued elsewhere (NOTIFY): look now."""

    def reserve(self, count: int, room: int) -> bool:
        """May the group commit insert `count` messages already claimed, with room for
        `room` more in memory? (True promises to `take` or `unreserve` them.)"""

    def unreserve(self, count: int) -> None: ...

    def take(self, messages: Sequence[Message], reserved: int) -> None:
        """Messages inserted claimed after `reserve(reserved)`."""

    async def recover(self) -> int:
        """At start: queue again what a crash left `sending`; how many."""

    async def next_batch(self, limit: int, unheld: Unheld) -> Claimed:
        """Wait for claimed messages (up to `limit` from the store); [] once closed."""

    def close(self) -> None:
        """Stop waiting: `next_batch` returns what it has, or []."""

    def untaken(self) -> list[str]:
        """Ids taken claimed but never returned by `next_batch` (to give back at stop)."""


class _Waking:
    """The wake-up and close events the two intakes share."""

    def __init__(self, queue: ClaimQueue, poll_interval: float) -> None:
        self.queue = queue
        self._poll_interval = poll_interval
        self._wakeup = asyncio.Event()
        self._closed = False

    def wake(self) -> None:
        self._wakeup.set()

    def close(self) -> None:
        self._closed = True
        self._wakeup.set()

    async def _wait(self, seconds: float) -> None:
        """Until woken, closed, or `seconds` have passed (clear `_wakeup` before looking).
        The time limit sets `_wakeup` too: a timer costs less than `asyncio.timeout`, and this
        runs once per message when messages come one at a time."""
        timer = asyncio.get_running_loop().call_later(seconds, self._wakeup.set)
        try:
            await self._wakeup.wait()
        finally:
            timer.cancel()

    async def _claim_failed(self, exc: Exception) -> None:
        """The store is down: the rows stay queued; look again after the poll interval."""
        log.error("claim failed: %s", exc)
        if not self._closed:
            await asyncio.sleep(self._poll_interval)


class LocalIntake(_Waking):
    """The only dispatcher of a SQLite database: hand-off, taken claimed, and polling."""

    def __init__(
        self, queue: ClaimQueue, *, poll_interval: float = 1.0, max_handoff: int = 20_000
    ) -> None:
        super().__init__(queue, poll_interval)
        self._max_handoff = max_handoff
        self._handoff: deque[str] = deque()
        self._taken: Claimed = []  # inserted claimed, not yet returned by `next_batch`
        self.reserved = 0  # room promised to batches being committed claimed
        self._next_poll = 0.0  # when to look for queued rows again (at once after a start)
        self._backlog = False  # the last look found queued rows: look again without waiting
        self._timer: asyncio.TimerHandle | None = None  # sets `_wakeup` at `_timer_at`
        self._timer_at = 0.0

    def enqueue(self, messages: Sequence[Message]) -> None:
        if len(self._handoff) < self._max_handoff:
            self._handoff.extend(m.id for m in messages)
        self._wakeup.set()

    def reserve(self, count: int, room: int) -> bool:
        if self._closed or self.reserved + len(self._taken) + count > room:
            return False
        self.reserved += count
        return True

    def unreserve(self, count: int) -> None:
        self.reserved -= count

    def take(self, messages: Sequence[Message], reserved: int) -> None:
        self.reserved -= reserved
        now = time.monotonic()
        self._taken.extend((m, now) for m in messages)
        self._wakeup.set()

    async def recover(self) -> int:
        return await self.queue.recover()

    def untaken(self) -> list[str]:
        ids = [m.id for m, _ in self._taken]
        self._taken.clear()
        return ids

    async def next_batch(self, limit: int, unheld: Unheld) -> Claimed:
        while not self._closed:
            if self._taken:
                taken, self._taken = self._taken, []
                return taken
            ids = [self._handoff.popleft() for _ in range(min(limit, len(self._handoff)))]
            if not ids and self._poll_due():
                ids = await self.queue.queued_ids(limit)
                self._backlog = bool(ids)
            if not ids:
                if self._closed or self._taken:
                    continue
                self._wakeup.clear()
                self._arm(self._next_poll)
                await self._wakeup.wait()
                continue
            try:
                claimed, _ = await self.queue.claim(ids, unheld=unheld())
            except Exception as exc:
                await self._claim_failed(exc)
                continue
            if claimed:
                now = time.monotonic()
                return [(message, now) for message in claimed]
        return []

    def close(self) -> None:
        super().close()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _arm(self, deadline: float) -> None:
        """Have `_wakeup` set at `deadline` (time.monotonic), when the next poll is due: what
        `_wait` does with a timer per wait. The timer stays set after a wait (a hand-off
        wakes most of them) and serves the next waits up to the same poll: messages that
        come one at a time made and cancelled one per message. It may set `_wakeup` while
        nobody waits; every wait clears it first."""
        if self._timer is not None:
            if self._timer_at == deadline:
                return
            self._timer.cancel()
        self._timer_at = deadline
        self._timer = asyncio.get_running_loop().call_later(
            deadline - time.monotonic(), self._poll_now
        )

    def _poll_now(self) -> None:
        self._timer = None
        self._wakeup.set()

    def _poll_due(self) -> bool:
        """Look for `queued` rows now? While a backlog lasts, and once per poll interval
        otherwise (the hand-offs bring everything else)."""
        now = time.monotonic()
        if not self._backlog and now < self._next_poll:
            return False
        self._next_poll = now + self._poll_interval
        return True


class SharedIntake(_Waking):
    """One of several dispatchers on a PostgreSQL database: SKIP LOCKED claims, NOTIFY."""

    def enqueue(self, messages: Sequence[Message]) -> None:
        self._wakeup.set()  # claimed with the others, oldest first

    def reserve(self, count: int, room: int) -> bool:
        return False  # the others claim from the store: nothing is inserted claimed

    def unreserve(self, count: int) -> None:
        pass

    def take(self, messages: Sequence[Message], reserved: int) -> None:
        raise RuntimeError("a shared intake reserves nothing")

    async def recover(self) -> int:
        return 0  # the reaper queues dead nodes' messages again

    def untaken(self) -> list[str]:
        return []

    async def next_batch(self, limit: int, unheld: Unheld) -> Claimed:
        while not self._closed:
            self._wakeup.clear()  # a wake-up during the claim is not lost
            try:
                claimed, opted_out = await self.queue.claim_next(limit, unheld=unheld())
            except Exception as exc:
                await self._claim_failed(exc)
                continue
            if claimed:
                now = time.monotonic()
                return [(message, now) for message in claimed]
            if not opted_out and not self._closed:
                await self._wait(self._poll_interval)
        return []
