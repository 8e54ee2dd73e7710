"""`store.routing.route_sql` equals `domain.routing.route`, on SQLite and on PostgreSQL.

Hypothesis draws sender-code tables (connections missing, empty, blank or named), the
message's sender code (in the table or not) and the default connection (None, empty or
named); SQL's '' for "no route" is the rule's None.
"""

import asyncio
import sqlite3
from collections.abc import Callable, Iterator

import asyncpg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate.domain.model import SenderCode
from smsgate.domain.routing import route
from smsgate.store.rawsql import Query
from smsgate.store.routing import route_sql
from tests.conftest import fresh_postgres_database

_NAMES = st.one_of(st.none(), st.sampled_from(["", " ", "a", "b", "link-1"]))
_CODES = st.sampled_from(["12345", "ACME", "55501"])
_TABLE = "CREATE TEMP TABLE sender_codes (code TEXT PRIMARY KEY, connection TEXT)"

# (sender code rows, the message's sender code, default) -> the SQL route
Evaluate = Callable[[dict[str, str | None], str, str | None], str]


def _expected(rows: dict[str, str | None], code: str, default: str | None) -> str | None:
    sender = SenderCode(1, code, rows[code], None) if code in rows else None
    return route(sender, default)


def _check(evaluate: Evaluate) -> Callable[..., None]:
    @settings(max_examples=150, deadline=None)
    @given(rows=st.dictionaries(_CODES, _NAMES, max_size=3), code=_CODES, default=_NAMES)
    def check(rows: dict[str, str | None], code: str, default: str | None) -> None:
        assert (evaluate(rows, code, default) or None) == _expected(rows, code, default)

    return check


def test_sqlite_route_is_the_domain_rule() -> None:
    db = sqlite3.connect(":memory:")
    db.execute(_TABLE)

    def evaluate(rows: dict[str, str | None], code: str, default: str | None) -> str:
        q = Query(postgres=False)
        expression = route_sql(q, "m.sender_code", default)
        with db:
            db.execute("DELETE FROM sender_codes")
            db.executemany("INSERT INTO sender_codes VALUES (?, ?)", list(rows.items()))
        sql = f"SELECT {expression} FROM (SELECT ? AS sender_code) m"
        result: str = db.execute(sql, [*q.params, code]).fetchone()[0]
        return result

    try:
        _check(evaluate)()
    finally:
        db.close()


@pytest.fixture
def postgres() -> Iterator[tuple[asyncio.Runner, asyncpg.Connection]]:
    """A connection to a fresh PostgreSQL database, driven by a loop of the test's own (the
    hypothesis examples run synchronously)."""
    with asyncio.Runner() as runner:
        database = fresh_postgres_database()
        url = runner.run(database.__aenter__())
        try:
            dsn = url.replace("postgresql+asyncpg://", "postgresql://")
            conn = runner.run(asyncpg.connect(dsn))
            try:
                runner.run(conn.execute(_TABLE))
                yield runner, conn
            finally:
                runner.run(conn.close())
        finally:
            runner.run(database.__aexit__(None, None, None))


@pytest.mark.postgres
def test_postgres_route_is_the_domain_rule(
    postgres: tuple[asyncio.Runner, asyncpg.Connection],
) -> None:
    runner, conn = postgres

    async def run(rows: dict[str, str | None], code: str, default: str | None) -> str:
        q = Query(postgres=True)
        expression = route_sql(q, "m.sender_code", default)
        async with conn.transaction():
            await conn.execute("DELETE FROM sender_codes")
            await conn.executemany("INSERT INTO sender_codes VALUES ($1, $2)", list(rows.items()))
            sql = f"SELECT {expression} FROM (SELECT ${len(q.params) + 1}::text AS sender_code) m"
            result: str = await conn.fetchval(sql, *q.params, code)
            return result

    _check(lambda rows, code, default: runner.run(run(rows, code, default)))()
