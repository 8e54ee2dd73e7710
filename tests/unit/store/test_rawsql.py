import sqlite3

from hypothesis import given
from hypothesis import strategies as st

from smsgate.constants import IN_LIST_POWER_OF_TWO_UP_TO, IN_LIST_STEP_ABOVE, SQLITE_IN_LISTS_MADE
from smsgate.store.rawsql import Query, padded_length


@given(st.integers(1, 40_000))
def test_a_padded_length_is_one_of_few_and_never_shorter(count: int) -> None:
    length = padded_length(count)
    assert count <= length
    if count <= IN_LIST_POWER_OF_TWO_UP_TO:
        assert length & (length - 1) == 0  # a power of two
        assert length < 2 * count or count == 1
    else:
        assert length % IN_LIST_STEP_ABOVE == 0
        assert length - count < IN_LIST_STEP_ABOVE


def test_lengths_up_to_a_thousand_share_eleven_statements() -> None:
    assert len({padded_length(n) for n in range(1, 1001)}) == 11


@given(st.sets(st.integers(0, 60), min_size=1, max_size=40))
def test_a_padded_in_list_selects_exactly_the_values(values: set[int]) -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (v INTEGER)")
    conn.executemany("INSERT INTO t VALUES (?)", [(v,) for v in range(50)])
    q = Query(postgres=False)
    sql = f"SELECT v FROM t WHERE v {q.in_(values)} ORDER BY v"
    assert sql.count("?") == padded_length(len(values)) == len(q.params)
    assert [v for (v,) in conn.execute(sql, q.params)] == sorted(v for v in values if v < 50)


def test_an_empty_in_list_matches_nothing() -> None:
    q = Query(postgres=False)
    sql = f"SELECT 1 WHERE 1 {q.in_([])}"
    assert sqlite3.connect(":memory:").execute(sql, q.params).fetchall() == []


def test_postgres_takes_one_array_unpadded() -> None:
    q = Query(postgres=True)
    assert q.in_([3, 1, 2]) == "= ANY($1)"
    assert q.params == [[3, 1, 2]]


def _in_list_as_written(q: Query, values: list[int]) -> str:
    """`Query.in_` on SQLite as it was before the lists made at import: the reference."""
    length = padded_length(len(values)) if values else 0
    q.params.extend(values)
    q.params.extend(values[-1:] * (length - len(values)))
    return f"IN ({','.join('?' * length)})"


@given(st.lists(st.integers(), max_size=1500), st.lists(st.integers(), max_size=3))
def test_the_in_lists_made_at_import_are_those_worked_out_each_time(
    values: list[int], before: list[int]
) -> None:
    made, worked_out = Query(postgres=False), Query(postgres=False)
    made.params, worked_out.params = list(before), list(before)
    assert made.in_(iter(values)) == _in_list_as_written(worked_out, values)
    assert made.params == worked_out.params


def test_every_in_list_made_at_import_is_the_one_worked_out() -> None:
    for count in range(SQLITE_IN_LISTS_MADE + 2):
        made, worked_out = Query(postgres=False), Query(postgres=False)
        values = list(range(count))
        assert made.in_(values) == _in_list_as_written(worked_out, values)
        assert made.params == worked_out.params
