"""The rows of an opt-out CSV file, as `smsgate optout import` and the console read them.

Each row is a phone and optionally a sender code (the file `optout export` writes is accepted
as it is: its further cells are ignored). Blank rows are skipped, and so is a first row without
a digit in its first cell: a header. Cells are stripped; validating them is the opt-out
service's job (services/optouts.py).
"""

import csv
from collections.abc import Iterable, Iterator


def csv_rows(lines: Iterable[str]) -> Iterator[tuple[int, str, str]]:
    """(line number, phone, sender code or "") for each data row of the CSV text `lines`."""
    reader = csv.reader(lines)
    for row in reader:
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if reader.line_num == 1 and not any(c.isdigit() for c in cells[0]):
            continue  # a header
        yield reader.line_num, cells[0], cells[1] if len(cells) > 1 else ""
