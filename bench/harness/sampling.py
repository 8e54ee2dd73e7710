"""What the run's processes cost, read from /proc: CPU ticks, RSS, a process and everything
below it (a gateway with worker processes), the machine's busy time and the local PostgreSQL
server's CPU. `Meter` takes the readings of one measured load. Linux only, standard library.
"""

import contextlib
import os
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

CLK_TCK = os.sysconf("SC_CLK_TCK")
SAMPLE_EVERY = 0.25  # seconds between the samples of RSS and CPU taken during the load


def cpu_ticks(pid: int) -> int:
    """utime + stime of the whole process (all its threads), in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def with_descendants(pids: list[int]) -> list[int]:
    """`pids` and every process below them (a gateway with worker processes)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    result: list[int] = []
    todo = list(pids)
    while todo:
        pid = todo.pop()
        if pid not in result:
            result.append(pid)
            todo.extend(children.get(pid, []))
    return result


def command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def descendants_running(pid: int, marker: str) -> int:
    """How many processes below `pid` (itself included) have `marker` in their command line."""
    return sum(marker in command_line(child) for child in with_descendants([pid]))


def _sum_over(pids: list[int], read: Callable[[int], int]) -> int:
    """`read` summed over `pids`, leaving out those that have exited meanwhile."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            total += read(pid)
    return total


def tree_cpu_ticks(pids: list[int]) -> int:
    """CPU ticks of `pids` (already expanded with `with_descendants`)."""
    return _sum_over(pids, cpu_ticks)


def tree_rss_kb(pids: list[int]) -> int:
    """VmRSS of `pids` (already expanded with `with_descendants`)."""
    return _sum_over(pids, rss_kb)


def machine_busy_ticks() -> int:
    """CPU ticks spent busy by the whole machine (all cores), from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values[:8]) - idle


def postgres_cpu_ticks() -> int | None:
    """CPU ticks of every PostgreSQL server on this machine: each postmaster (a `postgres`
    process whose parent is not one) with all its processes, plus the CPU of the children it
    has already reaped (cutime + cstime), so that backends that exit in between still count.
    None when no postmaster is visible."""
    info: dict[int, tuple[int, str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                head, rest = f.read().rsplit(")", 1)
            info[int(entry)] = (int(rest.split()[1]), head.split("(", 1)[1])
        except (OSError, ValueError, IndexError):
            continue
    masters = [
        pid
        for pid, (ppid, comm) in info.items()
        if comm == "postgres" and info.get(ppid, (0, ""))[1] != "postgres"
    ]
    if not masters:
        return None
    total = tree_cpu_ticks(with_descendants(masters))
    for pid in masters:
        with contextlib.suppress(OSError, ValueError, IndexError), open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[13]) + int(fields[14])
    return total


def children_cpu_seconds() -> float:
    """CPU of this process's reaped children (wrk, once it has exited)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Usage:
    """What the processes of a run used between the start of the load and the end of the drain
    (CPU in seconds, memory in kB)."""

    target_cpu: float
    sink_cpu: float
    machine_busy: float
    db_cpu: float | None  # the local PostgreSQL server, when the target has one
    rss_before_kb: int
    rss_after_kb: int
    processes: int
    per_process: list[dict[str, Any]] = field(default_factory=list)
    # (monotonic time, RSS kB, CPU ticks) of the target, every SAMPLE_EVERY s during the load
    samples: list[tuple[float, int, int]] = field(default_factory=list)


class Meter:
    """The target's processes (with their descendants), the sink and the machine: readings
    when it is made (just before the load), samples during the load, totals at the end."""

    def __init__(self, pids: list[int], sink_pid: int, db_ticks: Callable[[], int | None]):
        self.pids = with_descendants(pids)
        self._sink_pid, self._db_ticks = sink_pid, db_ticks
        self._rss_before = tree_rss_kb(self.pids)
        self.samples: list[tuple[float, int, int]] = []
        self._db0 = db_ticks()
        self._sink0, self._target0 = cpu_ticks(sink_pid), tree_cpu_ticks(self.pids)
        self._per_process0 = {pid: tree_cpu_ticks([pid]) for pid in self.pids}
        self._busy0, self._children0 = machine_busy_ticks(), children_cpu_seconds()

    def sample(self) -> None:
        """Record RSS and CPU of the target, at most every SAMPLE_EVERY seconds."""
        now = time.monotonic()
        if not self.samples or now - self.samples[-1][0] >= SAMPLE_EVERY:
            self.samples.append((now, tree_rss_kb(self.pids), tree_cpu_ticks(self.pids)))

    def children_cpu(self) -> float:
        """CPU seconds of the children reaped since the start (the load generator)."""
        return children_cpu_seconds() - self._children0

    def usage(self) -> Usage:
        target_cpu = (tree_cpu_ticks(self.pids) - self._target0) / CLK_TCK
        per_process = [
            {
                "pid": pid,
                "cmd": command_line(pid)[:120],
                "cpu_seconds": round((tree_cpu_ticks([pid]) - ticks) / CLK_TCK, 2),
                "rss_mb": round(tree_rss_kb([pid]) / 1024, 1),
            }
            for pid, ticks in self._per_process0.items()
        ]
        sink_cpu = (cpu_ticks(self._sink_pid) - self._sink0) / CLK_TCK
        busy = (machine_busy_ticks() - self._busy0) / CLK_TCK
        db1 = self._db_ticks()
        db_cpu = (db1 - self._db0) / CLK_TCK if self._db0 is not None and db1 else None
        return Usage(
            target_cpu=target_cpu,
            sink_cpu=sink_cpu,
            machine_busy=busy,
            db_cpu=db_cpu,
            rss_before_kb=self._rss_before,
            rss_after_kb=tree_rss_kb(self.pids),
            processes=len(self.pids),
            per_process=per_process,
            samples=self.samples,
        )
