"""Background opt-out imports: progress, result, owner-only, cancelled at shutdown."""

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from smsgate.domain.console import ConsoleUser, Viewer
from smsgate.services.console_imports import ConsoleImports, Rows
from smsgate.services.errors import NotFound
from smsgate.services.optouts import Imported

ANN = Viewer(ConsoleUser(7, "ann", 1, "north", 0.0), csrf="t")
BOB = Viewer(ConsoleUser(7, "bob", None, None, 0.0), csrf="t")  # same id: an operator


class Importer:
    """Reads every row, then waits for `release` before answering."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.waiting = asyncio.Event()
        self.rows: list[tuple[int, str, str]] = []

    async def __call__(
        self, viewer: Viewer, realm: str, rows: Rows, report: Callable[[int, str], None]
    ) -> Imported:
        self.rows = list(rows)
        report(3, "bad phone")
        self.waiting.set()
        await self.release.wait()
        return Imported(added=len(self.rows) - 1, present=0, bad=1)


def _file(tmp_path: Path) -> Path:
    path = tmp_path / "upload.csv"
    path.write_text("phone\n2065550100\nxx\n")
    return path


async def test_progress_then_result(tmp_path: Path) -> None:
    importer = Importer()
    imports = ConsoleImports(importer)
    path = _file(tmp_path)
    size = path.stat().st_size
    job = imports.start(ANN, "north", path, "list.csv")
    assert imports.get(ANN, job.id) is job and not job.done and job.percent < 100
    with pytest.raises(NotFound):
        imports.get(BOB, job.id)
    importer.release.set()
    assert job.task is not None
    await job.task
    assert job.done and job.percent == 100 and job.result == Imported(1, 0, 1)
    assert importer.rows == [(2, "2065550100", ""), (3, "xx", "")]
    assert job.bad == ["line 3: bad phone"]
    assert job.read == size  # ASCII: characters are bytes
    assert not path.exists()  # the saved upload is deleted


async def test_stop_cancels_a_running_import(tmp_path: Path) -> None:
    importer = Importer()
    imports = ConsoleImports(importer)
    path = _file(tmp_path)
    job = imports.start(ANN, "north", path, "list.csv")
    async with asyncio.timeout(10):
        await importer.waiting.wait()  # the job runs, and waits for a release that never comes
    await imports.stop()
    assert job.error == "cancelled: the gateway stopped" and job.done
    assert not path.exists()
