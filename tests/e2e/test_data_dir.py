"""A data directory the gateway cannot use: one `error:` line naming the directory and the
problem, exit status 1, no traceback, from every command that opens the database."""

import asyncio
from pathlib import Path

import pytest

from tests.e2e.support import Cli, free_port
from tests.filesystems import MountTmpfs

# Every command that opens the database (they share one path: `store.database`).
OPENS_THE_DATABASE: list[tuple[str, ...]] = [
    ("serve", "--port", str(free_port())),
    ("serve", "--api-workers", "1", "--port", str(free_port())),
    ("serve", "--workers", "2", "--no-dispatch", "--port", str(free_port())),
    ("dispatch",),
    ("db", "upgrade"),
    ("realm", "list"),
    ("sender", "list", "acme"),
    ("optout", "list", "acme"),
    ("messages", "list", "acme"),
]


async def check_every_command(
    data_dir: Path, expected: str, commands: list[tuple[str, ...]], subtests: pytest.Subtests
) -> None:
    cli = Cli(data_dir)
    results = await asyncio.gather(*(cli(*args) for args in commands))
    for args, result in zip(commands, results, strict=True):
        with subtests.test(" ".join(args)):
            assert result.stderr == f"error: {expected}\n"
            assert result.returncode == 1
            assert result.stdout == ""


async def test_a_data_directory_that_cannot_be_created(
    tmp_path: Path, subtests: pytest.Subtests
) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a directory")
    data_dir = a_file / "data"
    expected = f"cannot create the data directory {data_dir}: Not a directory"
    await check_every_command(data_dir, expected, OPENS_THE_DATABASE, subtests)


async def test_a_read_only_data_directory(
    mount_tmpfs: MountTmpfs, subtests: pytest.Subtests
) -> None:
    """Root ignores permission bits, so "read-only" is a read-only mount, as in production."""
    data_dir = mount_tmpfs("ro", size="1m", read_only=True)
    expected = f"the data directory {data_dir} is not writable: Read-only file system"
    await check_every_command(
        data_dir, expected, [OPENS_THE_DATABASE[0], ("realm", "list")], subtests
    )
    below = data_dir / "smsgate"  # to be created on a read-only filesystem
    expected = f"cannot create the data directory {below}: Read-only file system"
    await check_every_command(
        below, expected, [("serve", "--port", str(free_port())), ("db", "upgrade")], subtests
    )
