"""The dispatcher: queued messages out to the SMSC, in order, within every limit.

    accepted (in-memory hand-off, or polling the store) -> claim (queued -> sending, opt-outs
    re-read) -> lane of the sender code (order, per-sender max_tps) -> link (max_tps, window,
    a bound session) -> submit_sm per part -> status writer (sent / failed)

The store stays the source of truth: the in-memory hand-off only saves a query, and whatever
is lost from memory (a crash, a full hand-off buffer) is found again by polling `queued` rows or,
after a crash, by `QueueStore.recover`. When this dispatcher is the database's only one, the
group commit inserts messages it has room for already claimed (`reserve` / `take`: the
`store.accept.Handoff` protocol), which saves the claim transaction altogether.

Several dispatchers (processes) may share one PostgreSQL database (docs/adr/0004): each claims
with SKIP LOCKED (`QueueStore.claim_next`), is woken by NOTIFY from API processes (`wake`), opens
only the bind slots it holds a lease on (`delivery.leases`) and leaves the messages of a
connection it holds no slot of to the others (`unheld`; a message that finds its link without
slots is given back to the queue). A sender code's max_tps is split evenly between the live
dispatchers (`set_peers`): conservative, since a dispatcher may have no traffic for that code.

Responses: ESME_ROK records the SMSC id of the part; ESME_RTHROTTLED / ESME_RMSGQFUL pause the
link and send the part again; a lost connection or a timeout sends it again on the next bound
session (at-least-once); ESME_RSYSERR is retried a few times; any other status fails the message
with the SMPP status as its error.
"""

import asyncio
import functools
import logging
import time
from collections import deque
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import Counter

from smsgate.delivery.link import Link, LinkNotHeld
from smsgate.delivery.queue_store import OPTED_OUT_ERROR, Outbound, QueueStore
from smsgate.delivery.status_writer import PartSent, StatusWriter
from smsgate.delivery.submit import Part, build_parts
from smsgate.delivery.throttle import TokenBucket
from smsgate.domain.model import NewMessage
from smsgate.metrics import QUEUE_DEPTH, RESENT_AFTER_RESTART, SUBMITS
from smsgate.smpp.client import submit_response
from smsgate.smpp.codes import CommandStatus
from smsgate.smpp.errors import SmppError
from smsgate.smpp.pdu import Pdu, SubmitSmResp
from smsgate.store.directory import SenderDirectory
from smsgate.store.optouts import OptOutStore

log = logging.getLogger(__name__)

RETRY_LATER = frozenset({CommandStatus.ESME_RTHROTTLED, CommandStatus.ESME_RMSGQFUL})
SYSERR_ATTEMPTS = 3  # ESME_RSYSERR is retried this many times before the message fails
RECHECK_AFTER_SECONDS = 1.0  # a message that waited longer in its lane re-reads the opt-outs


@dataclass
class _Lane:
    """The messages of one sender code, sent in order at the code's own rate."""

    bucket: TokenBucket
    queue: deque[tuple[Outbound, float]] = field(default_factory=deque)
    task: asyncio.Task[None] | None = None
    rate: float = 0.0  # the sender code's max_tps over all dispatchers (0: unlimited)


@dataclass(slots=True)
class _Sending:
    """A message whose parts are being submitted: where to, and how far it got."""

    message: Outbound
    link: Link
    window: asyncio.Semaphore  # the link's: one slot per part in flight
    remaining: int  # parts not yet accepted by the SMSC
    failed: bool = False


