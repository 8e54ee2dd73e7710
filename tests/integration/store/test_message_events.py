"""Message events and Idempotency-Keys: written in the transactions that change messages, on
both databases; one key makes one message however many requests carry it at once."""

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from smsgate.bootstrap import Gateway
from smsgate.constants import IDEMPOTENCY_TTL_SECONDS
from smsgate.domain.delivery_events import PartSent, ReceiptIn
from smsgate.domain.message_events import EventType
from smsgate.domain.model import IdempotencyClaim, Outcome
from smsgate.domain.receipt import ReceiptState
from smsgate.store import schema as s
from smsgate.store.idempotency import IdempotencyStore
from smsgate.store.message_events import events_of
from smsgate.store.queue import QueueStore
from smsgate.store.transactions import TransactionRunner
from tests.integration.store.support import AccepterFactory, count_rows, new_message


@pytest.fixture
async def own_runner() -> AsyncIterator[Callable[[Gateway], Awaitable[TransactionRunner]]]:
    """A write connection of the test's own (closed at teardown): a second writer process."""
    runners: list[TransactionRunner] = []

    async def make(gateway: Gateway) -> TransactionRunner:
        runners.append(TransactionRunner(gateway.db))
        return runners[-1]

    try:
        yield make
    finally:
        for runner in runners:
            await runner.close()


@pytest.fixture
async def realm(
    gateway: Gateway,
    add_realm: Callable[..., Awaitable[int]],
    add_sender: Callable[..., Awaitable[None]],
) -> int:
    realm_id = await add_realm(gateway, "a")
    await add_sender(gateway, "a", "1001")
    return realm_id


async def test_accepted_message_keeps_client_fields_and_writes_no_event_row(
    gateway: Gateway, realm: int, accepter_factory: AccepterFactory
) -> None:
    accepter = await accepter_factory(gateway)
    message = dataclasses.replace(
        new_message(realm, "1001"), client_ref="order-17", validity_seconds=3600
    )
    assert await accepter.accept(message) is Outcome.ACCEPTED
    stored = await gateway.messages.get(realm, message.id)
    assert stored is not None
    assert (stored.client_ref, stored.validity_seconds) == ("order-17", 3600)
    assert await events_of(gateway.db, message.id) == []  # accepted: the message row itself


async def test_delivery_events_follow_submits_receipts_and_failures(
    gateway: Gateway, realm: int, accepter_factory: AccepterFactory
) -> None:
    accepter = await accepter_factory(gateway)
    sent, refused = new_message(realm, "1001"), new_message(realm, "1001")
    for m in (sent, refused):
        assert await accepter.accept(m) is Outcome.ACCEPTED
    gateway.statuses.part_sent(PartSent(sent.id, 1, "smsc", "00AB12", last=True))
    gateway.statuses.message_failed(refused.id, "ESME_RINVDSTADR (0x0000000B)", 0x0B)
    await gateway.statuses.flush()
    receipt = ReceiptIn("smsc", "ab12", ReceiptState.DELIVERED, "000", done_date="2612050733")
    await gateway.statuses.receipt(receipt)

    events = await events_of(gateway.db, sent.id)
    assert [e.type for e in events] == [EventType.SUBMITTED, EventType.RECEIPT]
    submitted, delivered = events
    assert (submitted.part, submitted.smsc_message_id, submitted.smpp_status) == (1, "00AB12", 0)
    assert (delivered.part, delivered.stat, delivered.err, delivered.done_date) == (
        1,
        "delivered",
        "000",
        "2612050733",
    )
    failed = (await events_of(gateway.db, refused.id))[-1]
    assert (failed.type, failed.smpp_status) == (EventType.FAILED, 0x0B)
    assert failed.error == "ESME_RINVDSTADR (0x0000000B)"


async def test_twenty_concurrent_requests_with_one_key_make_one_message(
    gateway: Gateway, realm: int, accepter_factory: AccepterFactory
) -> None:
    accepter = await accepter_factory(gateway)
    key = IdempotencyClaim("retry-me", "h" * 64)
    messages = [dataclasses.replace(new_message(realm, "1001"), idempotency=key) for _ in range(20)]
    outcomes = await asyncio.gather(*(accepter.accept(m) for m in messages))
    assert sorted(o.value for o in outcomes) == ["accepted"] + ["duplicate"] * 19
    winner = messages[outcomes.index(Outcome.ACCEPTED)]
    stored = await IdempotencyStore(gateway.db).get(realm, "retry-me")
    assert stored is not None and stored.message_id == winner.id
    assert await count_rows(gateway.db, s.messages) == 1


async def test_concurrent_accepters_on_one_database_claim_a_key_once(
    gateway: Gateway,
    realm: int,
    accepter_factory: AccepterFactory,
    own_runner: Callable[[Gateway], Awaitable[TransactionRunner]],
) -> None:
    """Two accepters, two write connections (on PostgreSQL: concurrent transactions)."""
    first = await accepter_factory(gateway)
    second = await accepter_factory(gateway, runner=await own_runner(gateway))
    key = IdempotencyClaim("two-doors", "h" * 64)
    messages = [dataclasses.replace(new_message(realm, "1001"), idempotency=key) for _ in range(10)]
    outcomes = await asyncio.gather(
        *((first if i % 2 else second).accept(m) for i, m in enumerate(messages))
    )
    assert outcomes.count(Outcome.ACCEPTED) == 1
    assert await count_rows(gateway.db, s.messages) == 1


