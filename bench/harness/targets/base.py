"""What every system under test offers the runner, and the message the load sends."""

import subprocess
from pathlib import Path
from typing import Any

from bench.harness.options import Options
from bench.harness.processes import Processes
from bench.harness.targets.sink import Sink

REALM, PASSWORD, SENDER = "bench", "benchpw", "12345"
TEXT = "Your%20verification%20code%20is%20123456"  # 31 GSM characters: one part


class Target:
    """A system under test: started per run, loaded over HTTP, delivering to the sink."""

    name = "target"
    ok_prefix = "SUCCESS"
    idle_path = "/healthz"  # for count-bounded runs: a page that creates no message
    idle_body = "ok"
    idle_is_http_error = False  # the idle page answers 4xx (wrk counts it as an error)

    def __init__(self, opts: Options) -> None:
        self.opts = opts
        self.port = 0
        self.procs: list[subprocess.Popen[bytes]] = []

    def describe(self) -> dict[str, Any]:
        return {"name": self.name}

    def start(self, procs: Processes, workdir: Path, sink: Sink) -> None:
        raise NotImplementedError

    def path_prefix_suffix(self) -> tuple[str, str]:
        """The request path before and after the phone number."""
        raise NotImplementedError

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def alive(self) -> bool:
        return all(p.poll() is None for p in self.procs)

    def stop(self, procs: Processes) -> None:
        for proc in reversed(self.procs):
            procs.stop(proc)

    def cleanup(self) -> None:
        """After stop(), even when the run failed (e.g. drop a database)."""

    def db_cpu_ticks(self) -> int | None:
        """CPU ticks of the database server, when it is a separate local process."""
        return None

    def db_stats(self) -> dict[str, int] | None:
        """The database server's counters (commits, rows), when it has any."""
        return None

    def logs(self, workdir: Path) -> str:
        return ""

    def exited(self) -> list[str]:
        """Its processes that have exited, each with its exit status."""
        return [
            f"{_short_command(proc)}: exit status {proc.returncode}"
            for proc in self.procs
            if proc.poll() is not None
        ]


def _short_command(proc: "subprocess.Popen[bytes]") -> str:
    """The program's file name and its first two arguments (file names only)."""
    args = proc.args if isinstance(proc.args, list) else [proc.args]
    return " ".join(Path(str(a)).name for a in args[:3])
