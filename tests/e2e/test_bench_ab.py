"""`bench.ab` end to end: a clear error for an unknown ref, and one smoke pair (its pure parts:
tests/unit/bench/test_ab.py)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.waiting import scaled

REPO = Path(__file__).resolve().parents[2]


def test_an_unknown_ref_is_a_clear_error() -> None:
    command = [sys.executable, "-m", "bench.ab", "no-such-ref-xyz", "--pairs", "1"]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    assert done.stderr.strip() == "error: 'no-such-ref-xyz' is not a commit of this repository"


@pytest.mark.slow
def test_one_smoke_pair_of_head_against_the_working_tree(tmp_path: Path) -> None:
    if shutil.which("wrk") is None:
        pytest.fail("wrk is not installed (scripts/test installs it)", pytrace=False)
    out = tmp_path / "ab.json"
    command = [sys.executable, "-m", "bench.ab", "HEAD", "--pairs", "1", "--json", str(out)]
    done = subprocess.run(
        [*command, "--smoke", "--tmp-root", str(tmp_path)],
        cwd=REPO,
        env={**os.environ, "TMPDIR": str(tmp_path)},  # A's checkout: ours, not another run's
        capture_output=True,
        text=True,
        timeout=scaled(180),
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    data = json.loads(out.read_text())
    assert [run["side"] for run in data["runs"]] == ["A", "B"]
    assert all(run["e2e_msg_s"] > 0 for run in data["runs"])
    assert data["summary"]["e2e_msg_s"]["ratio_median"] > 0
    worktrees = subprocess.run(
        ["git", "worktree", "list"], cwd=REPO, capture_output=True, text=True
    ).stdout
    assert str(tmp_path) not in worktrees  # the checkout of A was removed
