"""Migration 0004: phones and sender codes stored before it are rewritten to their keys, opt-outs
that become one are merged, and an opt-out stored in any spelling still blocks every spelling."""

import time
from typing import Any

from sqlalchemy import insert, select

from smsgate.auth.passwords import hash_password
from smsgate.domain import send
from smsgate.domain.optout import REALM_WIDE
from smsgate.http.api_web import ApiWeb
from smsgate.store import schema as s
from smsgate.store.database import Database
from smsgate.store.migrate import downgrade, upgrade
from smsgate.store.realms import RealmStore
from tests.conftest import CHEAP_HASHER, GatewayFactory

SHORT = "12345"
NATIONAL_LONG_CODE = "2016270155"  # a long code registered nationally, before 0004
LONG_CODE = "12016270155"
PHONE = "12065551212"
OTHER = "12065553434"
THIRD = "12065557878"


def spellings(key: str) -> list[str]:
    """The ways api_web may be sent the NANP phone `key` (11 digits)."""
    return [key, key[1:], " " + key, "00" + key, "011" + key]


class _OldOptOuts:
    """Opt-outs and their ledger as the store wrote them at 0003 (today's store also writes
    tables that 0003 does not have, such as the webhook outbox)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, realm_id: int, phone: str, sender_code: str = "", *, source: str) -> None:
        now = time.time()
        async with self._db.write_engine.begin() as conn:
            await conn.execute(
                insert(s.opt_out_events).values(
                    realm_id=realm_id,
                    phone=phone,
                    sender_code=sender_code,
                    action="out",
                    source=source,
                    created_at=now,
                )
            )
            await conn.execute(
                insert(s.opt_outs).values(
                    realm_id=realm_id,
                    phone=phone,
                    sender_code=sender_code,
                    source=source,
                    created_at=now,
                )
            )


async def _before_0004(db: Database) -> int:
    """A database at 0003 with phones and a sender code as the old rule stored them."""
    await upgrade(db, "0003")
    realms = RealmStore(db)
    realm_id = await realms.add_realm("acme", hash_password("pw", hasher=CHEAP_HASHER))
    await realms.add_sender("acme", SHORT)
    await realms.add_sender("acme", NATIONAL_LONG_CODE)
    optouts = _OldOptOuts(db)
    # two spellings of one phone, realm-wide: one opt-out after the migration
    await optouts.add(realm_id, "0012065551212", source="cli")
    await optouts.add(realm_id, PHONE, source="import")
    await optouts.add(realm_id, "01112065551212", source="mo")
    # one sender code only, under its old spelling
    await optouts.add(realm_id, "01112065553434", NATIONAL_LONG_CODE, source="mo")
    # realm-wide, stored in one spelling only
    await optouts.add(realm_id, "0012065557878", source="cli")
    now = time.time()
    async with db.write_engine.begin() as conn:
        await conn.execute(
            insert(s.messages).values(
                id="01JTESTMESSAGE000000000000",
                realm_id=realm_id,
                sender_code=NATIONAL_LONG_CODE,
                phone="0012065553434",
                text="hi",
                encoding="gsm7",
                parts=1,
                status="queued",
                created_at=now,
                updated_at=now,
            )
        )
        for phone in ("01112065553434", "Carrier"):  # an alphanumeric source stays as it is
            await conn.execute(
                insert(s.inbound_messages).values(
                    realm_id=realm_id,
                    connection="c",
                    sender_code=NATIONAL_LONG_CODE,
                    phone=phone,
                    text="STOP",
                    keyword="stop",
                    received_at=now,
                )
            )
    return realm_id


async def _rows(db: Database, table: Any, *columns: str) -> list[tuple[Any, ...]]:
    async with db.reader.connect() as conn:
        result = await conn.execute(select(*(table.c[c] for c in columns)).order_by(*table.c))
        return [tuple(row) for row in result]


async def _everything(db: Database) -> list[list[tuple[Any, ...]]]:
    return [
        await _rows(db, s.sender_codes, "code"),
        await _rows(db, s.opt_outs, "id", "phone", "sender_code", "source"),
        await _rows(db, s.opt_out_events, "phone", "sender_code"),
        await _rows(db, s.messages, "phone", "sender_code"),
        await _rows(db, s.inbound_messages, "phone", "sender_code"),
    ]


async def test_stored_spellings_become_keys_and_duplicates_merge(db: Database) -> None:
    await _before_0004(db)

    await upgrade(db)

    codes, opt_outs, ledger, messages, inbound = await _everything(db)
    assert codes == [(SHORT,), (LONG_CODE,)]
    assert [row[1:] for row in opt_outs] == [
        (PHONE, REALM_WIDE, "import"),  # of three spellings, the one already a key is kept
        (OTHER, LONG_CODE, "mo"),
        (THIRD, REALM_WIDE, "cli"),
    ]
    # the history stays
    assert ledger == [(PHONE, REALM_WIDE)] * 3 + [(OTHER, LONG_CODE), (THIRD, REALM_WIDE)]
    assert messages == [(OTHER, LONG_CODE)]
    assert inbound == [(OTHER, LONG_CODE), ("Carrier", LONG_CODE)]

    await downgrade(db, "0003")  # the data stays as it is ...
    await upgrade(db)  # ... and a second run changes nothing
    assert await _everything(db) == [codes, opt_outs, ledger, messages, inbound]


async def test_an_opt_out_stored_before_blocks_every_spelling_after(
    db: Database, database_url: str, gateway_factory: GatewayFactory
) -> None:
    await _before_0004(db)
    await upgrade(db)
    gateway = await gateway_factory(database_url=database_url)
    api_web = ApiWeb(gateway.auth, gateway.sending, gateway.stopping)

    async def reply(phone: str, code: str) -> tuple[str, str]:
        args = send.SendArgs(
            command="smssendmessagetophone",
            realm="acme",
            password="pw",
            phone=phone,
            sender_code=code,
            message_text="hello",
        )
        return await api_web.handle(args, None)

    for key, codes in (
        (PHONE, (SHORT, NATIONAL_LONG_CODE, LONG_CODE)),  # realm-wide, merged
        (THIRD, (SHORT, NATIONAL_LONG_CODE, LONG_CODE)),  # realm-wide, stored as 00...
        (OTHER, (NATIONAL_LONG_CODE, LONG_CODE)),  # the long code only, either spelling of it
    ):
        for code in codes:
            stored = LONG_CODE if code == NATIONAL_LONG_CODE else code
            for phone in spellings(key):
                assert await reply(phone, code) == (
                    f"FAILURE: Phone {phone.strip()} has opted out of sender code {stored}",
                    "opted_out",
                ), (phone, code)
    assert await reply(OTHER, SHORT) == (send.success(), "accepted")  # not that scope
