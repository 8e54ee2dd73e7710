"""Phones as E.164 keys, sender codes in one spelling.

Before, "0012065551212" and "12065551212" were two phones, so an opt-out stored under one did not
stop a message to the other; a sender code could be stored nationally ("2016270155") and an
inbound message to "+12016270155" found no realm. This rewrites, with the rules of
`domain.phone.normalise_phone` and `domain.sender_code` and the default region of the settings
it runs with (`smsgate db upgrade`):

- sender codes, in `sender_codes` and every table that names one; a code whose new spelling
  another row already has is left as it is (a lookup still finds it: it tries the spelling given);
- phones in `opt_outs`, `opt_out_events`, `messages` and `inbound_messages`; a value that is not
  a number (an alphanumeric inbound sender) is left as it is.

Where two opt-outs of a realm become one (same phone and scope), the one already at the new key
(or the older one) is kept and the other deleted: no opt-out is lost, and the ledger keeps both
histories. Idempotent on SQLite and PostgreSQL: a key normalises to itself, so a second run finds
nothing to change. The downgrade keeps the data as it is: the old spellings are not needed.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

import logging
from collections.abc import Iterator, Sequence
from typing import Any

from alembic import context, op
from sqlalchemy import Connection, text

from smsgate.domain.phone import DEFAULT_REGION, normalise_phone, phone_error
from smsgate.domain.sender_code import canonical_sender_code, sender_code_error

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger(__name__)
BATCH = 10_000  # rows fetched at a time from a large table


def upgrade() -> None:
    conn = op.get_bind()
    region = context.config.attributes.get("default_region") or DEFAULT_REGION
    codes = _sender_codes(conn, region)
    _opt_outs(conn, region, codes)
    for table in ("messages", "opt_out_events"):  # indexed by (realm_id, phone)
        changed = [
            {"realm_id": realm_id, "old": phone, "new": new}
            for realm_id, phone in _rows(conn, f"SELECT DISTINCT realm_id, phone FROM {table}")
            if (new := _phone(phone, region)) != phone
        ]
        _run(
            conn,
            f"UPDATE {table} SET phone = :new WHERE realm_id = :realm_id AND phone = :old",
            changed,
        )
    changed = [
        {"id": row_id, "new": new}
        for row_id, phone in _rows(conn, "SELECT id, phone FROM inbound_messages")
        if (new := _phone(phone, region)) != phone
    ]
    _run(conn, "UPDATE inbound_messages SET phone = :new WHERE id = :id", changed)
    if conn.dialect.name == "postgresql":
        # `_rows`' server-side cursors (portals) stay open until the transaction ends, and an
        # open one keeps its table "in use": a later migration of the same upgrade could not
        # ALTER `messages` (0010). They are all consumed: close them.
        conn.exec_driver_sql("CLOSE ALL")


def downgrade() -> None:
    pass  # the data stays normalised; the schema did not change


def _phone(phone: str, region: str) -> str:
    return phone if phone_error(phone.removeprefix("+")) else normalise_phone(phone, region)


def _sender_codes(conn: Connection, region: str) -> dict[str, str]:
    """Give each sender code its canonical spelling; the old -> new spellings changed."""
    renamed: dict[str, str] = {}
    for row_id, code in list(_rows(conn, "SELECT id, code FROM sender_codes ORDER BY id")):
        new = code if sender_code_error(code) else canonical_sender_code(code, region)
        if new == code:
            continue
        if conn.scalar(text("SELECT id FROM sender_codes WHERE code = :c"), {"c": new}):
            log.warning("sender code %s kept: its spelling %s is another row's", code, new)
            continue
        conn.execute(
            text("UPDATE sender_codes SET code = :c WHERE id = :id"), {"c": new, "id": row_id}
        )
        renamed[code] = new
    changed = [{"old": old, "new": new} for old, new in renamed.items()]
    for table in ("messages", "inbound_messages", "opt_out_events"):
        _run(conn, f"UPDATE {table} SET sender_code = :new WHERE sender_code = :old", changed)
    return renamed


def _opt_outs(conn: Connection, region: str, codes: dict[str, str]) -> None:
    """Move each opt-out to its new key, or delete it where that key is taken (merged)."""
    moves = [
        (row_id, realm_id, new_phone, new_code)
        for row_id, realm_id, phone, code in _rows(
            conn, "SELECT id, realm_id, phone, sender_code FROM opt_outs ORDER BY id"
        )
        if (new_phone := _phone(phone, region), new_code := codes.get(code, code)) != (phone, code)
    ]
    for row_id, realm_id, phone, code in moves:
        key = {"r": realm_id, "p": phone, "c": code}
        taken = conn.scalar(
            text("SELECT id FROM opt_outs WHERE realm_id = :r AND phone = :p AND sender_code = :c"),
            key,
        )
        if taken is not None:
            conn.execute(text("DELETE FROM opt_outs WHERE id = :id"), {"id": row_id})
        else:
            conn.execute(
                text("UPDATE opt_outs SET phone = :p, sender_code = :c WHERE id = :id"),
                {**key, "id": row_id},
            )


def _rows(conn: Connection, query: str) -> Iterator[Any]:
    """The rows of `query`, fetched `BATCH` at a time (a server-side cursor on PostgreSQL):
    consume them before the next statement."""
    for partition in conn.execute(text(query).execution_options(yield_per=BATCH)).partitions():
        yield from partition


def _run(conn: Connection, statement: str, params: Sequence[dict[str, Any]]) -> None:
    if params:
        conn.execute(text(statement), params)