async def test_a_key_of_another_realm_is_another_key(
    gateway: Gateway,
    realm: int,
    add_realm: Callable[..., Awaitable[int]],
    add_sender: Callable[..., Awaitable[None]],
    accepter_factory: AccepterFactory,
) -> None:
    other = await add_realm(gateway, "b")
    await add_sender(gateway, "b", "2001")
    accepter = await accepter_factory(gateway)
    key = IdempotencyClaim("shared-name", "h" * 64)
    mine = dataclasses.replace(new_message(realm, "1001"), idempotency=key)
    theirs = dataclasses.replace(new_message(other, "2001"), idempotency=key)
    assert await accepter.accept(mine) is Outcome.ACCEPTED
    assert await accepter.accept(theirs) is Outcome.ACCEPTED


async def test_a_message_past_its_validity_expires_at_the_claim_unsent(
    gateway: Gateway, realm: int, accepter_factory: AccepterFactory
) -> None:
    accepter = await accepter_factory(gateway)
    stale = dataclasses.replace(
        new_message(realm, "1001"), created_at=time.time() - 120, validity_seconds=60
    )
    fresh = dataclasses.replace(new_message(realm, "1001"), validity_seconds=60)
    for m in (stale, fresh):
        assert await accepter.accept(m) is Outcome.ACCEPTED
    claimed, opted_out = await QueueStore(gateway.db, gateway.transactions).claim(
        [stale.id, fresh.id]
    )
    assert ([m.id for m in claimed], opted_out) == ([fresh.id], [])
    assert claimed[0].validity_seconds == 60
    expired = await gateway.messages.get(realm, stale.id)
    assert expired is not None and expired.status == "expired"
    events = await events_of(gateway.db, stale.id)
    assert [e.type for e in events] == [EventType.EXPIRED]


async def test_keys_older_than_a_day_are_purged_and_can_be_claimed_again(
    gateway: Gateway, realm: int, accepter_factory: AccepterFactory
) -> None:
    accepter = await accepter_factory(gateway)
    old = dataclasses.replace(
        new_message(realm, "1001"), idempotency=IdempotencyClaim("old", "h" * 64)
    )
    assert await accepter.accept(old) is Outcome.ACCEPTED
    keys = IdempotencyStore(gateway.db)
    day_later = time.time() + IDEMPOTENCY_TTL_SECONDS + 1
    assert await keys.purge(day_later - 2 * IDEMPOTENCY_TTL_SECONDS) == 0  # still young
    assert await keys.purge(day_later) == 1
    assert await keys.get(realm, "old") is None
    again = dataclasses.replace(new_message(realm, "1001"), idempotency=old.idempotency)
    assert await accepter.accept(again) is Outcome.ACCEPTED


async def test_batches_claiming_the_same_keys_in_opposite_orders_never_deadlock(
    gateway: Gateway,
    realm: int,
    accepter_factory: AccepterFactory,
    own_runner: Callable[[Gateway], Awaitable[TransactionRunner]],
) -> None:
    """Two write connections (on PostgreSQL: concurrent transactions), each committing one
    batch of the same ten keys, in opposite orders: every key makes exactly one message."""
    first = await accepter_factory(gateway)
    second = await accepter_factory(gateway, runner=await own_runner(gateway))
    for round_ in range(5):
        keys = [IdempotencyClaim(f"r{round_}-k{i}", "h" * 64) for i in range(10)]
        ours = [dataclasses.replace(new_message(realm, "1001"), idempotency=k) for k in keys]
        theirs = [
            dataclasses.replace(new_message(realm, "1001"), idempotency=k) for k in keys[::-1]
        ]
        outcomes = await asyncio.gather(
            *(first.accept(m) for m in ours), *(second.accept(m) for m in theirs)
        )
        assert outcomes.count(Outcome.ACCEPTED) == 10, outcomes
        assert outcomes.count(Outcome.DUPLICATE) == 10


async def test_an_smscs_overlong_values_are_cut_not_refused(
    gateway: Gateway, realm: int, accepter_factory: AccepterFactory
) -> None:
    """PostgreSQL refuses a value longer than its column: the whole status batch would fail."""
    accepter = await accepter_factory(gateway)
    message = new_message(realm, "1001")
    assert await accepter.accept(message) is Outcome.ACCEPTED
    smsc_id = "7" * 60
    gateway.statuses.part_sent(PartSent(message.id, 1, "smsc", smsc_id, last=True))
    await gateway.statuses.flush()
    receipt = ReceiptIn("smsc", smsc_id, ReceiptState.UNDELIVERABLE, "E" * 300, done_date="9" * 100)
    await gateway.statuses.receipt(receipt)
    events = await events_of(gateway.db, message.id)
    assert [e.type for e in events] == [EventType.SUBMITTED, EventType.RECEIPT]
    assert events[1].err == "E" * 64 and events[1].done_date == "9" * 32


async def test_an_overlong_smsc_message_id_does_not_wedge_the_status_batch(
    gateway: Gateway, realm: int, accepter_factory: AccepterFactory
) -> None:
    accepter = await accepter_factory(gateway)
    message = new_message(realm, "1001")
    assert await accepter.accept(message) is Outcome.ACCEPTED
    gateway.statuses.part_sent(PartSent(message.id, 1, "smsc", "8" * 100, last=True))
    await gateway.statuses.flush()
    # matches no part: parked, its id cut to the column (the write did not fail)
    await gateway.statuses.receipt(ReceiptIn("smsc", "9" * 100, ReceiptState.DELIVERED, None))
    assert await count_rows(gateway.db, s.pending_receipts) == 1
    [submitted] = await events_of(gateway.db, message.id)
    assert submitted.smsc_message_id == "8" * 65
