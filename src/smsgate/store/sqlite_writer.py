"""The SQLite write thread: every hot transaction that is waiting, in one commit, synced behind.

SQLite has one writer at a time, and each durable commit costs an fsync and a trip through
the GIL back to the event loop. Accepts, claims and status writes come from three
independent batchers, so under load there is nearly always more than one of them waiting. This
thread takes every job that is waiting (up to `SQLITE_MAX_JOBS_PER_COMMIT`) and runs them in
ONE `BEGIN IMMEDIATE ... COMMIT`, each job inside its own SAVEPOINT (a job alone in its round
needs none: the transaction is its savepoint):

- a job that raises is rolled back to its savepoint and only its caller gets the exception;
  the jobs before and after it still commit;
- if the COMMIT itself fails, every job of the round gets that exception;
- nobody hears a result before the round is on disk, so a job's result means exactly what it
  meant as a transaction of its own;
- the results go back to the event loop in one `call_soon_threadsafe` per loop.

"On disk" is not the COMMIT's own fsync (ADR 0006). The connection commits with
`synchronous=NORMAL`, which in WAL mode appends the round's frames to the WAL without syncing
it (checkpoints still sync, as with FULL). A second thread, the syncer, then runs `fdatasync`
on the WAL file and only after it has returned hands the results out. While it syncs, the
writer already runs the next round, and one fdatasync covers every round committed before it
began: the disk's latency leaves the writer's path. The WAL is appended in order and recovery
keeps its valid prefix, so what a crash keeps is always every round up to some point, and every
round whose results were handed out is in it. A failed fdatasync fails every job it covered
(their rows may still be there after a restart: at-least-once, never a SUCCESS not on disk).
The WAL file keeps its inode while this connection is open (SQLite deletes it only when the
last connection closes), so one descriptor, opened after the first commit, serves. A database
that is not in WAL mode (`:memory:`) commits with FULL and has no syncer.

Written by hand because no library does this: aiosqlite runs statements one at a time on a
thread per connection, with one loop wake-up per statement, and neither it nor the stdlib's
`sqlite3` can sync a commit anywhere but inside it.
"""

import asyncio
import contextlib
import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from smsgate.constants import (
    SQLITE_BUSY_TIMEOUT_MS,
    SQLITE_CACHED_STATEMENTS,
    SQLITE_MAX_JOBS_PER_COMMIT,
)
from smsgate.metrics import SQLITE_SYNC_FAILURES, SQLITE_SYNC_SECONDS

log = logging.getLogger(__name__)
T = TypeVar("T")
X = TypeVar("X")

_Job = tuple[Callable[[sqlite3.Connection], Any], "asyncio.Future[Any]"]
_Outcome = tuple["asyncio.Future[Any]", bool, Any]  # (future, succeeded, value or exception)
_STOP = None


