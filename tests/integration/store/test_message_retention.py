"""Messages past the retention go with their parts and events, on SQLite and PostgreSQL:
only those finished (or sent and waiting) and unchanged since the cutoff, never one queued or
sending whatever its age, never a younger one; oldest first from a cursor."""

import time
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import insert, select

from smsgate.bootstrap import Gateway
from smsgate.domain.model import Status
from smsgate.ids import new_message_id
from smsgate.store import message_retention
from smsgate.store import schema as s
from smsgate.store.message_retention import MessageRetentionStore, prune
from tests.integration.store.support import count_rows

AddRealm = Callable[..., Awaitable[int]]
DAY = 86400.0


async def seed(gateway: Gateway, realm_id: int, rows: list[tuple[str, float, float]]) -> list[str]:
    """Messages (status, created_at, updated_at), ids in the order given (their age order),
    each with one part and one event."""
    ids = [new_message_id() for _ in rows]
    message = {"realm_id": realm_id, "sender_code": "1", "phone": "12065550100", "text": "t"}
    async with gateway.db.writer.begin() as conn:
        for mid, (status, created, updated) in zip(ids, rows, strict=True):
            await conn.execute(
                insert(s.messages).values(
                    id=mid, **message, encoding="gsm7", parts=1, status=status,
                    created_at=created, updated_at=updated,
                )
            )  # fmt: skip
            await conn.execute(
                insert(s.message_parts).values(
                    message_id=mid, part_no=1, connection="c", status="sent", updated_at=updated
                )
            )
            await conn.execute(
                insert(s.message_events).values(message_id=mid, type="accepted", created_at=created)
            )
    return ids


async def kept(gateway: Gateway) -> set[str]:
    async with gateway.db.reader.connect() as conn:
        return set(await conn.scalars(select(s.messages.c.id)))


async def test_old_finished_messages_go_with_their_parts_and_events_and_nothing_else(
    gateway: Gateway, add_realm: AddRealm
) -> None:
    realm = await add_realm(gateway, "acme")
    now = time.time()
    old, young, before = now - 100 * DAY, now - DAY, now - 90 * DAY
    ids = await seed(
        gateway,
        realm,
        [
            (Status.DELIVERED.value, old, old),  # goes
            (Status.FAILED.value, old, old),  # goes
            (Status.SENT.value, old, old),  # goes: no receipt will come any more
            (Status.QUEUED.value, old, old),  # stays: could still be delivered
            (Status.SENDING.value, old, old),  # stays: a submit may be in flight
            (Status.DELIVERED.value, old, young),  # stays: changed lately (a late receipt)
            (Status.DELIVERED.value, young, young),  # stays: young
        ],
    )
    store = MessageRetentionStore(gateway.transactions)
    assert await store.prune(before, "", 100) == (3, None)  # the young one ends the pass
    assert await kept(gateway) == set(ids[3:])
    assert await count_rows(gateway.db, s.message_parts) == 4  # theirs went with them
    assert await count_rows(gateway.db, s.message_events) == 4
    assert await store.prune(before, "", 100) == (0, None)  # nothing more to do


async def test_a_cursor_over_the_oldest_a_batch_at_a_time(
    gateway: Gateway, add_realm: AddRealm
) -> None:
    realm = await add_realm(gateway, "acme")
    now = time.time()
    old, before = now - 100 * DAY, now - 90 * DAY
    ids = await seed(
        gateway, realm, [(Status.DELIVERED.value, old, old)] * 5 + [("sent", now, now)]
    )
    deleted, cursor = await gateway.transactions.run(lambda tx: prune(tx, before, "", 2))
    assert (deleted, cursor) == (2, ids[1])
    deleted, cursor = await gateway.transactions.run(lambda tx: prune(tx, before, ids[1], 2))
    assert (deleted, cursor) == (2, ids[3])
    deleted, cursor = await gateway.transactions.run(lambda tx: prune(tx, before, ids[3], 2))
    assert (deleted, cursor) == (1, None)  # reached a young one
    assert await kept(gateway) == {ids[5]}


async def test_a_row_back_on_its_way_since_it_was_read_stays(
    gateway: Gateway, add_realm: AddRealm, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The DELETE's own guard. On PostgreSQL a row read as finished could have been queued
    again before the DELETE; here the rule is made to pass a queued row, as such a read would."""
    realm = await add_realm(gateway, "acme")
    old = time.time() - 100 * DAY
    ids = await seed(gateway, realm, [(Status.QUEUED.value, old, old), ("sending", old, old)])
    monkeypatch.setattr(message_retention, "may_forget", lambda *_: True)
    store = MessageRetentionStore(gateway.transactions)
    assert await store.prune(time.time() - 90 * DAY, "", 100) == (0, None)
    assert await kept(gateway) == set(ids)


async def test_a_dispatching_gateway_runs_the_passes_with_its_setting(
    gateway_factory: Callable[..., Awaitable[Gateway]], add_realm: AddRealm
) -> None:
    gateway = await gateway_factory(dispatch=True, message_retention_days=30)
    assert gateway.retention is not None
    await gateway.retention.stop()  # its own passes (one at start) would race this test's
    realm = await add_realm(gateway, "acme")
    now = time.time()
    rows = [(Status.DELIVERED.value, now - 31 * DAY, now - 31 * DAY)]
    ids = await seed(gateway, realm, [*rows, (Status.DELIVERED.value, now - DAY, now - DAY)])
    assert await gateway.retention.run_pass() == 1
    assert await kept(gateway) == {ids[1]}

    forever = await gateway_factory(dispatch=True, message_retention_days=0)
    assert forever.retention is not None and await forever.retention.run_pass() == 0
    assert (await gateway_factory()).retention is None  # an API-only process: not its job
