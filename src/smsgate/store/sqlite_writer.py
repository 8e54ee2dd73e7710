"""The SQLite write thread: every hot transaction that is waiting, in one commit.

SQLite has one writer at a time, and each commit with `synchronous=FULL` costs an fsync and a
trip through the GIL back to the event loop. Accepts, claims and status writes come from three
independent batchers, so under load there is nearly always more than one of them waiting. This
thread takes every job that is waiting (up to `SQLITE_MAX_JOBS_PER_COMMIT`) and runs them in
ONE `BEGIN IMMEDIATE ... COMMIT`, each job inside its own SAVEPOINT:

- a job that raises is rolled back to its savepoint and only its caller gets the exception;
  the jobs before and after it still commit;
- nobody hears a result before the COMMIT has returned (the WAL is on disk), so a job's
  result means exactly what it meant as a transaction of its own;
- if the COMMIT itself fails, every job of the round gets that exception;
- the results of a round go back to the event loop in one `call_soon_threadsafe`.

Written by hand because no library does this: aiosqlite runs statements one at a time on a
thread per connection, with one loop wake-up per statement, which is what this replaces.
"""

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from smsgate.constants import (
    SQLITE_BUSY_TIMEOUT_MS,
    SQLITE_CACHED_STATEMENTS,
    SQLITE_MAX_JOBS_PER_COMMIT,
)

T = TypeVar("T")

_Job = tuple[Callable[[sqlite3.Connection], Any], "asyncio.Future[Any]"]
_Outcome = tuple["asyncio.Future[Any]", bool, Any]  # (future, succeeded, value or exception)
_STOP = None


class SqliteWriteThread:
    """Runs `fn(connection)` jobs in coalesced transactions; see the module docstring."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn` inside a committed transaction and return its result (or raise)."""
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

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self._path,
            isolation_level=None,
            check_same_thread=False,
            timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
            cached_statements=SQLITE_CACHED_STATEMENTS,
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    def _main(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while True:
                first = self._jobs.get()
                if first is _STOP:
                    return
                jobs = [first]
                stop = False
                while len(jobs) < SQLITE_MAX_JOBS_PER_COMMIT:
                    try:
                        job = self._jobs.get_nowait()
                    except queue.Empty:
                        break
                    if job is _STOP:
                        stop = True
                        break
                    jobs.append(job)
                if conn is None:
                    try:
                        conn = self._connect()
                    except Exception as exc:  # e.g. the disk is gone: fail them, try again later
                        _post([(future, False, exc) for _, future in jobs])
                        continue
                _post(_round(conn, jobs))
                if stop:
                    return
        finally:
            if conn is not None:
                conn.close()


def _round(conn: sqlite3.Connection, jobs: list[_Job]) -> list[_Outcome]:
    try:
        return _transaction(conn, jobs)
    except Exception as exc:  # BEGIN, a savepoint or COMMIT failed: nothing is stored
        with contextlib.suppress(sqlite3.Error):
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        return [(future, False, exc) for _, future in jobs]


def _post(outcomes: list[_Outcome]) -> None:
    """Hand the outcomes to their event loops, one call per loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
    for outcome in outcomes:
        by_loop.setdefault(outcome[0].get_loop(), []).append(outcome)
    for loop, results in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            loop.call_soon_threadsafe(_deliver, results)


def _transaction(conn: sqlite3.Connection, jobs: list[_Job]) -> list[_Outcome]:
    outcomes: list[_Outcome] = []
    conn.execute("BEGIN IMMEDIATE")
    for fn, future in jobs:
        conn.execute("SAVEPOINT job")
        try:
            value = fn(conn)
        except Exception as exc:  # this job only; the others still commit
            conn.execute("ROLLBACK TO job")
            conn.execute("RELEASE job")
            outcomes.append((future, False, exc))
            continue
        conn.execute("RELEASE job")
        outcomes.append((future, True, value))
    conn.execute("COMMIT")
    return outcomes


def _deliver(results: list[_Outcome]) -> None:
    for future, ok, value in results:
        if future.done():  # the caller was cancelled; the work is committed regardless
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
