"""The benchmark harness in smoke mode: 300 requests, wrk -> smsgate serve -> SMSC sink.

Runs `python -m bench.run --smoke` as a subprocess and checks its JSON: every SUCCESS reached
the sink exactly once. Needs `wrk` (Debian package; scripts/test installs it).
"""

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SMOKE_REQUESTS = 300
TIMEOUT = 90  # seconds; the smoke run takes about 10


@pytest.mark.slow
def test_bench_smoke_delivers_every_success(tmp_path: Path) -> None:
    if shutil.which("wrk") is None:
        pytest.fail(
            "wrk is not installed: `apt-get install wrk` (scripts/test installs it)", pytrace=False
        )
    result = tmp_path / "smoke.json"
    cmd = [
        sys.executable,
        "-m",
        "bench.run",
        "--smoke",
        "--json",
        str(result),
        "--tmp-root",
        str(tmp_path),
    ]
    with subprocess.Popen(
        cmd,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    ) as proc:
        try:
            output, _ = proc.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGTERM)  # bench.run stops everything it started
            output, _ = proc.communicate(timeout=30)
            pytest.fail(f"bench.run --smoke took over {TIMEOUT} s:\n{output}", pytrace=False)
    assert proc.returncode == 0, output

    data = json.loads(result.read_text())
    assert data["problems"] == []
    (run,) = data["smsgate"]["runs"]
    assert run["ok"] == SMOKE_REQUESTS, output
    assert run["ok"] == run["sink_submits"] == run["distinct_submits"], output
    assert run["lost"] == 0
    assert run["errors"] == 0
    assert run["drained"] is True
    assert run["e2e_msg_s"] > 0
