"""Group commit: every accepted message is durable exactly once, opt-outs are honoured in the
same transaction, and a failed commit reports nothing as accepted."""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypeVar, cast

import pytest
from sqlalchemy import select

from smsgate.bootstrap import Gateway, build
from smsgate.domain.model import Message, Outcome, Status
from smsgate.services.group_commit import Accepter
from smsgate.settings import Settings
from smsgate.store import schema as s
from smsgate.store.accept import AcceptTransaction
from smsgate.store.errors import StoreUnavailable
from smsgate.store.transactions import TransactionRunner, Tx
from tests.integration.store.support import (
    AccepterFactory,
    count_rows,
    elsewhere,
    new_message,
    stored_ids,
    unique_phone,
)

N = 500
T = TypeVar("T")


class Committed:
    """An `on_committed` callback that records every batch it is given."""

    def __init__(self) -> None:
        self.batches: list[list[Message]] = []

    def __call__(self, messages: Sequence[Message]) -> None:
        self.batches.append(list(messages))

    @property
    def ids(self) -> list[str]:
        return [m.id for batch in self.batches for m in batch]


@pytest.fixture
async def realms(
    gateway: Gateway,
    add_realm: Callable[..., Awaitable[int]],
    add_sender: Callable[..., Awaitable[None]],
) -> tuple[int, int]:
    a = await add_realm(gateway, "a")
    b = await add_realm(gateway, "b")
    await add_sender(gateway, "a", "1001")
    await add_sender(gateway, "a", "1002")
    await add_sender(gateway, "b", "2001")
    return a, b


async def test_concurrent_accepts_commit_exactly_once_and_refuse_opted_out(
    gateway: Gateway, realms: tuple[int, int], accepter_factory: AccepterFactory
) -> None:
    a, b = realms
    everywhere, only_1001, only_in_b = unique_phone(), unique_phone(), unique_phone()
    await gateway.optouts.add(a, everywhere, source="cli")
    await gateway.optouts.add(a, only_1001, "1001", source="cli")
    await gateway.optouts.add(b, only_in_b, source="cli")

    messages: list[Message] = []
    refused: set[str] = set()
    for i in range(N):
        kind = i % 10
        if kind == 0:  # realm-wide opt-out, either sender code
            m = new_message(a, "1001" if i % 20 else "1002", everywhere)
            refused.add(m.id)
        elif kind == 1:  # sender-specific opt-out, the opted-out code
            m = new_message(a, "1001", only_1001)
            refused.add(m.id)
        elif kind == 2:  # same phone, another sender code: allowed
            m = new_message(a, "1002", only_1001)
        elif kind == 3:  # opted out in realm b only
            m = new_message(a, "1001", only_in_b)
        elif kind == 4:
            m = new_message(b, "2001", everywhere)  # a's realm-wide opt-out is not b's
        else:
            m = new_message(a, "1001" if i % 2 else "1002", text=f"message {i}")
        messages.append(m)

    committed = Committed()
    accepter = await accepter_factory(gateway, max_batch=64, on_committed=committed)
    outcomes = await asyncio.gather(*(accepter.accept(m) for m in messages))

    for m, outcome in zip(messages, outcomes, strict=True):
        assert outcome is (Outcome.OPTED_OUT if m.id in refused else Outcome.ACCEPTED), m
    accepted = {m.id for m in messages} - refused
    assert len(refused) == 100 and len(accepted) == 400

    ids = await stored_ids(gateway.db)
    assert len(ids) == len(accepted) and set(ids) == accepted  # each exactly once
    assert await count_rows(gateway.db, s.messages) == len(accepted)

    assert sorted(committed.ids) == sorted(accepted)  # the callback saw exactly these, once
    assert all(1 <= len(batch) <= 64 for batch in committed.batches)
    assert len(committed.batches) >= len(accepted) // 64

    sample = next(m for m in messages if m.id in accepted)
    async with gateway.db.reader.connect() as conn:
        row = (await conn.execute(select(s.messages).where(s.messages.c.id == sample.id))).one()
    assert (row.realm_id, row.sender_code, row.phone, row.text, row.status, row.attempts) == (
        sample.realm_id,
        sample.sender_code,
        sample.phone,
        sample.text,
        Status.QUEUED.value,
        0,
    )


