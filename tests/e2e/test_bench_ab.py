"""`bench.ab`: the order of its runs, its pair ratios, and one smoke pair end to end."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bench.ab import order, pair_ratios, summarise

from tests.support.waiting import scaled

REPO = Path(__file__).resolve().parents[2]


def test_every_side_goes_first_in_half_of_the_pairs() -> None:
    assert order(4) == "ABBAABBA"
    assert order(1) == "AB"


def test_ratios_are_b_over_a_within_each_pair_whatever_its_order() -> None:
    runs = [
        {"side": "A", "e2e_msg_s": 100.0, "cpu_us_per_msg": 10.0, "p99_ms": 4.0},
        {"side": "B", "e2e_msg_s": 110.0, "cpu_us_per_msg": 9.0, "p99_ms": 4.0},
        {"side": "B", "e2e_msg_s": 90.0, "cpu_us_per_msg": 12.0, "p99_ms": 6.0},
        {"side": "A", "e2e_msg_s": 60.0, "cpu_us_per_msg": 15.0, "p99_ms": 3.0},
    ]
    assert pair_ratios(runs, "e2e_msg_s") == [1.1, 1.5]
    summary = summarise(runs)["e2e_msg_s"]
    assert summary["a_median"] == 80.0 and summary["b_median"] == 100.0
    assert (summary["ratio_min"], summary["ratio_max"]) == (1.1, 1.5)
    assert summary["ratio_median"] == pytest.approx(1.3)


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
