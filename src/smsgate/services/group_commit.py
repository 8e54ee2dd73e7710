"""Group commit: how accepted messages become durable, many to one transaction.

Every request that passed validation hands its message to `Accepter.accept` and waits. One
committer loop (`smsgate.batching.Batcher`) takes everything that is waiting and asks the store
(`AcceptStore.insert`, store/accept.py) to commit it in ONE transaction that re-reads the
opt-out list for the whole batch (`domain.optout.is_blocked`) and inserts the messages that are
not opted out. Only after that transaction has committed and is on disk (on SQLite: the WAL
synced, ADR 0006) do the waiting requests learn their `Outcome`. If the transaction fails,
every request in the batch gets `StoreUnavailable` and none of them is told SUCCESS.

Batching is natural, with no timer: while one commit is in flight, new requests queue up and
form the next batch, so the batch grows with load and a lone request waits for one fsync.

What is decided here, not in the store: with a `Handoff` (the dispatcher of this process, on a
database no other dispatcher shares) a batch the dispatcher has room for is inserted already
claimed (`sending`) and handed to it straight after the commit: no second transaction to claim
it. A crash before it is sent leaves it `sending`, which the next start queues again, exactly
like a message claimed the usual way. Without room, the batch is inserted `queued` and found by
`on_committed`/polling.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from smsgate.batching import Batcher
from smsgate.constants import ACCEPT_COMMITS_IN_FLIGHT, GROUP_COMMIT_MAX_BATCH
from smsgate.domain.model import Message, Outcome, Status
from smsgate.metrics import COMMIT_BATCH, COMMIT_FAILURES
from smsgate.store.errors import StoreUnavailable

log = logging.getLogger(__name__)


class AcceptStore(Protocol):
    """The accept transaction (store/accept.py): commit `batch` with `status`, leaving out
    the opted-out; (the committed messages, the ids refused as opted out). A message in
    neither was a duplicate (its /v1 Idempotency-Key was taken). Returns only once the
    transaction is durable; raises if it did not commit."""

    def insert(
        self, batch: list[Message], status: Status
    ) -> Awaitable[tuple[list[Message], set[str]]]: ...


class Handoff(Protocol):
    """A dispatcher that takes committed messages into its lanes (see the module docstring)."""

    def reserve(self, count: int) -> bool:
        """Room for `count` messages to be inserted claimed? (Held until `take`/`unreserve`.)"""
        ...

    def unreserve(self, count: int) -> None: ...

    def take(self, messages: Sequence[Message], reserved: int) -> None:
        """Committed claimed `messages` (of a batch that reserved `reserved`): send them."""
        ...


class Waiter(Protocol):
    """Who hears one message's outcome: an `asyncio.Future`, or anything with its three
    methods (an API worker's frame collects its results without a future per message)."""

    def done(self) -> bool: ...

    def set_result(self, result: Outcome, /) -> None: ...

    def set_exception(self, exception: BaseException, /) -> None: ...


class AcceptsMessages(Protocol):
    """What `services.sending` commits through: this process's `Accepter`, or an API
    worker's `RemoteAccepter` (workers/remote_accepter.py). Something to await: a coroutine,
    or (`Accepter`) the future itself."""

    def accept(self, message: Message) -> Awaitable[Outcome]: ...


_Pending = tuple[Message, Waiter]


class Accepter(Batcher[_Pending]):
    """Commits accepted messages in batches; see the module docstring."""

    name = "smsgate-group-commit"

    def __init__(
        self,
        store: AcceptStore,
        *,
        max_batch: int = GROUP_COMMIT_MAX_BATCH,
        on_committed: Callable[[Sequence[Message]], None] | None = None,
        handoff: Handoff | None = None,
    ) -> None:
        # several commits in flight: the next batch waits at the writer, not behind a loop turn
        super().__init__(max_batch=max_batch, in_flight=ACCEPT_COMMITS_IN_FLIGHT)
        self._store = store
        self._on_committed = on_committed
        self._handoff = handoff

    def accept(self, message: Message) -> "asyncio.Future[Outcome]":
        """The future of `message`'s outcome: ACCEPTED once it is durably queued, or refused
        as opted out (or a duplicate). The future itself rather than a coroutine awaiting it:
        one frame less on every request's way in and out."""
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self.submit_to(message, future)
        return future

    submit = accept  # the name of the callers that want the future as such

    def submit_to(self, message: Message, waiter: Waiter) -> None:
        """`submit` with a waiter of the caller's making (see `Waiter`)."""
        if self._task is None or self._closing:  # not `running`: this runs for every message
            raise StoreUnavailable("the gateway is shutting down")
        self.put((message, waiter))

    async def process(self, batch: list[_Pending]) -> None:
        COMMIT_BATCH.observe(len(batch))
        handoff = self._handoff
        if handoff is not None and not handoff.reserve(len(batch)):
            handoff = None  # no room: insert them queued
        status = Status.QUEUED if handoff is None else Status.SENDING
        try:
            committed, refused = await self._store.insert([m for m, _ in batch], status)
        except Exception as exc:  # any failure: nobody in the batch may hear SUCCESS
            if handoff is not None:
                handoff.unreserve(len(batch))
            COMMIT_FAILURES.inc()
            log.error("commit of %d messages failed: %s", len(batch), exc)
            for _, future in batch:
                if not future.done():
                    future.set_exception(StoreUnavailable(str(exc)))
            return
        duplicates = _left_out(batch, committed, refused)
        for message, future in batch:
            if not future.done():  # the request may have been cancelled (client went away)
                if message.id in refused:
                    future.set_result(Outcome.OPTED_OUT)
                elif message.id in duplicates:
                    future.set_result(Outcome.DUPLICATE)
                else:
                    future.set_result(Outcome.ACCEPTED)
        if handoff is not None:
            handoff.take(committed, len(batch))
        elif committed and self._on_committed is not None:
            try:
                self._on_committed(committed)
            except Exception:  # the rows are committed: polling will find them anyway
                log.exception("in-memory hand-off of %d messages failed", len(committed))


def _left_out(batch: list[_Pending], committed: list[Message], refused: set[str]) -> set[str]:
    """The ids the store neither committed nor refused as opted out: /v1 messages whose
    Idempotency-Key had made a message already (DUPLICATE)."""
    if len(committed) + len(refused) == len(batch):  # the usual case: no key was taken
        return set()
    kept = {m.id for m in committed}
    return {m.id for m, _ in batch if m.id not in kept and m.id not in refused}