async def test_opt_out_added_while_running_applies_to_the_next_commit(
    gateway: Gateway, realms: tuple[int, int], accepter_factory: AccepterFactory
) -> None:
    a, _ = realms
    phone = unique_phone()
    accepter = await accepter_factory(gateway)
    assert await accepter.accept(new_message(a, "1001", phone)) is Outcome.ACCEPTED
    await gateway.optouts.add(a, phone, "1001", source="cli")
    assert await accepter.accept(new_message(a, "1001", phone)) is Outcome.OPTED_OUT
    assert await accepter.accept(new_message(a, "1002", phone)) is Outcome.ACCEPTED
    await gateway.optouts.remove(a, phone, "1001", source="cli")
    assert await accepter.accept(new_message(a, "1001", phone)) is Outcome.ACCEPTED
    assert await count_rows(gateway.db, s.messages) == 3


async def test_database_failure_fails_every_waiter_and_stores_nothing(
    gateway: Gateway,
    realms: tuple[int, int],
    accepter_factory: AccepterFactory,
    database_url: str,
) -> None:
    a, _ = realms
    opted_out = unique_phone()
    await gateway.optouts.add(a, opted_out, source="cli")
    committed = Committed()
    accepter = await accepter_factory(gateway, max_batch=100, on_committed=committed)
    before = new_message(a, "1001")
    assert await accepter.accept(before) is Outcome.ACCEPTED

    # Someone else takes the table away (as a broken migration or an operator would).
    await elsewhere(database_url, "ALTER TABLE messages RENAME TO messages_away")
    try:
        batch = [new_message(a, "1001", opted_out if i % 7 == 0 else None) for i in range(N)]
        results = await asyncio.gather(*(accepter.accept(m) for m in batch), return_exceptions=True)
    finally:
        await elsewhere(database_url, "ALTER TABLE messages_away RENAME TO messages")

    assert all(isinstance(r, StoreUnavailable) for r in results), {type(r) for r in results}
    assert committed.ids == [before.id]
    assert await stored_ids(gateway.db) == [before.id]

    after = new_message(a, "1001")  # the database is back: so is the accepter
    assert await accepter.accept(after) is Outcome.ACCEPTED
    assert sorted(await stored_ids(gateway.db)) == sorted([before.id, after.id])
    assert committed.ids == [before.id, after.id]


