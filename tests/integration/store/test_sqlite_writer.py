"""The SQLite write thread: jobs that wait together commit together, each in its own savepoint,
and hear their results only once the syncer has synced the WAL behind the writer.

To put several jobs in one round deterministically, the first job blocks the thread until the
others are queued (`Gate`); the thread then takes all of them at once. To see what happens
while the WAL is synced, `Sync` stands in for `os.fdatasync` and can hold the syncer.
"""

import asyncio
import errno
import os
import sqlite3
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

from smsgate.store.sqlite_writer import SqliteWriteThread


@pytest.fixture
async def writer(tmp_path: Path) -> AsyncIterator[tuple[SqliteWriteThread, Path]]:
    path = tmp_path / "w.db"
    thread = SqliteWriteThread(str(path))
    await thread.run(lambda c: c.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
    await thread.run(
        lambda c: c.execute(
            "CREATE TABLE t (x INTEGER PRIMARY KEY, "
            "parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)"
        )
    )
    try:
        yield thread, path
    finally:
        await thread.close()


def rows(path: Path) -> list[int]:
    conn = sqlite3.connect(path)
    try:
        return [x for (x,) in conn.execute("SELECT x FROM t ORDER BY x")]
    finally:
        conn.close()


class Gate:
    """A job that holds the write thread until `open()`, and reports the round it ran in."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self._release = threading.Event()

    def __call__(self, conn: sqlite3.Connection) -> int:
        self.entered.set()
        self._release.wait(10)
        return 0

    def open(self) -> None:
        self._release.set()


async def in_one_round(
    thread: SqliteWriteThread, jobs: list[Callable[[sqlite3.Connection], Any]]
) -> list[Any]:
    """Run `jobs` in the same round (after a gate job); results or exceptions, in order."""
    gate = Gate()
    first = asyncio.ensure_future(thread.run(gate))
    await asyncio.to_thread(gate.entered.wait, 10)
    waiting: list[Awaitable[Any]] = [asyncio.ensure_future(thread.run(job)) for job in jobs]
    await asyncio.sleep(0)  # the jobs are queued before the gate opens
    gate.open()
    await first
    return list(await asyncio.gather(*waiting, return_exceptions=True))


def insert(x: int) -> Callable[[sqlite3.Connection], int]:
    return lambda c: c.execute("INSERT INTO t (x) VALUES (?)", (x,)).rowcount


async def test_a_failing_job_rolls_back_alone(writer: tuple[SqliteWriteThread, Path]) -> None:
    thread, path = writer

    def half_then_clash(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO t (x) VALUES (20)")
        conn.execute("INSERT INTO t (x) VALUES (1)")  # clashes with the first job's row

    results = await in_one_round(thread, [insert(1), half_then_clash, insert(3)])
    assert results[0] == 1 and results[2] == 1
    assert isinstance(results[1], sqlite3.IntegrityError)
    assert rows(path) == [1, 3]  # not 20: the failed job left nothing behind


async def test_a_failed_commit_fails_every_job_of_the_round(
    writer: tuple[SqliteWriteThread, Path],
) -> None:
    """A deferred foreign key is checked at COMMIT: the round's jobs all succeeded up to
    there, yet none of them may report success, and none of their rows is stored."""
    thread, path = writer

    def orphan(conn: sqlite3.Connection) -> int:
        return conn.execute("INSERT INTO t (x, parent) VALUES (7, 99)").rowcount

    results = await in_one_round(thread, [insert(5), orphan, insert(6)])
    assert all(isinstance(r, sqlite3.IntegrityError) for r in results), results
    assert rows(path) == []
    assert await thread.run(insert(8)) == 1  # the connection is usable afterwards
    assert rows(path) == [8]


async def test_a_result_means_committed(writer: tuple[SqliteWriteThread, Path]) -> None:
    """When a job's result arrives, another connection already sees its writes."""
    thread, path = writer
    for x in range(1, 21):
        assert await thread.run(insert(x)) == 1
        assert rows(path)[-1] == x


async def test_jobs_of_a_round_share_one_transaction(
    writer: tuple[SqliteWriteThread, Path],
) -> None:
    """No commit between the jobs of a round: another connection sees none of their rows
    while they run, and all of them once the results are in."""
    thread, path = writer
    seen_outside: list[int] = []

    def job(x: int) -> Callable[[sqlite3.Connection], None]:
        def run(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT INTO t (x) VALUES (?)", (x,))
            seen_outside.append(len(rows(path)))

        return run

    results = await in_one_round(thread, [job(x) for x in range(10)])
    assert results == [None] * 10
    assert seen_outside == [0] * 10
    assert rows(path) == list(range(10))


async def test_close_finishes_what_was_queued(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    thread = SqliteWriteThread(str(path))
    await thread.run(lambda c: c.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)"))
    pending = [asyncio.ensure_future(thread.run(insert(x))) for x in range(5)]
    await asyncio.sleep(0)
    await thread.close()
    assert await asyncio.gather(*pending) == [1] * 5
    assert rows(path) == list(range(5))
    await thread.close()  # twice is harmless


async def test_a_job_that_breaks_the_transaction_fails_its_round_not_the_thread(
    writer: tuple[SqliteWriteThread, Path],
) -> None:
    """A job ending the transaction itself (a bug) fails its round; the thread goes on."""
    thread, path = writer
    results = await in_one_round(thread, [insert(1), lambda c: c.execute("COMMIT"), insert(2)])
    assert all(isinstance(r, sqlite3.Error) for r in results), results
    assert await thread.run(insert(3)) == 1
    assert 3 in rows(path)


async def test_a_database_that_cannot_be_opened_fails_each_job_and_is_retried(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "not-yet"  # SQLite cannot create a file in a missing directory
    thread = SqliteWriteThread(str(missing / "w.db"))
    try:
        with pytest.raises(sqlite3.OperationalError):
            await thread.run(lambda c: c.execute("SELECT 1").fetchone())
        missing.mkdir()
        assert await thread.run(lambda c: c.execute("SELECT 1").fetchone()) == (1,)
    finally:
        await thread.close()


async def test_a_lone_failing_job_leaves_nothing_behind(
    writer: tuple[SqliteWriteThread, Path],
) -> None:
    """Alone in its round a job runs without a savepoint: its failure rolls back the round."""
    thread, path = writer

    def half_then_fail(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO t (x) VALUES (1)")
        raise ValueError("after a write")

    with pytest.raises(ValueError, match="after a write"):
        await thread.run(half_then_fail)
    assert rows(path) == []
    assert await thread.run(insert(2)) == 1
    assert rows(path) == [2]


class Sync:
    """`os.fdatasync` with a window: records the file it syncs, can hold the syncer until
    `release()` and fail once (`fail_next`); otherwise it really syncs."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.entered = threading.Event()
        self.fail_next: OSError | None = None
        self._go = threading.Event()
        self._go.set()

    def hold(self) -> None:
        self.entered.clear()
        self._go.clear()

    def release(self) -> None:
        self._go.set()

    def __call__(self, fd: int) -> None:
        self.paths.append(os.readlink(f"/proc/self/fd/{fd}"))
        self.entered.set()
        self._go.wait(10)
        if self.fail_next is not None:
            failure, self.fail_next = self.fail_next, None
            raise failure
        os.fdatasync(fd)


def sample(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


def wal_of(path: Path) -> str:
    return os.path.realpath(f"{path}-wal")


@pytest.fixture
async def synced(tmp_path: Path) -> AsyncIterator[tuple[SqliteWriteThread, Path, Sync]]:
    path = tmp_path / "s.db"
    sync = Sync()
    thread = SqliteWriteThread(str(path), sync=sync)
    await thread.run(lambda c: c.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)"))
    try:
        yield thread, path, sync
    finally:
        sync.release()
        await thread.close()


async def test_a_result_waits_for_the_sync_of_the_wal(
    synced: tuple[SqliteWriteThread, Path, Sync],
) -> None:
    """The COMMIT alone is not enough: nobody hears a result until the WAL file is synced."""
    thread, path, sync = synced
    sync.hold()
    pending = asyncio.ensure_future(thread.run(insert(1)))
    await asyncio.to_thread(sync.entered.wait, 10)
    assert rows(path) == [1]  # committed: another connection sees it ...
    assert not pending.done()  # ... but it is not on disk yet, so its caller waits
    syncs = sample("smsgate_sqlite_wal_sync_seconds_count")
    sync.release()
    assert await pending == 1
    assert set(sync.paths) == {wal_of(path)}
    assert sample("smsgate_sqlite_wal_sync_seconds_count") == syncs + 1


async def test_the_next_round_runs_while_the_wal_syncs(
    synced: tuple[SqliteWriteThread, Path, Sync],
) -> None:
    """The writer does not wait for the disk: round two runs while round one is synced, and
    its result too waits for a sync."""
    thread, path, sync = synced
    sync.hold()
    first = asyncio.ensure_future(thread.run(insert(1)))
    await asyncio.to_thread(sync.entered.wait, 10)
    ran = threading.Event()

    def second_job(conn: sqlite3.Connection) -> int:
        ran.set()
        return int(conn.execute("INSERT INTO t (x) VALUES (2)").rowcount)

    second = asyncio.ensure_future(thread.run(second_job))
    assert await asyncio.to_thread(ran.wait, 10)
    assert not first.done() and not second.done()
    sync.release()
    assert await asyncio.gather(first, second) == [1, 1]
    assert rows(path) == [1, 2]


async def test_a_failed_sync_fails_the_jobs_it_covered(
    synced: tuple[SqliteWriteThread, Path, Sync], caplog: pytest.LogCaptureFixture
) -> None:
    """A job whose sync failed hears the error, never success; its row may still be there
    (at-least-once), and the next round syncs and succeeds as usual. The failure is logged and
    counted, for the operator: it means a failing disk."""
    thread, path, sync = synced
    failures = sample("smsgate_sqlite_wal_sync_failures_total")
    sync.fail_next = OSError(errno.EIO, "Input/output error")
    with pytest.raises(OSError, match="Input/output error"):
        await thread.run(insert(1))
    assert await thread.run(insert(2)) == 1
    assert rows(path) == [1, 2]
    assert sample("smsgate_sqlite_wal_sync_failures_total") == failures + 1
    assert [r.levelname for r in caplog.records if "fdatasync" in r.getMessage()] == ["ERROR"]


async def test_the_wal_synced_is_the_live_one_after_outside_checkpoints(
    synced: tuple[SqliteWriteThread, Path, Sync],
) -> None:
    """Another connection truncating the WAL does not replace the file: the descriptor the
    syncer opened once still names the WAL the writer appends to."""
    thread, path, sync = synced
    other = sqlite3.connect(path, isolation_level=None)
    try:
        assert other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
    finally:
        other.close()
    assert await thread.run(insert(1)) == 1
    assert sync.paths[-1] == wal_of(path)  # not "... (deleted)"


async def test_a_database_not_in_wal_mode_commits_with_full_and_no_syncer() -> None:
    sync = Sync()
    thread = SqliteWriteThread(":memory:", sync=sync)
    try:
        assert await thread.run(lambda c: c.execute("PRAGMA synchronous").fetchone()) == (2,)
    finally:
        await thread.close()
    assert sync.paths == []
