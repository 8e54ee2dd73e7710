"""`domain.routing.route` in SQL, for claims that leave other nodes' connections alone.

tests/integration/store/test_routing.py proves the two equal on SQLite and PostgreSQL.
"""

from smsgate.store.rawsql import Query


def route_sql(q: Query, sender_code: str, default: str | None) -> str:
    """An SQL expression for the route of the sender code in column `sender_code`: the
    connection's name, or '' for no route (`route` says None). NULLIF: a sender code with an
    empty connection takes the default, as in `route`."""
    return (
        "COALESCE(NULLIF((SELECT sc.connection FROM sender_codes sc "
        f"WHERE sc.code = {sender_code}), ''), {q.param(default or '')})"
    )
