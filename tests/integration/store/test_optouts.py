"""Opt-outs: add and remove per scope, the audit ledger, and `blocked_pairs`."""

from collections.abc import Awaitable, Callable

from sqlalchemy import select

from smsgate.bootstrap import Gateway
from smsgate.domain.optout import REALM_WIDE
from smsgate.store import schema as s
from smsgate.store.optouts import blocked_pairs
from smsgate.store.transactions import EngineTx

PHONE = "12065551212"
OTHER_PHONE = "12065551313"


async def _ledger(gateway: Gateway) -> list[tuple[object, ...]]:
    query = select(
        s.opt_out_events.c.realm_id,
        s.opt_out_events.c.phone,
        s.opt_out_events.c.sender_code,
        s.opt_out_events.c.action,
        s.opt_out_events.c.source,
    ).order_by(s.opt_out_events.c.id)
    async with gateway.db.reader.connect() as conn:
        return [tuple(row) for row in await conn.execute(query)]


async def _blocked(
    gateway: Gateway, wanted: list[tuple[int, str, str]]
) -> set[tuple[int, str, str]]:
    """`blocked_pairs` inside a write transaction, as the group commit runs it."""
    async with gateway.db.write_engine.begin() as conn:
        return await conn.run_sync(lambda sync: blocked_pairs(EngineTx(sync), wanted))


async def test_add_remove_and_ledger(
    gateway: Gateway, add_realm: Callable[..., Awaitable[int]]
) -> None:
    r = await add_realm(gateway, "a")
    optouts = gateway.optouts
    assert await optouts.add(r, PHONE, source="cli") is True
    assert await optouts.add(r, PHONE, source="import") is False  # already; still in the ledger
    assert await optouts.add(r, PHONE, "55501", source="mo") is True  # another scope
    listed = await optouts.list(r)
    assert [(o.phone, o.sender_code, o.source) for o in listed] == [
        (PHONE, REALM_WIDE, "cli"),
        (PHONE, "55501", "mo"),
    ]
    assert await optouts.remove(r, PHONE, source="cli") is True
    assert await optouts.remove(r, PHONE, source="cli") is False  # nothing left: no ledger row
    assert [(o.phone, o.sender_code) for o in await optouts.list(r)] == [(PHONE, "55501")]
    assert await _ledger(gateway) == [
        (r, PHONE, REALM_WIDE, "out", "cli"),
        (r, PHONE, REALM_WIDE, "out", "import"),
        (r, PHONE, "55501", "out", "mo"),
        (r, PHONE, REALM_WIDE, "in", "cli"),
    ]


async def test_remove_is_exact_scope(
    gateway: Gateway, add_realm: Callable[..., Awaitable[int]]
) -> None:
    r = await add_realm(gateway, "a")
    await gateway.optouts.add(r, PHONE, "55501", source="cli")
    assert await gateway.optouts.remove(r, PHONE, source="cli") is False  # not realm-wide
    assert await gateway.optouts.remove(r, PHONE, "55502", source="cli") is False
    assert await gateway.optouts.is_opted_out(r, "55501", PHONE)


async def test_realm_wide_versus_sender_specific(
    gateway: Gateway, add_realm: Callable[..., Awaitable[int]]
) -> None:
    a = await add_realm(gateway, "a")
    b = await add_realm(gateway, "b")
    await gateway.optouts.add(a, PHONE, source="cli")  # every sender code of realm a
    await gateway.optouts.add(a, OTHER_PHONE, "55501", source="cli")  # only 55501
    wanted = [
        (a, "55501", PHONE),
        (a, "55502", PHONE),
        (a, "55501", OTHER_PHONE),
        (a, "55502", OTHER_PHONE),
        (b, "66601", PHONE),  # other realm: a's opt-outs do not apply
        (b, "55501", OTHER_PHONE),
        (a, "55501", "12065559999"),
    ]
    expected = {(a, "55501", PHONE), (a, "55502", PHONE), (a, "55501", OTHER_PHONE)}
    assert await _blocked(gateway, wanted) == expected
    for realm_id, code, phone in wanted:
        blocked = (realm_id, code, phone) in expected
        assert await gateway.optouts.is_opted_out(realm_id, code, phone) is blocked
    assert await _blocked(gateway, []) == set()


async def test_opt_outs_are_listed_per_realm(
    gateway: Gateway, add_realm: Callable[..., Awaitable[int]]
) -> None:
    a = await add_realm(gateway, "a")
    b = await add_realm(gateway, "b")
    await gateway.optouts.add(a, PHONE, source="cli")
    assert await gateway.optouts.list(b) == []
    assert [o.realm_id for o in await gateway.optouts.list(a)] == [a]


async def test_add_many_skips_what_is_there_and_writes_every_request_to_the_ledger(
    gateway: Gateway, add_realm: Callable[..., Awaitable[int]]
) -> None:
    r = await add_realm(gateway, "a")
    await gateway.optouts.add(r, PHONE, source="cli")
    rows = [(PHONE, REALM_WIDE), (OTHER_PHONE, REALM_WIDE), (OTHER_PHONE, "55501")]
    async with gateway.db.write_engine.begin() as conn:
        assert await gateway.optouts.add_many(conn, r, rows, source="import") == 2
        # again in the same transaction, one repeated inside the batch: nothing new
        assert await gateway.optouts.add_many(conn, r, [*rows, rows[1]], source="import") == 0
        assert await gateway.optouts.add_many(conn, r, [], source="import") == 0
    listed = await gateway.optouts.list(r)
    assert [(o.phone, o.sender_code, o.source) for o in listed] == [
        (PHONE, REALM_WIDE, "cli"),
        (OTHER_PHONE, REALM_WIDE, "import"),
        (OTHER_PHONE, "55501", "import"),
    ]
    ledger = await _ledger(gateway)
    assert len(ledger) == 1 + 3 + 4
    assert ledger[1:4] == [(r, phone, code, "out", "import") for phone, code in rows]


async def test_add_many_rolls_back_with_its_transaction(
    gateway: Gateway, add_realm: Callable[..., Awaitable[int]]
) -> None:
    r = await add_realm(gateway, "a")
    try:
        async with gateway.db.write_engine.begin() as conn:
            await gateway.optouts.add_many(conn, r, [(PHONE, REALM_WIDE)], source="import")
            raise RuntimeError("the import failed")
    except RuntimeError:
        pass
    assert await gateway.optouts.list(r) == []
    assert await _ledger(gateway) == []
