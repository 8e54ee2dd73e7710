"""`smsgate optout import`: opt-outs from a CSV file, streamed, in one transaction.

Each row is a phone (written in any way the gateway accepts: national, with the country code,
"+", "00" or "011") and optionally a sender code of the realm (the file `optout export` writes
is accepted as it is). A first row without a digit in its first cell is a header.

Every good row is imported and every bad one reported (`FILE:LINE: reason`), so one typo does
not hold back a file of a million opt-outs; the caller exits non-zero when a row was bad. The
file is read row by row and written `CHUNK_ROWS` at a time inside one transaction, so memory
stays flat whatever the size, and either all good rows are committed or none. A progress bar
shows on a terminal for large files.
"""

import csv
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TextIO

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from smsgate.cli.common import CliError, Stores
from smsgate.domain.sender_code import lookup_spellings
from smsgate.store.optouts import REALM_WIDE

CHUNK_ROWS: Final = 1000  # rows per INSERT (7 columns: far below either database's limits)
PROGRESS_MIN_BYTES: Final = 1 << 20  # smaller files import in about a second: no bar
PROGRESS_EVERY_LINES: Final = 4096  # lines between updates of the bar
MAX_REMEMBERED_CODES: Final = 1024  # sender code spellings resolved once each (bounded)


@dataclass
class Imported:
    added: int = 0
    present: int = 0
    bad: int = 0


class _Codes:
    """Resolves a row's sender code cell to one of the realm's codes, remembering answers."""

    def __init__(self, stores: Stores, realm: str, codes: set[str]) -> None:
        self._region = stores.region
        self._realm = realm
        self._codes = codes
        self._known: dict[str, str | None] = {}

    def resolve(self, cell: str) -> str:
        if not cell:
            return REALM_WIDE
        if cell not in self._known:
            if len(self._known) >= MAX_REMEMBERED_CODES:
                self._known.clear()
            spellings = lookup_spellings(cell, self._region)
            self._known[cell] = next((c for c in spellings if c in self._codes), None)
        found = self._known[cell]
        if found is None:
            raise CliError(f"sender code {cell} not found in realm {self._realm}")
        return found


async def import_file(stores: Stores, realm: str, path: Path) -> Imported:
    """Import `path` into `realm`'s opt-outs; bad rows are reported on standard error."""
    realm_id = await stores.realms.realm_id(realm)
    codes = _Codes(stores, realm, {s.code for s in await stores.realms.list_senders(realm)})
    handle, size = _open(path)
    result = Imported()
    chunk: list[tuple[str, str]] = []
    with handle, _progress(size) as (report, advance):
        async with stores.db.writer.begin() as conn:

            async def flush() -> None:
                added = await stores.optouts.add_many(conn, realm_id, chunk, source="import")
                result.added += added
                result.present += len(chunk) - added
                chunk.clear()

            reader = csv.reader(_counted(handle, advance))
            for row in reader:
                cells = [cell.strip() for cell in row]
                if not any(cells):
                    continue
                if reader.line_num == 1 and not any(c.isdigit() for c in cells[0]):
                    continue  # a header
                try:
                    code = codes.resolve(cells[1] if len(cells) > 1 else "")
                    chunk.append((stores.phone(cells[0]), code))
                except CliError as exc:
                    result.bad += 1
                    report(f"{path}:{reader.line_num}: {exc}")
                    continue
                if len(chunk) >= CHUNK_ROWS:
                    await flush()
            await flush()
    return result


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
