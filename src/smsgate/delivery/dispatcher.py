"""The dispatcher: queued messages out to the SMSC, in order, within every limit.

    intake (claimed messages: `delivery.intake`) -> lane of the sender code (order, per-sender
    max_tps) -> link (max_tps, window, a bound session) -> submit_sm per part and the retry
    policy (`delivery.submitter`, `delivery.retry`) -> status recorder (`services.statuses`)

The store stays the source of truth: how claimed messages come in (hand-off and polling on
SQLite, NOTIFY and SKIP LOCKED on PostgreSQL) is the intake's business, chosen by bootstrap.
When the intake allows it, the group commit inserts messages this dispatcher has room for
already claimed (`reserve` / `take`: the `services.group_commit.Handoff` protocol).

Several dispatchers (processes) may share one PostgreSQL database (docs/adr/0004): each opens
only the bind slots it holds a lease on (`delivery.leases`) and leaves the messages of a
connection it holds no slot of to the others (`unheld`; a message that finds its link without
slots is given back to the queue). A sender code's max_tps is split evenly between the live
dispatchers (`set_peers`): conservative, since a dispatcher may have no traffic for that code.
"""

import asyncio
import logging
import time
from collections import deque
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from smsgate.delivery.intake import Claimed, ClaimQueue, Intake
from smsgate.delivery.link import Link
from smsgate.delivery.submit import Part, build_parts
from smsgate.delivery.submitter import Sending, Submitter
from smsgate.delivery.throttle import TokenBucket
from smsgate.domain.model import Message, SenderCode
from smsgate.domain.optout import OPTED_OUT_ERROR
from smsgate.domain.routing import route
from smsgate.metrics import QUEUE_DEPTH, RESENT_AFTER_RESTART
from smsgate.services.statuses import StatusRecorder
from smsgate.smpp.client import try_acquire

log = logging.getLogger(__name__)

RECHECK_AFTER_SECONDS = 1.0  # a message that waited longer in its lane re-reads the opt-outs


class SenderLookup(Protocol):
    async def get(self, code: str) -> SenderCode | None: ...

    def cached(self, code: str) -> tuple[SenderCode | None, float] | None:
        """`get`'s answer in the first item while the code is cached, else None."""


class OptOutCheck(Protocol):
    async def is_opted_out(self, realm_id: int, sender_code: str, phone: str) -> bool: ...


# A message whose parts were started up to one that has to wait for a limit: its Sending, its
# parts, the index of that part, and the limit (0: the lane's rate, 1: the link's, 2: the window)
_Resume = tuple[Sending, list[Part], int, int]


@dataclass
class _Lane:
    """The messages of one sender code, sent in order at the code's own rate."""

    bucket: TokenBucket
    queue: deque[tuple[Message, float]] = field(default_factory=deque)
    task: asyncio.Task[None] | None = None
    rate: float = 0.0  # the sender code's max_tps over all dispatchers (0: unlimited)
    resume: _Resume | None = None  # for the lane's task to go on with, before its queue


