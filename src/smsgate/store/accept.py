"""Group commit: the one place where accepted messages become durable.

Every api_web request that passed validation hands its message to `Accepter.accept` and waits.
A single committer task takes everything that is waiting, and in ONE transaction re-reads the
opt-out list for the whole batch and inserts the messages that are not opted out. Only after
that transaction has committed and is on disk (on SQLite: the WAL synced, ADR 0006) do the
waiting requests learn their result. If the transaction fails, every request in the batch gets
`StoreUnavailable` and none of them is told SUCCESS.

Batching is natural, with no timer: while one commit is in flight, new requests queue up and
form the next batch, so the batch grows with load and a lone request waits for one fsync.

With a `Handoff` (the dispatcher of this process, on a database no other dispatcher shares),
a batch the dispatcher has room for is inserted already claimed (`sending`) and handed to it
straight after the commit: no second transaction to claim it. A crash before it is sent
leaves it `sending`, which the next start queues again, exactly like a message claimed the
usual way. Without room, the batch is inserted `queued` and found by `on_committed`/polling.
"""

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Protocol

from smsgate.constants import ACCEPT_COMMITS_IN_FLIGHT, GROUP_COMMIT_MAX_BATCH
from smsgate.domain.model import NewMessage, Status
from smsgate.metrics import COMMIT_BATCH, COMMIT_FAILURES
from smsgate.store.batcher import Batcher
from smsgate.store.database import Database
from smsgate.store.errors import StoreUnavailable
from smsgate.store.hot_writer import HotWriter, Tx
from smsgate.store.notify import notify_queued
from smsgate.store.optouts import blocked_pairs

log = logging.getLogger(__name__)


class Outcome(Enum):
    ACCEPTED = "accepted"
    OPTED_OUT = "opted_out"


class Handoff(Protocol):
    """A dispatcher that takes committed messages into its lanes (see the module docstring)."""

    def reserve(self, count: int) -> bool:
        """Room for `count` messages to be inserted claimed? (Held until `take`/`unreserve`.)"""
        ...

    def unreserve(self, count: int) -> None: ...

    def take(self, messages: Sequence[NewMessage], reserved: int) -> None:
        """Committed claimed `messages` (of a batch that reserved `reserved`): send them."""
        ...


class Waiter(Protocol):
    """Who hears one message's outcome: an `asyncio.Future`, or anything with its three
    methods (an API worker's frame collects its results without a future per message)."""

    def done(self) -> bool: ...

    def set_result(self, result: Outcome, /) -> None: ...

    def set_exception(self, exception: BaseException, /) -> None: ...


class AcceptsMessages(Protocol):
    """What api_web needs: this process's `Accepter`, or an API worker's `RemoteAccepter`."""

    async def accept(self, message: NewMessage) -> Outcome: ...


_Pending = tuple[NewMessage, Waiter]
_COLUMNS = (
    "id, realm_id, sender_code, phone, text, encoding, parts, kind, status, attempts, created_at, "
    "updated_at"
)


class Accepter(Batcher[_Pending]):
    """Commits accepted messages in batches; see the module docstring."""

    name = "smsgate-group-commit"

    def __init__(
        self,
        db: Database,
        *,
        writer: HotWriter | None = None,
        max_batch: int = GROUP_COMMIT_MAX_BATCH,
        on_committed: Callable[[Sequence[NewMessage]], None] | None = None,
        handoff: Handoff | None = None,
    ) -> None:
        # several commits in flight: the next batch waits at the writer, not behind a loop turn
        super().__init__(max_batch=max_batch, in_flight=ACCEPT_COMMITS_IN_FLIGHT)
        self._writer = writer if writer is not None else HotWriter(db)
        self._on_committed = on_committed
        self._handoff = handoff

    async def accept(self, message: NewMessage) -> Outcome:
        """Wait until `message` is durably queued (ACCEPTED) or refused as opted out."""
        return await self.submit(message)

    def submit(self, message: NewMessage) -> "asyncio.Future[Outcome]":
        """`accept` without the coroutine: the future of `message`'s outcome."""
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self.submit_to(message, future)
        return future

    def submit_to(self, message: NewMessage, waiter: Waiter) -> None:
        """`submit` with a waiter of the caller's making (see `Waiter`)."""
        if not self.running:
            raise StoreUnavailable("the gateway is shutting down")
        self.put((message, waiter))

    async def process(self, batch: list[_Pending]) -> None:
        COMMIT_BATCH.observe(len(batch))
        handoff = self._handoff
        if handoff is not None and not handoff.reserve(len(batch)):
            handoff = None  # no room: insert them queued
        status = Status.QUEUED if handoff is None else Status.SENDING
        try:
            committed, refused = await self._write([m for m, _ in batch], status)
        except Exception as exc:  # any failure: nobody in the batch may hear SUCCESS
            if handoff is not None:
                handoff.unreserve(len(batch))
            COMMIT_FAILURES.inc()
            log.error("commit of %d messages failed: %s", len(batch), exc)
            for _, future in batch:
                if not future.done():
                    future.set_exception(StoreUnavailable(str(exc)))
            return
        for message, future in batch:
            if not future.done():  # the request may have been cancelled (client went away)
                outcome = Outcome.OPTED_OUT if message.id in refused else Outcome.ACCEPTED
                future.set_result(outcome)
        if handoff is not None:
            handoff.take(committed, len(batch))
        elif committed and self._on_committed is not None:
            try:
                self._on_committed(committed)
            except Exception:  # the rows are committed: polling will find them anyway
                log.exception("in-memory hand-off of %d messages failed", len(committed))

    async def _write(
        self, batch: list[NewMessage], status: Status
    ) -> tuple[list[NewMessage], set[str]]:
        return await self._writer.run(lambda tx: _insert(tx, batch, status))


def _insert(tx: Tx, batch: list[NewMessage], status: Status) -> tuple[list[NewMessage], set[str]]:
    """The accept transaction: re-read opt-outs for the batch, insert the rest (queued, or
    sending when the dispatcher takes them at once: then they count one attempt)."""
    blocked = blocked_pairs(tx, ((m.realm_id, m.sender_code, m.phone) for m in batch))
    refused = {m.id for m in batch if (m.realm_id, m.sender_code, m.phone) in blocked}
    committed = [m for m in batch if m.id not in refused]
    now = time.time()
    attempts = 1 if status is Status.SENDING else 0
    tx.insert_rows(
        f"INSERT INTO messages ({_COLUMNS})",
        [
            (
                m.id,
                m.realm_id,
                m.sender_code,
                m.phone,
                m.text,
                m.encoding,
                m.parts,
                m.kind,
                status.value,
                attempts,
                m.created_at,
                now,
            )
            for m in committed
        ],
    )
    if committed and status is Status.QUEUED:
        notify_queued(tx)  # wakes dispatchers in other processes (PostgreSQL) once committed
    return committed, refused
