"""The multi-row INSERT of the SQLite Tx: a batch of one row takes a statement made once."""

from hypothesis import given
from hypothesis import strategies as st

from smsgate.store.rawsql import row_placeholders
from smsgate.store.transactions import _insert_sql

HEADS = st.sampled_from(["INSERT INTO t (a)", "INSERT INTO messages (id, realm_id, phone)"])
TAILS = st.sampled_from(["", "ON CONFLICT (a) DO NOTHING"])


@given(HEADS, TAILS, st.integers(1, 12), st.integers(1, 5))
def test_every_batch_gets_the_statement_built_for_it(
    head: str, tail: str, columns: int, rows: int
) -> None:
    values = ", ".join([row_placeholders(False, columns)] * rows)
    for _ in range(2):  # made, then kept
        assert _insert_sql(head, tail, columns, rows) == f"{head} VALUES {values} {tail}"
