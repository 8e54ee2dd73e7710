"""The SMSC sink (`python -m bench.sink`) as the runner sees it: started per run, its
counters read from the JSON file it rewrites every 0.2 s, reset after the warm-up (SIGUSR1)."""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness import REPO
from bench.harness.processes import BenchError, Processes, tail, wait_until

QUIET_AFTER_DRAIN = 0.6  # seconds without a submit_sm (late resends) before a drain is over


@dataclass
class Sink:
    proc: "subprocess.Popen[bytes]"
    port: int
    stats_path: Path

    @classmethod
    def start(cls, procs: Processes, workdir: Path, receipts: bool) -> "Sink":
        stats_path = workdir / "sink.json"
        cmd = [sys.executable, "-m", "bench.sink", "--port", "0", "--stats", str(stats_path)]
        if receipts:
            cmd.append("--receipts")
        proc = procs.start("sink", cmd, log=workdir / "sink.log", cwd=REPO, stdout=subprocess.PIPE)
        assert proc.stdout is not None
        line = proc.stdout.readline().decode().strip()
        proc.stdout.close()
        if not line.startswith("listening "):
            raise BenchError(f"sink did not start: {line!r} {tail(workdir / 'sink.log')}")
        return cls(proc, int(line.split()[1]), stats_path)

    def stats(self) -> dict[str, Any]:
        for _ in range(20):
            try:
                return dict(json.loads(self.stats_path.read_text()))
            except (OSError, ValueError):
                time.sleep(0.01)
        raise BenchError(f"cannot read {self.stats_path}")

    def reset(self) -> None:
        generation = self.stats()["generation"]
        os.kill(self.proc.pid, signal.SIGUSR1)
        wait_until(lambda: self.stats()["generation"] > generation, 5, "sink reset")

    def wait_binds(self, count: int, timeout: float, alive: Callable[[], bool]) -> None:
        wait_until(lambda: self.stats()["binds"] >= count, timeout, "SMPP bind to the sink", alive)

    def wait_drained(
        self, expected: int, timeout: float, alive: Callable[[], bool]
    ) -> tuple[dict[str, Any], bool]:
        """Wait until the sink has `expected` distinct destinations and no submit_sm has
        arrived for QUIET_AFTER_DRAIN s (late resends), or `timeout` s without progress."""
        last, last_change = -1, time.monotonic()
        while True:
            if not alive():
                raise BenchError("the system under test exited during the run")
            stats = self.stats()
            now = time.monotonic()
            if stats["submits"] != last:
                last, last_change = stats["submits"], now
            quiet = now - last_change >= QUIET_AFTER_DRAIN
            if stats["distinct_destinations"] >= expected and quiet:
                return stats, True
            if now - last_change > timeout:
                return stats, False
            time.sleep(0.05)

    def final_stats(self) -> dict[str, Any]:
        """Stop the sink (it writes its counters on exit) and return them."""
        Processes.stop(self.proc)
        return self.stats()
