"""Plain SQL for the hot transactions (group commit, claims, status writes; `hot_writer.py`).

SQLAlchemy Core compiles an `IN (...)` over a list anew for every distinct list length, and
its execution context costs more per statement than the statement itself when a batch is
small. On the accept and delivery paths, where a batch runs several statements thousands of
times a second, we hand plain SQL to the driver instead. This small builder hides the two
placeholder styles: `?` (SQLite) and `$n` (asyncpg), and turns a list into `IN (?, ?, ...)`
on SQLite and `= ANY($n)` (one array parameter) on PostgreSQL.
"""

from collections.abc import Iterable
from typing import Any


class Query:
    """Collects positional parameters while a statement is written."""

    def __init__(self, postgres: bool) -> None:
        self.postgres = postgres
        self.params: list[Any] = []

    def param(self, value: Any) -> str:
        self.params.append(value)
        return f"${len(self.params)}" if self.postgres else "?"

    def in_(self, values: Iterable[Any]) -> str:
        """`IN (...)` over `values` (which must not be empty)."""
        values = list(values)
        if self.postgres:
            return f"= ANY({self.param(values)})"
        self.params.extend(values)
        return f"IN ({','.join('?' * len(values))})"


def row_placeholders(postgres: bool, columns: int) -> str:
    """`(?, ?, ...)` or `($1, $2, ...)` for an executemany over rows of `columns` values."""
    if postgres:
        return "(" + ", ".join(f"${i}" for i in range(1, columns + 1)) + ")"
    return "(" + ", ".join("?" * columns) + ")"


def positional(postgres: bool, template: str) -> str:
    """Fill the `{}` slots of `template` with positional placeholders, in order."""
    slots = template.count("{}")
    if postgres:
        return template.format(*(f"${i}" for i in range(1, slots + 1)))
    return template.format(*("?" * slots))