async def test_failure_in_the_middle_of_a_batch_rolls_back_the_whole_batch(
    gateway: Gateway,
    realms: tuple[int, int],
    accepter_factory: AccepterFactory,
    database_url: str,
) -> None:
    a, _ = realms
    batch = [new_message(a, "1001") for _ in range(N)]
    clash = batch[N // 2]
    # Another writer already holds the id of the message in the middle: the multi-row INSERT
    # fails there, after the rows before it were written inside the transaction.
    await elsewhere(
        database_url,
        "INSERT INTO messages (id, realm_id, sender_code, phone, text, encoding, parts, status,"
        f" attempts, created_at, updated_at) VALUES ('{clash.id}', {a}, '1001', '1', 'x',"
        " 'gsm7', 1, 'queued', 0, 0, 0)",
    )
    committed = Committed()
    accepter = await accepter_factory(gateway, on_committed=committed)
    results = await asyncio.gather(*(accepter.accept(m) for m in batch), return_exceptions=True)

    assert all(isinstance(r, StoreUnavailable) for r in results), {type(r) for r in results}
    assert committed.batches == []
    assert await stored_ids(gateway.db) == [clash.id]


async def test_stop_commits_what_is_waiting_then_refuses(
    gateway: Gateway, realms: tuple[int, int], accepter_factory: AccepterFactory
) -> None:
    a, _ = realms
    accepter = await accepter_factory(gateway)
    batch = [new_message(a, "1002") for _ in range(50)]
    waiting = [asyncio.ensure_future(accepter.accept(m)) for m in batch]
    await asyncio.sleep(0)  # let every waiter enqueue its message
    await accepter.stop()
    assert [w.result() for w in waiting] == [Outcome.ACCEPTED] * 50
    assert sorted(await stored_ids(gateway.db)) == sorted(m.id for m in batch)
    with pytest.raises(StoreUnavailable):
        await accepter.accept(new_message(a, "1002"))


class GatedWriter:
    """The gateway's hot writer behind a gate: counts the batches handed to it, and lets them
    through to the real commit only once `gate` is set."""

    def __init__(self, inner: TransactionRunner) -> None:
        self._inner = inner
        self.gate = asyncio.Event()
        self.handed = 0

    async def run(self, fn: Callable[[Tx], T]) -> T:
        self.handed += 1
        await self.gate.wait()
        return await self._inner.run(fn)


async def test_batches_reach_the_writer_while_earlier_commits_are_in_flight(
    gateway: Gateway, realms: tuple[int, int], accepter_factory: AccepterFactory
) -> None:
    """A batch formed while commits are outstanding goes to the writer at once (up to
    ACCEPT_COMMITS_IN_FLIGHT), where it joins the next round, instead of waiting in the event
    loop until one of them has committed."""
    a, _ = realms
    gated = GatedWriter(gateway.transactions)
    accepter = await accepter_factory(gateway, runner=cast(TransactionRunner, gated))
    batches = 4  # ACCEPT_COMMITS_IN_FLIGHT allows 8
    messages = [new_message(a, "1001") for _ in range(batches)]
    waiting = []
    try:
        for message in messages:  # one message per loop turn: one batch each
            waiting.append(asyncio.ensure_future(accepter.accept(message)))
            for _ in range(5):
                await asyncio.sleep(0)
        assert gated.handed == batches  # none committed yet, all handed over
        assert not any(w.done() for w in waiting)  # nobody heard SUCCESS before the commit
    finally:
        gated.gate.set()  # else the accepter's stop would wait for these commits forever
    assert await asyncio.gather(*waiting) == [Outcome.ACCEPTED] * batches
    assert sorted(await stored_ids(gateway.db)) == sorted(m.id for m in messages)


async def test_a_cancelled_waiter_does_not_disturb_its_batch(
    gateway: Gateway, realms: tuple[int, int], accepter_factory: AccepterFactory
) -> None:
    a, _ = realms
    committed = Committed()
    accepter = await accepter_factory(gateway, on_committed=committed)
    batch = [new_message(a, "1001") for _ in range(20)]
    waiting = [asyncio.ensure_future(accepter.accept(m)) for m in batch]
    await asyncio.sleep(0)  # let every waiter enqueue its message
    waiting[3].cancel()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert isinstance(results[3], asyncio.CancelledError)
    assert [r for i, r in enumerate(results) if i != 3] == [Outcome.ACCEPTED] * 19
    # The client went away, but its message was already in the batch: it is stored anyway,
    # and the callback reports it with the rest.
    assert sorted(await stored_ids(gateway.db)) == sorted(m.id for m in batch)
    assert sorted(committed.ids) == sorted(m.id for m in batch)


async def test_a_failing_on_committed_callback_does_not_stop_the_committer(
    gateway: Gateway, realms: tuple[int, int]
) -> None:
    a, _ = realms
    calls: list[int] = []

    def flaky(messages: Sequence[Message]) -> None:
        calls.append(len(messages))
        if len(calls) == 1:
            raise RuntimeError("the dispatcher's wake-up failed")

    accepter = Accepter(AcceptTransaction(gateway.transactions), on_committed=flaky)
    await accepter.start()
    second: asyncio.Future[Outcome] | None = None
    try:
        assert await accepter.accept(new_message(a, "1001")) is Outcome.ACCEPTED
        second = asyncio.ensure_future(accepter.accept(new_message(a, "1001")))
        await asyncio.sleep(0)  # let it enqueue
        await accepter.stop()  # commits what is waiting; re-raises if the committer died
        assert second.result() is Outcome.ACCEPTED
        assert calls == [1, 1]
    finally:
        if second is not None and not second.done():
            second.cancel()


@pytest.mark.postgres
async def test_killed_connections_fail_one_batch_then_the_accepter_recovers(
    postgres_url: str,
    tmp_path: Path,
    add_realm: Callable[..., Awaitable[int]],
    add_sender: Callable[..., Awaitable[None]],
    accepter_factory: AccepterFactory,
) -> None:
    settings = Settings(
        database_url=postgres_url, data_dir=tmp_path, dispatch=False, simulator_port=0
    )
    gateway = build(settings)
    try:
        await gateway.start()
        a = await add_realm(gateway, "a")
        await add_sender(gateway, "a", "1001")
        committed = Committed()
        accepter = await accepter_factory(gateway, on_committed=committed)
        first = new_message(a, "1001")
        assert await accepter.accept(first) is Outcome.ACCEPTED

        # An administrator (or a failover) ends every session of the gateway.
        await elsewhere(
            postgres_url,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        batch = [new_message(a, "1001") for _ in range(50)]
        results = await asyncio.gather(*(accepter.accept(m) for m in batch), return_exceptions=True)
        assert all(isinstance(r, StoreUnavailable) for r in results), results[:3]

        after = new_message(a, "1001")
        assert await accepter.accept(after) is Outcome.ACCEPTED
        assert sorted(await stored_ids(gateway.db)) == sorted([first.id, after.id])
        assert committed.ids == [first.id, after.id]
        await accepter.stop()
    finally:
        await gateway.stop()