class Dispatcher:
    """See the module docstring. One per process; several processes share one PostgreSQL."""

    def __init__(
        self,
        intake: Intake,
        queue: ClaimQueue,
        statuses: StatusRecorder,
        links: dict[str, Link],
        senders: SenderLookup,
        optouts: OptOutCheck,
        *,
        default_link: str | None,
        batch: int = 500,
        poll_interval: float = 1.0,
        max_in_memory: int = 20_000,
    ) -> None:
        """`queue`: where messages go back to (given back, or unsent at stop)."""
        self.intake = intake
        self._queue = queue
        self._statuses = statuses
        self.links = links
        self._senders = senders
        self._optouts = optouts
        self._default_link = default_link
        self._batch = batch
        self._poll_interval = poll_interval
        self._max_in_memory = max_in_memory
        self._room = asyncio.Event()
        self._lanes: dict[str, _Lane] = {}
        self._windows = {
            name: asyncio.Semaphore(link.config.window * link.config.binds)
            for name, link in links.items()
        }
        self._claimed = 0  # messages claimed and not finished
        self._submitter = Submitter(
            statuses, finish=self._finish, give_back=self._give_back, closing=self._is_closing
        )
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._peers = 1  # live dispatchers sharing the sender codes' rates

    def enqueue(self, messages: Sequence[Message]) -> None:
        """Hand freshly committed messages over (called by the group commit)."""
        self.intake.enqueue(messages)

    def reserve(self, count: int) -> bool:
        """Room for `count` messages inserted already claimed? Only if the intake takes them
        (a local one) and while not stopping."""
        return not self._closing and self.intake.reserve(count, self._max_in_memory - self._claimed)

    def unreserve(self, count: int) -> None:
        self.intake.unreserve(count)

    def take(self, messages: Sequence[Message], reserved: int) -> None:
        """Messages the group commit inserted claimed for us: into the lanes, in order."""
        self.intake.take(messages, reserved)

    def wake(self) -> None:
        """Messages were queued elsewhere (NOTIFY from another process): claim now."""
        self.intake.wake()

    def set_peers(self, dispatchers: int) -> None:
        """`dispatchers` processes share every sender code's max_tps from now on."""
        peers = max(1, dispatchers)
        if peers == self._peers:
            return
        self._peers = peers
        for lane in self._lanes.values():
            if lane.rate:
                lane.bucket = TokenBucket(lane.rate / peers)

    def window_in_use(self, link: str) -> int:
        """Parts of `link` submitted and not answered yet (the console shows it)."""
        config = self.links[link].config
        return config.window * config.binds - self._windows[link]._value  # no public reader

    def _unheld(self) -> Collection[str]:
        """Connections this process holds no bind slot of: their messages are left to others."""
        return [n for n, link in self.links.items() if link.can_submit and not link.held]

    async def start(self) -> None:
        recovered = await self.intake.recover()
        if recovered:
            RESENT_AFTER_RESTART.inc(recovered)
            log.warning(
                "%d messages were being sent when the gateway stopped; sending them again",
                recovered,
            )
        for link in self.links.values():
            await link.start()
        self._task = asyncio.create_task(self._run(), name="smsgate-dispatcher")

    async def stop(self, timeout: float = 5.0) -> None:
        """Stop claiming, give back what was not started, wait (bounded) for responses, unbind."""
        self._closing = True
        self.intake.close()
        self._room.set()
        if self._task is not None:
            # Let the loop finish its iteration rather than cancel it: a claim that has committed
            # is not undone by cancelling its await, and its messages must reach the lanes (to
            # be given back below), or they would stay `sending` without ever being sent.
            await asyncio.wait([self._task], timeout=timeout)
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        unsent = [m.id for lane in self._lanes.values() for m, _ in lane.queue]
        # a lane task cancelled before its first step never took its resume over
        unsent += [lane.resume[0].message.id for lane in self._lanes.values() if lane.resume]
        unsent += self.intake.untaken()
        for lane in self._lanes.values():
            lane.queue.clear()
            if lane.task is not None:
                lane.task.cancel()
        await asyncio.gather(
            *(lane.task for lane in self._lanes.values() if lane.task), return_exceptions=True
        )
        if self._submitter.in_flight:
            await asyncio.wait(self._submitter.in_flight, timeout=timeout)
        await asyncio.gather(*(link.stop(timeout) for link in self.links.values()))
        for task in self._submitter.in_flight:
            task.cancel()
        await asyncio.gather(*self._submitter.in_flight, return_exceptions=True)
        await self._queue.release(unsent + self._submitter.interrupted)

    async def _run(self) -> None:
        while not self._closing:
            while self._claimed >= self._max_in_memory and not self._closing:
                self._room.clear()
                await self._room.wait()
            claimed = await self.intake.next_batch(self._batch, self._unheld)
            self._claimed += len(claimed)
            await self._place(claimed)

    async def _place(self, claimed: Claimed) -> None:
        """Claimed messages into their sender code's lane (counted in `_claimed` already);
        the lanes that were idle are then drained in the order they got their first message,
        as their tasks would have been (`_drain_now`)."""
        lanes = self._lanes
        idle: list[_Lane] = []
        tasked = False  # a lane was left to its task: the lanes after it are too, in turn
        for message, claimed_at in claimed:
            lane = lanes.get(message.sender_code)
            if lane is None:
                if self._senders.cached(message.sender_code) is None:
                    # the lookup waits for the store: the lanes' tasks would run meanwhile
                    self._drain_now(idle, tasked)
                    idle, tasked = [], False
                lane = await self._lane(message.sender_code)
            if not lane.queue and (lane.task is None or lane.task.done()):
                idle.append(lane)
            lane.queue.append((message, claimed_at))
        QUEUE_DEPTH.set(self._claimed)
        self._drain_now(idle, tasked)

    async def _lane(self, code: str) -> _Lane:
        lane = self._lanes.get(code)
        if lane is None:
            sender = await self._senders.get(code)
            rate = sender.max_tps if sender is not None and sender.max_tps else 0.0
            lane = self._lanes[code] = _Lane(TokenBucket(rate / self._peers), rate=rate)
        return lane

    def _is_closing(self) -> bool:
        return self._closing

    def _finish(self) -> None:
        self._claimed -= 1
        self._room.set()

    async def _give_back(self, message: Message) -> None:
        """This process holds no bind slot of the message's connection (any more): queue the
        message again for a dispatcher that does, once what its parts got is written."""
        try:
            while True:
                try:
                    await self._statuses.flush()
                    await self._queue.release([message.id])
                    return
                except Exception as exc:  # store down: keep trying, or it would stay `sending`
                    if self._closing:  # stop() or the reaper queues it again
                        return
                    log.error("cannot give message %s back to the queue: %s", message.id, exc)
                    await asyncio.sleep(self._poll_interval)
        finally:
            self._finish()

    def _drain_now(self, lanes: list[_Lane], tasked: bool) -> bool:
        """The first step of each idle lane's task, in turn, without the task: its messages
        are sent now while none has to wait (the sender code cached, no limit reached...:
        nearly always). At the first that has to, the lane's task takes over: from that
        message, or from its part that waits (`resume`); so do the tasks of the lanes after
        it (`tasked` says one did before), which would have run after its first step. Returns
        whether a lane was left to its task. A task per message was the largest item of the
        dispatcher's loop when messages come one at a time (each finds its lane idle)."""
        for lane in lanes:
            if not tasked:
                tasked = not self._drain_lane_now(lane)
                if not tasked:
                    continue
            if lane.queue or lane.resume is not None:
                lane.task = asyncio.create_task(self._drain(lane))
        return tasked

    def _drain_lane_now(self, lane: _Lane) -> bool:
        """`_drain_now` of one lane: False when its task has to take over."""
        queue = lane.queue
        while queue:
            message, claimed_at = queue.popleft()
            try:
                done = self._send_now(lane, message, claimed_at)
            except Exception as exc:  # a bug must not strand the lane's other messages
                self._internal_error(message, exc)
                continue
            if not done:
                queue.appendleft((message, claimed_at))  # untouched: `_send` sends it
                return False
            if lane.resume is not None:
                return False
        return True

    async def _drain(self, lane: _Lane) -> None:
        while lane.resume is not None or lane.queue:
            resume, lane.resume = lane.resume, None
            if resume is not None:
                message = resume[0].message
                step = self._send_parts(lane, *resume)
            else:
                message, claimed_at = lane.queue.popleft()
                step = self._send(lane, message, claimed_at)
            try:
                await step
            except asyncio.CancelledError:  # stop() came before every part was handed over
                self._submitter.interrupted.append(message.id)
                raise
            except Exception as exc:  # a bug must not strand the lane's other messages
                self._internal_error(message, exc)

    def _internal_error(self, message: Message, exc: Exception) -> None:
        log.exception("cannot send message %s", message.id, extra={"message_id": message.id})
        self._statuses.message_failed(message.id, f"internal error: {exc}")
        self._finish()

    def _send_now(self, lane: _Lane, message: Message, claimed_at: float) -> bool:
        """`_send` while nothing has to be awaited before the parts are built (the sender
        code cached, the link held, no opt-out to read again): False, having done nothing,
        when something has. A part that has to wait for a limit is left in `lane.resume`."""
        entry = self._senders.cached(message.sender_code)
        if entry is None:
            return False
        link = self._link(entry[0])
        if link is not None:
            if not link.held:
                return False
            if message.kind == "api" and time.monotonic() - claimed_at > RECHECK_AFTER_SECONDS:
                return False
        self._send_parts_now(lane, message, link)
        return True

    async def _send(self, lane: _Lane, message: Message, claimed_at: float) -> None:
        link = self._link(await self._senders.get(message.sender_code))
        if link is not None:
            if not link.held:
                await self._give_back(message)
                return
            if message.kind == "api" and time.monotonic() - claimed_at > RECHECK_AFTER_SECONDS:
                optouts = self._optouts
                if await optouts.is_opted_out(message.realm_id, message.sender_code, message.phone):
                    self._statuses.message_failed(message.id, OPTED_OUT_ERROR)
                    self._finish()
                    return
        self._send_parts_now(lane, message, link)
        resume, lane.resume = lane.resume, None
        if resume is not None:
            await self._send_parts(lane, *resume)

    def _send_parts_now(self, lane: _Lane, message: Message, link: Link | None) -> None:
        """The message's parts out, up to the first that has to wait for a limit (left in
        `lane.resume`); `link` None: the sender code has no connection, the message fails."""
        if link is None:
            error = f"no SMPP connection for sender code {message.sender_code}"
            self._statuses.message_failed(message.id, error)
            self._finish()
            return
        parts = build_parts(message, link.config)
        if not parts:  # every part was accepted before a restart
            self._finish()
            return
        sending = Sending(message, link, self._windows[link.name], remaining=len(parts))
        window, start = sending.window, self._submitter.start
        for index, part in enumerate(parts):
            if not lane.bucket.try_acquire():  # no coroutine when a token is there (or no limit)
                stage = 0
            elif not link.bucket.try_acquire():
                stage = 1
            elif not try_acquire(window):
                stage = 2
            else:
                start(sending, part)
                continue
            lane.resume = (sending, parts, index, stage)
            return

    async def _send_parts(
        self, lane: _Lane, sending: Sending, parts: list[Part], index: int, stage: int
    ) -> None:
        """The parts from `parts[index]` on, waiting for each limit in turn; `stage`: the
        limit of that first part to wait for (the ones before it are taken)."""
        link, window = sending.link, sending.window
        for part in parts[index:]:
            if stage <= 0 and not lane.bucket.try_acquire():
                await lane.bucket.acquire()
            if stage <= 1 and not link.bucket.try_acquire():
                await link.bucket.acquire()
            if not try_acquire(window):
                await window.acquire()
            stage = 0
            self._submitter.start(sending, part)

    def _link(self, sender: SenderCode | None) -> Link | None:
        """The link that sends the sender code's messages (None: none can)."""
        name = route(sender, self._default_link)
        link = self.links.get(name) if name is not None else None
        return link if link is not None and link.can_submit else None
