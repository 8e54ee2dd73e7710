"""The dispatcher's queries on SQLite use the partial indexes of migration 0003: a poll, a
claim or a recovery never scans the whole `messages` table, however many messages were sent."""

import sqlite3
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.dialects import sqlite

from smsgate.domain.model import Status
from smsgate.store import schema as s
from smsgate.store.queue import _claim_statement
from smsgate.store.rawsql import Query


@pytest.fixture
def conn(migrated_sqlite: sqlite3.Connection) -> sqlite3.Connection:
    return migrated_sqlite


def _plan(conn: sqlite3.Connection, sql: str, params: Any) -> str:
    return " ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))


def _compiled(statement: Any) -> tuple[str, list[Any]]:
    compiled = statement.compile(dialect=sqlite.dialect())
    return str(compiled), [compiled.params[name] for name in compiled.positiontup]


def test_polling_for_queued_messages_uses_the_queued_index(conn: sqlite3.Connection) -> None:
    statement = (  # QueueStore.queued_ids
        select(s.messages.c.id)
        .where(s.messages.c.status == Status.QUEUED.value)
        .order_by(s.messages.c.id)
        .limit(100)
    )
    assert "USING INDEX ix_messages_queued" in _plan(conn, *_compiled(statement))


def test_claiming_the_next_messages_uses_the_queued_index(conn: sqlite3.Connection) -> None:
    q = Query(postgres=False)
    sql = _claim_statement(q, None, 0.0, limit=100, owner=None, unheld=(), default_route=None)
    assert "ix_messages_queued" in _plan(conn, sql, q.params)


def test_recovery_uses_the_sending_index(conn: sqlite3.Connection) -> None:
    statement = (  # QueueStore.recover
        update(s.messages)
        .where(s.messages.c.status == Status.SENDING.value)
        .values(status=Status.QUEUED.value, updated_at=0.0)
    )
    assert "USING INDEX ix_messages_sending" in _plan(conn, *_compiled(statement))
