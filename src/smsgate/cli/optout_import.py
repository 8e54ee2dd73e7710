"""`smsgate optout import`: opt-outs from a CSV file, streamed, in one transaction.

Each row is a phone (written in any way the gateway accepts: national, with the country code,
"+", "00" or "011") and optionally a sender code of the realm (the file `optout export` writes
is accepted as it is). A first row without a digit in its first cell is a header.

Every good row is imported and every bad one reported (`FILE:LINE: reason`), so one typo does
not hold back a file of a million opt-outs; the caller exits non-zero when a row was bad. The
file is read row by row and written `IMPORT_CHUNK_ROWS` at a time inside one transaction, so memory
stays flat whatever the size, and either all good rows are committed or none (the rules and the
transaction: services/optouts.py; this module reads the file and shows progress). A progress bar
shows on a terminal for large files.
"""

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final, TextIO

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from smsgate.cli.common import CliError
from smsgate.domain.optout_csv import csv_rows
from smsgate.services.optouts import Imported, OptOuts

PROGRESS_MIN_BYTES: Final = 1 << 20  # smaller files import in about a second: no bar
PROGRESS_EVERY_LINES: Final = 4096  # lines between updates of the bar


async def import_file(opt_outs: OptOuts, realm: str, path: Path) -> Imported:
    """Import `path` into `realm`'s opt-outs; bad rows are reported on standard error."""
    handle, size = _open(path)
    with handle, _progress(size) as (report, advance):
        return await opt_outs.import_rows(
            realm,
            csv_rows(_counted(handle, advance)),
            lambda line, reason: report(f"{path}:{line}: {reason}"),
        )


def _open(path: Path) -> tuple[TextIO, int]:
    """The file as text (undecodable bytes become U+FFFD: that row is reported) and its size."""
    try:
        handle = path.open(newline="", encoding="utf-8-sig", errors="replace")
        return handle, os.fstat(handle.fileno()).st_size
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc}") from None


def _counted(lines: TextIO, advance: Callable[[int], None]) -> Iterator[str]:
    """The lines of `lines`, telling `advance` how many characters were read now and then."""
    done = 0
    for number, line in enumerate(lines, start=1):
        done += len(line)
        if number % PROGRESS_EVERY_LINES == 0:
            advance(done)
        yield line
    advance(done)


@contextmanager
def _progress(size: int) -> Iterator[tuple[Callable[[str], None], Callable[[int], None]]]:
    """(report a line on stderr, show how many characters were read) for a file of `size`
    bytes: a progress bar when stderr is a terminal and the file is large, else plain lines."""
    shown = size >= PROGRESS_MIN_BYTES and sys.stderr.isatty()
    bar = Progress(
        TextColumn("importing"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=not shown,
    )
    task = bar.add_task("import", total=max(size, 1))

    def report(line: str) -> None:
        if shown:
            bar.console.print(line, markup=False, highlight=False, soft_wrap=True)
        else:
            print(line, file=sys.stderr)

    def advance(done: int) -> None:
        bar.update(task, completed=done)

    with bar:
        yield report, advance
