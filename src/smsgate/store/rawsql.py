"""Plain SQL for the hot transactions (group commit, claims, status writes; `transactions.py`).

SQLAlchemy Core compiles an `IN (...)` over a list anew for every distinct list length, and
its execution context costs more per statement than the statement itself when a batch is
small. On the accept and delivery paths, where a batch runs several statements thousands of
times a second, we hand plain SQL to the driver instead. This small builder hides the two
placeholder styles: `?` (SQLite) and `$n` (asyncpg), and turns a list into `IN (?, ?, ...)`
on SQLite and `= ANY($n)` (one array parameter) on PostgreSQL.

On SQLite an `IN` list is padded (with its last value again) to one of a few lengths, so that a
handful of statement texts serve every batch size and stay in the connection's statement cache:
preparing a statement costs more than running it (a 15-row insert: ~240 µs to prepare and run,
~70 µs from the cache), and batch sizes vary from one commit to the next.
"""

from collections.abc import Iterable
from typing import Any, Final

from smsgate.constants import (
    IN_LIST_POWER_OF_TWO_UP_TO,
    IN_LIST_STEP_ABOVE,
    SQLITE_IN_LISTS_MADE,
)


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
        count = len(values)
        known = _SQLITE_IN_LISTS.get(count)
        length, text = known if known is not None else _sqlite_in_list(count)
        params = self.params
        params += values
        if length > count:
            params += values[-1:] * (length - count)
        return text


def padded_length(count: int) -> int:
    """The length an IN list of `count` values is padded to: the next power of two up to
    `IN_LIST_POWER_OF_TWO_UP_TO`, then the next multiple of `IN_LIST_STEP_ABOVE` (so a long
    list grows by less than one step)."""
    if count <= IN_LIST_POWER_OF_TWO_UP_TO:
        return 1 << max(0, count - 1).bit_length()
    return -(-count // IN_LIST_STEP_ABOVE) * IN_LIST_STEP_ABOVE


def _sqlite_in_list(count: int) -> tuple[int, str]:
    """The padded length of an IN list of `count` values on SQLite and its `IN (?,?,...)`."""
    length = padded_length(count) if count else 0
    return length, f"IN ({','.join('?' * length)})"


# The IN lists of the batch sizes that occur thousands of times a second, made once: working
# out the padding and joining the placeholders cost most of `in_` (~8,000 instructions for a
# one-value list, several per status or accept transaction).
_SQLITE_IN_LISTS: Final = {count: _sqlite_in_list(count) for count in range(SQLITE_IN_LISTS_MADE)}


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
