"""Opt-out imports from the console, run in the background with their progress.

A browser uploads the file; the console saves it to a temporary file and starts a job here,
then shows the job's page, which asks for the progress every second until the import is done
(htmx). The import itself is the opt-out service's (one transaction: all good rows or none).
Jobs live in this process's memory, are seen only by the user who started them, and are
forgotten `CONSOLE_IMPORT_JOBS_KEPT` jobs later; a job still running at shutdown is cancelled,
and its transaction rolls back.
"""

import asyncio
import contextlib
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from smsgate.constants import CONSOLE_IMPORT_BAD_ROWS_SHOWN, CONSOLE_IMPORT_JOBS_KEPT
from smsgate.domain.console import Viewer
from smsgate.domain.optout_csv import csv_rows
from smsgate.services.errors import NotFound
from smsgate.services.optouts import Imported

Rows = Iterable[tuple[int, str, str]]
Importer = Callable[[Viewer, str, Rows, Callable[[int, str], None]], Awaitable[Imported]]


@dataclass
class ImportJob:
    """One import: its file, how far it got, and its result or error when done."""

    id: str
    owner: tuple[int, int | None]  # the user's (id, realm id): operators and users apart
    realm: str
    filename: str
    size: int  # bytes
    read: int = 0  # characters read so far (~bytes: a progress figure)
    result: Imported | None = None
    error: str | None = None
    bad: list[str] = field(default_factory=list)  # the first bad rows, by line
    task: "asyncio.Task[None] | None" = None

    @property
    def done(self) -> bool:
        return self.result is not None or self.error is not None

    @property
    def percent(self) -> int:
        return 100 if self.done else min(99, self.read * 100 // max(self.size, 1))


def _owner(viewer: Viewer) -> tuple[int, int | None]:
    return viewer.user.id, viewer.user.realm_id


class ConsoleImports:
    """Starts imports and tells their progress."""

    def __init__(self, importer: Importer) -> None:
        self._import = importer
        self._jobs: OrderedDict[str, ImportJob] = OrderedDict()

    def start(self, viewer: Viewer, realm: str, path: Path, filename: str) -> ImportJob:
        """Import the CSV file at `path` (deleted when the job ends) into `realm`."""
        job = ImportJob(
            id=secrets.token_urlsafe(12),
            owner=_owner(viewer),
            realm=realm,
            filename=filename,
            size=path.stat().st_size,
        )
        job.task = asyncio.create_task(self._run(job, viewer, path), name=f"import {job.id}")
        self._jobs[job.id] = job
        while len(self._jobs) > CONSOLE_IMPORT_JOBS_KEPT:
            oldest = next(iter(self._jobs.values()))
            if not oldest.done:
                break
            self._jobs.popitem(last=False)
        return job

    def get(self, viewer: Viewer, job_id: str) -> ImportJob:
        """The viewer's job; NotFound for anyone else's, as for none."""
        job = self._jobs.get(job_id)
        if job is None or job.owner != _owner(viewer):
            raise NotFound(f"import {job_id} not found")
        return job

    async def stop(self) -> None:
        tasks = [j.task for j in self._jobs.values() if j.task is not None and not j.task.done()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self, job: ImportJob, viewer: Viewer, path: Path) -> None:
        def report(line: int, reason: str) -> None:
            if len(job.bad) < CONSOLE_IMPORT_BAD_ROWS_SHOWN:
                job.bad.append(f"line {line}: {reason}")

        def lines(text: Iterable[str]) -> Iterator[str]:
            for line in text:
                job.read += len(line)
                yield line

        try:
            with path.open(newline="", encoding="utf-8-sig", errors="replace") as text:
                job.result = await self._import(viewer, job.realm, csv_rows(lines(text)), report)
        except asyncio.CancelledError:
            job.error = "cancelled: the gateway stopped"
            raise
        except Exception as exc:  # shown on the job's page; nothing was imported
            job.error = str(exc) or type(exc).__name__
        finally:
            await asyncio.to_thread(path.unlink, missing_ok=True)
