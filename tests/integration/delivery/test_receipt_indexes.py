"""The status writer finds parts and parked receipts by (connection, SMSC id) through the
indexes on those two columns: matching a receipt never scans every part ever sent."""

import sqlite3

import pytest

from smsgate.domain.delivery_events import PartSent, ReceiptIn
from smsgate.domain.receipt import ReceiptState
from smsgate.store.statuses import write_events
from smsgate.store.transactions import _SqliteTx

CONNECTION = "carrier1"


@pytest.fixture
def conn(migrated_sqlite: sqlite3.Connection) -> sqlite3.Connection:
    connection = migrated_sqlite
    connection.execute(
        "INSERT INTO realms (id, name, password_hash, password_version, created_at) "
        "VALUES (1, 'r', 'x', 1, 0)"
    )
    for n in range(1, 4):
        connection.execute(
            "INSERT INTO messages (id, realm_id, sender_code, phone, text, encoding, parts, "
            "status, attempts, kind, created_at, updated_at) "
            f"VALUES ('m{n}', 1, '12345', '1206555010{n}', 'hi', 'gsm7', 1, 'sending', 1, "
            "'api', 0, 0)"
        )
    return connection


def _selects(conn: sqlite3.Connection, events: list[PartSent | ReceiptIn]) -> list[str]:
    """Run the status transaction on `events`; the SELECTs it ran, parameters inlined."""
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        write_events(_SqliteTx(conn), list(events), now=1.0)
    finally:
        conn.set_trace_callback(None)
    return [sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]


def _plan(conn: sqlite3.Connection, sql: str) -> str:
    return " ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}"))


def test_receipts_find_their_parts_and_parked_receipts_through_the_indexes(
    conn: sqlite3.Connection,
) -> None:
    sent = [PartSent(f"m{n}", 1, CONNECTION, f"{n:x}", last=True) for n in (1, 2)]
    # "2" parks under another connection's id space: it must not match m2's part
    early = ReceiptIn("other", "2", ReceiptState.DELIVERED, None)
    selects = _selects(conn, [*sent, early])
    receipts = [ReceiptIn(CONNECTION, "1", ReceiptState.DELIVERED, None)]
    selects += _selects(conn, receipts)
    # with a receipt parked, storing a part looks for parked receipts by its id
    selects += _selects(conn, [PartSent("m3", 1, CONNECTION, "3", last=True)])

    probes = [sql for sql in selects if sql.endswith("FROM pending_receipts LIMIT 1")]
    assert len(probes) == 2  # one per batch that stored parts: one row at most, no IN list
    parked = [sql for sql in selects if "FROM pending_receipts WHERE" in sql]
    parts = [sql for sql in selects if "FROM message_parts" in sql]
    assert parked and parts
    for sql in parked:
        assert "ix_pending_receipts_connection_smsc_message_id (connection=?" in _plan(conn, sql)
    for sql in parts:
        plan = _plan(conn, sql)
        assert "ix_message_parts_connection_smsc_message_id (connection=?" in plan
        assert "SCAN p" not in plan
    rows = conn.execute("SELECT id, status FROM messages ORDER BY id").fetchall()
    assert rows == [("m1", "delivered"), ("m2", "sent"), ("m3", "sent")]
    assert conn.execute("SELECT connection FROM pending_receipts").fetchall() == [("other",)]