class Dispatcher:
    """See the module docstring. One per process; several processes share one PostgreSQL."""

    def __init__(
        self,
        queue: QueueStore,
        writer: StatusWriter,
        links: dict[str, Link],
        senders: SenderDirectory,
        optouts: OptOutStore,
        *,
        default_link: str | None,
        batch: int = 500,
        poll_interval: float = 1.0,
        max_in_memory: int = 20_000,
        recover_on_start: bool = True,
    ) -> None:
        self._queue = queue
        self._writer = writer
        self.links = links
        self._senders = senders
        self._optouts = optouts
        self._default_link = default_link
        self._batch = batch
        self._poll_interval = poll_interval
        self._max_in_memory = max_in_memory
        self._recover_on_start = recover_on_start
        self._handoff: deque[str] = deque()
        self._taken: list[tuple[Outbound, float]] = []  # inserted claimed, not yet in lanes
        self._reserved = 0  # room promised to batches being committed claimed
        self._next_poll = 0.0  # when to look for queued rows again (at once after a start)
        self._backlog = False  # the last look found queued rows: look again without waiting
        self._wakeup = asyncio.Event()
        self._room = asyncio.Event()
        self._lanes: dict[str, _Lane] = {}
        self._windows = {
            name: asyncio.Semaphore(link.config.window * link.config.binds)
            for name, link in links.items()
        }
        self._claimed = 0  # messages claimed and not finished
        self._parts: set[asyncio.Future[Any]] = set()  # part tasks and submit_sm responses
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._peers = 1  # live dispatchers sharing the sender codes' rates
        self._interrupted: list[str] = []  # claimed, but stop() came before every part was sent

    def enqueue(self, messages: Sequence[NewMessage]) -> None:
        """Hand freshly committed messages over (called by the group commit)."""
        if len(self._handoff) < self._max_in_memory:
            self._handoff.extend(m.id for m in messages)
        self._wakeup.set()

    def reserve(self, count: int) -> bool:
        """Room for `count` messages inserted already claimed? Only without other dispatchers
        (they claim from the store) and while not stopping."""
        if self._closing or self._queue.owner is not None:
            return False
        if self._claimed + self._reserved + count > self._max_in_memory:
            return False
        self._reserved += count
        return True

    def unreserve(self, count: int) -> None:
        self._reserved -= count

    def take(self, messages: Sequence[NewMessage], reserved: int) -> None:
        """Messages the group commit inserted claimed for us: into the lanes, in order."""
        self._reserved -= reserved
        now = time.monotonic()
        self._taken.extend(
            (
                Outbound(
                    m.id, m.realm_id, m.sender_code, m.phone, m.text, m.encoding, m.parts, m.kind
                ),
                now,
            )
            for m in messages
        )
        self._claimed += len(messages)
        self._wakeup.set()

    def wake(self) -> None:
        """Messages were queued elsewhere (NOTIFY from another process): claim now."""
        self._wakeup.set()

    def set_peers(self, dispatchers: int) -> None:
        """`dispatchers` processes share every sender code's max_tps from now on."""
        peers = max(1, dispatchers)
        if peers == self._peers:
            return
        self._peers = peers
        for lane in self._lanes.values():
            if lane.rate:
                lane.bucket = TokenBucket(lane.rate / peers)

    def _unheld(self) -> list[str]:
        """Connections this process holds no bind slot of: their messages are left to others."""
        return [n for n, link in self.links.items() if link.can_submit and not link.held]

    async def start(self) -> None:
        if self._recover_on_start:
            recovered = await self._queue.recover()
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
        self._wakeup.set()
        self._room.set()
        if self._task is not None:
            # Let the loop finish its iteration rather than cancel it: a claim that has committed
            # is not undone by cancelling its await, and its messages must reach the lanes (to
            # be given back below), or they would stay `sending` without ever being sent.
            await asyncio.wait([self._task], timeout=timeout)
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        unsent = [m.id for lane in self._lanes.values() for m, _ in lane.queue]
        unsent += [m.id for m, _ in self._taken]
        self._taken.clear()
        for lane in self._lanes.values():
            lane.queue.clear()
            if lane.task is not None:
                lane.task.cancel()
        await asyncio.gather(
            *(lane.task for lane in self._lanes.values() if lane.task), return_exceptions=True
        )
        if self._parts:
            await asyncio.wait(self._parts, timeout=timeout)
        await asyncio.gather(*(link.stop(timeout) for link in self.links.values()))
        for task in self._parts:
            task.cancel()
        await asyncio.gather(*self._parts, return_exceptions=True)
        await self._queue.release(unsent + self._interrupted)

    async def _run(self) -> None:
        while not self._closing:
            if self._taken:
                taken, self._taken = self._taken, []
                await self._place(taken)
                continue
            while self._claimed >= self._max_in_memory and not self._closing:
                self._room.clear()
                await self._room.wait()
            ids = [self._handoff.popleft() for _ in range(min(self._batch, len(self._handoff)))]
            shared = self._queue.owner is not None  # several dispatchers: SKIP LOCKED claims
            if not ids and not shared and self._poll_due():
                ids = await self._queue.queued_ids(self._batch)
                self._backlog = bool(ids)
            if not ids and not shared:
                if self._closing or self._taken:
                    continue
                self._wakeup.clear()
                try:
                    async with asyncio.timeout(self._next_poll - time.monotonic()):
                        await self._wakeup.wait()
                except TimeoutError:
                    pass
                continue
            try:
                if ids:
                    claimed, opted_out = await self._queue.claim(ids, unheld=self._unheld())
                else:
                    self._wakeup.clear()  # a wake-up during the claim is not lost
                    claimed, opted_out = await self._queue.claim_next(
                        self._batch, unheld=self._unheld()
                    )
            except Exception as exc:  # store down: the rows stay queued; poll again later
                log.error("claim failed: %s", exc)
                await asyncio.sleep(self._poll_interval)
                continue
            if not ids and not claimed and not opted_out:
                if self._closing:
                    break
                try:
                    async with asyncio.timeout(self._poll_interval):
                        await self._wakeup.wait()
                except TimeoutError:
                    pass
                continue
            now = time.monotonic()
            self._claimed += len(claimed)
            await self._place([(message, now) for message in claimed])

    def _poll_due(self) -> bool:
        """Look for `queued` rows now? While a backlog lasts, and once per poll interval
        otherwise (the hand-offs bring everything else)."""
        now = time.monotonic()
        if not self._backlog and now < self._next_poll:
            return False
        self._next_poll = now + self._poll_interval
        return True

    async def _place(self, claimed: list[tuple[Outbound, float]]) -> None:
        """Claimed messages into their sender code's lane (counted in `_claimed` already)."""
        for message, claimed_at in claimed:
            lane = await self._lane(message.sender_code)
            lane.queue.append((message, claimed_at))
            if lane.task is None or lane.task.done():
                lane.task = asyncio.create_task(self._drain(lane))
        QUEUE_DEPTH.set(self._claimed)

    async def _lane(self, code: str) -> _Lane:
        lane = self._lanes.get(code)
        if lane is None:
            sender = await self._senders.get(code)
            rate = sender.max_tps if sender is not None and sender.max_tps else 0.0
            lane = self._lanes[code] = _Lane(TokenBucket(rate / self._peers), rate=rate)
        return lane

    def _finish(self) -> None:
        self._claimed -= 1
        self._room.set()

    async def _give_back(self, message: Outbound) -> None:
        """This process holds no bind slot of the message's connection (any more): queue the
        message again for a dispatcher that does, once what its parts got is written."""
        try:
            while True:
                try:
                    await self._writer.flush()
                    await self._queue.release([message.id])
                    return
                except Exception as exc:  # store down: keep trying, or it would stay `sending`
                    if self._closing:  # stop() or the reaper queues it again
                        return
                    log.error("cannot give message %s back to the queue: %s", message.id, exc)
                    await asyncio.sleep(self._poll_interval)
        finally:
            self._finish()

    async def _drain(self, lane: _Lane) -> None:
        while lane.queue:
            message, claimed_at = lane.queue.popleft()
            try:
                await self._send(lane, message, claimed_at)
            except asyncio.CancelledError:  # stop() came before every part was handed over
                self._interrupted.append(message.id)
                raise
            except Exception as exc:  # a bug must not strand the lane's other messages
                log.exception("cannot send message %s", message.id)
                self._writer.message_failed(message.id, f"internal error: {exc}")
                self._finish()

    async def _send(self, lane: _Lane, message: Outbound, claimed_at: float) -> None:
        link = await self._route(message)
        if link is None:
            error = f"no SMPP connection for sender code {message.sender_code}"
            self._writer.message_failed(message.id, error)
            self._finish()
            return
        if not link.held:
            await self._give_back(message)
            return
        if message.kind == "api" and time.monotonic() - claimed_at > RECHECK_AFTER_SECONDS:
            optouts = self._optouts
            if await optouts.is_opted_out(message.realm_id, message.sender_code, message.phone):
                self._writer.message_failed(message.id, OPTED_OUT_ERROR)
                self._finish()
                return
        parts = build_parts(message, link.config)
        if not parts:  # every part was accepted before a restart
            self._finish()
            return
        sending = _Sending(message, link, self._windows[link.name], remaining=len(parts))
        for part in parts:
            if not lane.bucket.try_acquire():  # no coroutine when a token is there (or no limit)
                await lane.bucket.acquire()
            if not link.bucket.try_acquire():
                await link.bucket.acquire()
            await sending.window.acquire()
            self._start_submit(sending, part)

    def _start_submit(self, sending: _Sending, part: Part) -> None:
        """Send one part. Usually a bound session is at hand: the submit_sm goes out now and
        `_answered` takes its response, without a task per part (a task cost ~7 µs more, the
        largest item of the core's loop per message). Otherwise, and for any response but
        ESME_ROK, `_submit` runs as a task: it waits for a session, resends and fails."""
        session = sending.link.ready_session()
        fut = session.submit_nowait(part.pdu) if session is not None else None
        if fut is None:
            self._spawn(self._submit(sending, part))
            return
        self._parts.add(fut)
        fut.add_done_callback(functools.partial(self._answered, sending, part))

    def _answered(self, sending: _Sending, part: Part, fut: "asyncio.Future[Pdu]") -> None:
        self._parts.discard(fut)
        if fut.cancelled():  # stop(): the message stays `sending` and is sent after a restart
            sending.window.release()
            return
        try:
            outcome: SubmitSmResp | SmppError = submit_response(fut)
        except SmppError as exc:
            outcome = exc
        if isinstance(outcome, SubmitSmResp) and outcome.command_status == CommandStatus.ESME_ROK:
            self._part_accepted(sending, part, outcome)
            sending.window.release()
            return
        self._spawn(self._submit(sending, part, first=outcome))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._parts.add(task)
        task.add_done_callback(self._parts.discard)

    def _part_accepted(self, sending: _Sending, part: Part, resp: SubmitSmResp) -> None:
        name = sending.link.name
        _submits(name, "ok").inc()
        sending.remaining -= 1
        last = sending.remaining == 0 and not sending.failed
        event = PartSent(sending.message.id, part.number, name, resp.message_id, last)
        self._writer.part_sent(event)
        if last:
            self._finish()

    async def _route(self, message: Outbound) -> Link | None:
        sender = await self._senders.get(message.sender_code)
        name = sender.connection if sender is not None and sender.connection else self._default_link
        link = self.links.get(name) if name else None
        return link if link is not None and link.can_submit else None

    async def _submit(
        self, sending: _Sending, part: Part, first: SubmitSmResp | SmppError | None = None
    ) -> None:
        """Send one part until the SMSC accepts or refuses it for good; `first` is the
        outcome of an attempt `_start_submit` already made."""
        message, link = sending.message, sending.link
        syserr = 0
        outcome = first
        try:
            while not sending.failed:
                if outcome is None:
                    try:
                        session = await link.session()
                        outcome = await session.submit(part.pdu)
                    except LinkNotHeld:
                        if not sending.failed:
                            sending.failed = True
                            await self._give_back(message)
                        return
                    except SmppError as exc:
                        outcome = exc
                resp, outcome = outcome, None
                if isinstance(resp, SmppError):  # lost connection or timeout: send again
                    if self._closing:  # not accepted (as far as we know): queue it again
                        self._interrupted.append(message.id)
                        return
                    log.info("%s: resending part after %s", link.name, resp)
                    await asyncio.sleep(0)  # let the link notice the closed session first
                    continue
                status = resp.command_status
                if status == CommandStatus.ESME_ROK:
                    self._part_accepted(sending, part, resp)
                    return
                if status in RETRY_LATER:
                    _submits(link.name, "throttled").inc()
                    link.pause()
                    continue
                if status == CommandStatus.ESME_RSYSERR and syserr < SYSERR_ATTEMPTS:
                    syserr += 1
                    continue
                _submits(link.name, "error").inc()
                sending.failed = True
                self._writer.message_failed(message.id, _status_text(status))
                self._finish()
        finally:
            sending.window.release()


@functools.cache
def _submits(link: str, result: str) -> Counter:
    """The counter of one link and result: `labels()` costs ~1 µs, on every submit."""
    return SUBMITS.labels(link, result)


def _status_text(status: int) -> str:
    try:
        name = CommandStatus(status).name
    except ValueError:
        name = "SMPP error"
    return f"{name} (0x{status:08X})"