class SqliteWriteThread:
    """Runs `fn(connection)` jobs in coalesced transactions; see the module docstring.

    `sync` is what makes the WAL durable (`os.fdatasync`); tests pass one that records or fails.
    """

    def __init__(self, path: str, *, sync: Callable[[int], None] = os.fdatasync) -> None:
        self._path = path
        self._sync = sync
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn` inside a transaction and return its result (or raise) once it is on disk."""
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._main, name="smsgate-sqlite-writer", daemon=True
                    )
                    self._thread.start()
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._jobs.put((fn, future))
        return await future

    async def close(self) -> None:
        """Finish the jobs already given, then close the connection and end the thread."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._jobs.put(_STOP)
        await asyncio.get_running_loop().run_in_executor(None, thread.join)

    def _connect(self) -> tuple[sqlite3.Connection, bool]:
        """The connection, and whether it is in WAL mode (synced by the syncer)."""
        conn = sqlite3.connect(
            self._path,
            isolation_level=None,
            check_same_thread=False,
            timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
            cached_statements=SQLITE_CACHED_STATEMENTS,
        )
        try:
            wal = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
            conn.execute(f"PRAGMA synchronous={'NORMAL' if wal else 'FULL'}")
            conn.execute("PRAGMA foreign_keys=ON")
        except BaseException:
            conn.close()
            raise
        return conn, wal

    def _main(self) -> None:
        conn: sqlite3.Connection | None = None
        cursor: sqlite3.Cursor | None = None  # BEGIN and COMMIT: not a cursor per statement
        wal = False
        syncer: _Syncer | None = None
        try:
            while True:
                first = self._jobs.get()
                if first is _STOP:
                    return
                jobs, stop = _with_waiting(self._jobs, first, SQLITE_MAX_JOBS_PER_COMMIT)
                if conn is None or cursor is None:
                    try:
                        conn, wal = self._connect()
                    except Exception as exc:  # e.g. the disk is gone: fail them, try again later
                        _post([(future, False, exc) for _, future in jobs])
                        continue
                    cursor = conn.cursor()
                outcomes = _round(conn, cursor, jobs)
                if wal and syncer is None:
                    try:  # the WAL file exists once something was committed to it
                        syncer = _Syncer(os.open(f"{self._path}-wal", os.O_RDONLY), self._sync)
                    except OSError as exc:  # cannot sync: this round is not known to be on disk
                        outcomes = _failed(outcomes, exc)
                if syncer is not None:
                    syncer.put(outcomes)
                else:
                    _post(outcomes)
                if stop:
                    return
        finally:
            if syncer is not None:
                syncer.close()  # every round's results are out before the connection closes
            if conn is not None:
                conn.close()


class _Syncer:
    """fdatasync of the WAL, then the results of every round it covered, on a thread of its own."""

    def __init__(self, fd: int, sync: Callable[[int], None]) -> None:
        self._fd = fd
        self._sync = sync
        self._rounds: queue.SimpleQueue[list[_Outcome] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._main, name="smsgate-sqlite-sync", daemon=True)
        self._thread.start()

    def put(self, outcomes: list[_Outcome]) -> None:
        """The outcomes of a round whose COMMIT has returned: hand them out once synced."""
        self._rounds.put(outcomes)

    def close(self) -> None:
        """Sync and hand out what was put, then end the thread and close the descriptor."""
        self._rounds.put(_STOP)
        self._thread.join()
        os.close(self._fd)

    def _main(self) -> None:
        while True:
            first = self._rounds.get()
            if first is _STOP:
                return
            rounds, stop = _with_waiting(self._rounds, first)
            outcomes = first if len(rounds) == 1 else [o for round_ in rounds for o in round_]
            started = time.perf_counter()
            try:
                self._sync(self._fd)
            except OSError as exc:  # not known to be on disk: nobody may hear success
                SQLITE_SYNC_FAILURES.inc()
                log.error("fdatasync of the WAL failed, %d jobs fail: %s", len(outcomes), exc)
                outcomes = _failed(outcomes, exc)
            else:
                SQLITE_SYNC_SECONDS.observe(time.perf_counter() - started)
            _post(outcomes)
            if stop:
                return


def _with_waiting(
    items: "queue.SimpleQueue[X | None]", first: X, limit: int | None = None
) -> tuple[list[X], bool]:
    """`first` and the items waiting behind it (at most `limit` in all), and whether the stop
    mark was among them. The caller is the queue's only reader: what `empty()` denies is
    there for `get_nowait`, without the `queue.Empty` raised (and caught) every round."""
    taken = [first]
    while (limit is None or len(taken) < limit) and not items.empty():
        item = items.get_nowait()
        if item is _STOP:
            return taken, True
        taken.append(item)
    return taken, False


def _failed(outcomes: list[_Outcome], exc: BaseException) -> list[_Outcome]:
    """`outcomes` with every success turned into `exc` (a failure keeps its own exception)."""
    return [(future, False, exc if ok else value) for future, ok, value in outcomes]


def _round(conn: sqlite3.Connection, cursor: sqlite3.Cursor, jobs: list[_Job]) -> list[_Outcome]:
    try:
        return _transaction(conn, cursor, jobs)
    except Exception as exc:  # BEGIN, a savepoint or COMMIT failed: nothing is stored
        with contextlib.suppress(sqlite3.Error):
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        return [(future, False, exc) for _, future in jobs]


def _post(outcomes: list[_Outcome]) -> None:
    """Hand the outcomes to their event loops, one call per loop (nearly always one: the
    server's, seen without sorting them by loop)."""
    loop = outcomes[0][0].get_loop()
    if len(outcomes) == 1 or all(outcome[0].get_loop() is loop for outcome in outcomes):
        _call(loop, outcomes)
        return
    by_loop: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
    for outcome in outcomes:
        by_loop.setdefault(outcome[0].get_loop(), []).append(outcome)
    for loop, results in by_loop.items():
        _call(loop, results)


def _call(loop: asyncio.AbstractEventLoop, results: list[_Outcome]) -> None:
    with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
        loop.call_soon_threadsafe(_deliver, results)


def _transaction(
    conn: sqlite3.Connection, cursor: sqlite3.Cursor, jobs: list[_Job]
) -> list[_Outcome]:
    """The round's statements run on `cursor` (of `conn`); the jobs get `conn`."""
    cursor.execute("BEGIN IMMEDIATE")
    if len(jobs) == 1:  # alone in its round, the job needs no savepoint: two statements fewer
        fn, future = jobs[0]
        try:
            value = fn(conn)
        except Exception as exc:
            cursor.execute("ROLLBACK")
            return [(future, False, exc)]
        cursor.execute("COMMIT")
        return [(future, True, value)]
    outcomes: list[_Outcome] = []
    for fn, future in jobs:
        cursor.execute("SAVEPOINT job")
        try:
            value = fn(conn)
        except Exception as exc:  # this job only; the others still commit
            cursor.execute("ROLLBACK TO job")
            cursor.execute("RELEASE job")
            outcomes.append((future, False, exc))
            continue
        cursor.execute("RELEASE job")
        outcomes.append((future, True, value))
    cursor.execute("COMMIT")
    return outcomes


def _deliver(results: list[_Outcome]) -> None:
    for future, ok, value in results:
        if future.done():  # the caller was cancelled; the work is committed regardless
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
