"""Real filesystems for fault tests: a small or read-only tmpfs mounted inside tmp_path.

A full disk and a read-only data directory are faults of the real kernel, not of a fake: the
gateway sees the same ENOSPC (SQLITE_FULL) and EROFS it would see in production. Mounting needs
root (CAP_SYS_ADMIN), which `scripts/test` has. Where mounting is refused the tests FAIL, so a
missing capability is never mistaken for a passing suite, unless `SMSGATE_TEST_NO_MOUNT=1`
says to skip them (as `SMSGATE_TEST_NO_POSTGRES` does for PostgreSQL).
"""

import errno
import os
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

NO_MOUNT_ENV = "SMSGATE_TEST_NO_MOUNT"
_CHUNK = bytes(64 * 1024)


@contextmanager
def tmpfs(path: Path, *, size: str = "4m", read_only: bool = False) -> Iterator[Path]:
    """A tmpfs of `size` mounted on `path` (created), unmounted afterwards."""
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size},mode=0755" + (",ro" if read_only else "")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "smsgate-test", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        reason = f"cannot mount a tmpfs ({mounted.stderr.strip()})"
        if os.environ.get(NO_MOUNT_ENV) == "1":
            pytest.skip(f"{reason}; {NO_MOUNT_ENV}=1")
        pytest.fail(f"{reason}: run as root, or set {NO_MOUNT_ENV}=1 to skip", pytrace=False)
    try:
        yield path
    finally:  # lazy: a process the test started may still hold a file open
        subprocess.run(["umount", "--lazy", str(path)], check=True)


MountTmpfs = Callable[..., Path]


def fill(directory: Path) -> Path:
    """Write a file in `directory` until its filesystem is full; delete it to free the space."""
    filler = directory / "filler"
    with filler.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(_CHUNK)  # a short write first, then ENOSPC
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
    return filler
