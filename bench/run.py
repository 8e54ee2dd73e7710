"""End-to-end benchmark of smsgate: HTTP request -> durable queue -> submit_sm at an SMSC sink.

    .venv/bin/python -m bench.run [--runs 3] [--duration 10] [--connections 50] [--receipts]
                                  [--database-url postgresql+asyncpg://postgres@127.0.0.1/x
                                   [--api-workers N]] [--serve-api-workers N]
    .venv/bin/python -m bench.run --smoke        # CI: 300 requests, asserts nothing is lost

Each run starts from nothing: a temporary data directory, a fresh SMSC sink (`bench.sink`), a
TOML config whose `[[smpp]]` points at the sink, the realm and sender code made with the CLI,
then `smsgate serve` (with `--api-workers N` on PostgreSQL: `smsgate serve --no-dispatch
--workers N` plus one `smsgate dispatch`, the topology of docs/deployment.md). wrk
(`bench/api_web.lua`) sends the load over keep-alive connections for `--duration` seconds,
after a warm-up whose messages are not counted; then the run waits until the sink has as many
distinct destinations as wrk saw SUCCESS replies (bounded), stops everything and computes the
figures (see bench/README.md). The medians with min and max are printed and everything is
written to bench/results/<timestamp>.json.

Only the standard library is used (processes, /proc for CPU and RSS); PostgreSQL databases
are made and dropped with asyncpg, which the gateway already depends on.
"""

import argparse
import contextlib
import datetime
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
LUA = BENCH_DIR / "api_web.lua"
RESULTS_DIR = BENCH_DIR / "results"
CLK_TCK = os.sysconf("SC_CLK_TCK")

REALM, PASSWORD, SENDER = "bench", "benchpw", "12345"
TEXT = "Your%20verification%20code%20is%20123456"  # 31 GSM characters: one part
WARMUP_NONCE, LOAD_NONCE = 100, 200  # phone number blocks (see api_web.lua)
SMOKE_REQUESTS = 300

# (key, label, format) of the figures summarised over runs, in print order
FIGURES: list[tuple[str, str, str]] = [
    ("http_rps", "HTTP req/s", "{:,.0f}"),
    ("e2e_msg_s", "e2e msg/s", "{:,.0f}"),
    ("p50_ms", "latency p50 ms", "{:.2f}"),
    ("p90_ms", "latency p90 ms", "{:.2f}"),
    ("p99_ms", "latency p99 ms", "{:.2f}"),
    ("cpu_us_per_msg", "CPU µs/msg", "{:,.0f}"),
    ("delivered", "delivered msgs", "{:,.0f}"),
    ("rss_before_mb", "RSS before MB", "{:.1f}"),
    ("rss_after_mb", "RSS after MB", "{:.1f}"),
    ("decay_pct", "rate decay %", "{:.1f}"),
    ("cpu_growth_pct", "CPU/msg growth %", "{:.1f}"),
    ("lost", "lost", "{:.0f}"),
    ("errors", "errors", "{:.0f}"),
    ("sink_cpu_pct", "sink CPU %", "{:.0f}"),
    ("wrk_cpu_pct", "wrk CPU %", "{:.0f}"),
    ("db_cpu_us_per_msg", "DB CPU µs/msg", "{:,.0f}"),
    ("db_msgs_per_commit", "msgs/DB commit", "{:.1f}"),
    ("db_commits_per_s", "DB commits/s", "{:,.0f}"),
    ("other_cpu_pct", "other CPU %", "{:.0f}"),
]


class BenchError(Exception):
    """A run could not be carried out (a process did not start, wrk failed, ...)."""


# ------------------------------------------------------------------------------ processes


class Processes:
    """Every process a run starts, each in its own session (process group), so that all of
    them, with their children, can be stopped however the run ends."""

    def __init__(self) -> None:
        self.started: list[tuple[str, subprocess.Popen[bytes]]] = []
        self._logs: list[IO[bytes]] = []

    def start(
        self,
        name: str,
        cmd: list[str],
        *,
        log: Path,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        stdout: int | None = None,
    ) -> "subprocess.Popen[bytes]":
        logf = open(log, "ab")  # noqa: SIM115 - closed in stop_all()
        self._logs.append(logf)
        proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=stdout if stdout is not None else logf,
            stderr=logf,
            start_new_session=True,
        )
        self.started.append((name, proc))
        return proc

    @staticmethod
    def stop(proc: "subprocess.Popen[bytes]", timeout: float = 15.0) -> None:
        """SIGTERM the process group, then SIGKILL it if it has not exited in time.

        A process already reaped is left alone: its id may belong to someone else by now."""
        if proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def stop_all(self) -> None:
        for _, proc in reversed(self.started):
            self.stop(proc)
        self.started.clear()
        for logf in self._logs:
            logf.close()
        self._logs.clear()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def wait_until(
    check: Callable[[], bool], timeout: float, what: str, alive: Callable[[], bool] = lambda: True
) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if not alive():
            raise BenchError(f"{what}: the process exited")
        if time.monotonic() > deadline:
            raise BenchError(f"{what}: not ready after {timeout:.0f} s")
        time.sleep(0.05)


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as resp:
            return bool(resp.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def tcp_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


# ------------------------------------------------------------------------------ /proc


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


def spawned_workers(pid: int) -> int:
    """How many multiprocessing-spawned processes (uvicorn workers) run below `pid`."""
    count = 0
    for child in with_descendants([pid]):
        count += "multiprocessing.spawn" in command_line(child)
    return count


def api_worker_processes(pid: int) -> int:
    """How many `serve --api-workers` worker processes run below `pid`."""
    return sum("smsgate.workers.worker" in command_line(c) for c in with_descendants([pid]))


def tree_cpu_ticks(pids: list[int]) -> int:
    """CPU ticks of `pids` (already expanded with `with_descendants`)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            total += cpu_ticks(pid)
    return total


def tree_rss_kb(pids: list[int]) -> int:
    """VmRSS of `pids` (already expanded with `with_descendants`)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            total += rss_kb(pid)
    return total


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
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# ------------------------------------------------------------------------------ machine info


def git_commit() -> str:
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}+dirty-src" if dirty else commit


def machine_info() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "loadavg_at_start": [float(x) for x in load],
        "git_commit": git_commit(),
        "python": sys.version.split()[0],
    }


# ------------------------------------------------------------------------------ the sink


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
        arrived for 0.6 s (late resends), or `timeout` s without progress."""
        last, last_change = -1, time.monotonic()
        while True:
            if not alive():
                raise BenchError("the system under test exited during the run")
            stats = self.stats()
            now = time.monotonic()
            if stats["submits"] != last:
                last, last_change = stats["submits"], now
            if stats["distinct_destinations"] >= expected and now - last_change >= 0.6:
                return stats, True
            if now - last_change > timeout:
                return stats, False
            time.sleep(0.05)

    def final_stats(self) -> dict[str, Any]:
        """Stop the sink (it writes its counters on exit) and return them."""
        Processes.stop(self.proc)
        return self.stats()


# ------------------------------------------------------------------------------ targets


@dataclass
class Options:
    duration: float = 10.0
    connections: int = 50
    threads: int = 1
    runs: int = 3
    warmup: float = 2.0
    receipts: bool = False
    binds: int = 1
    window: int = 500
    database_url: str | None = None
    requests: int = 0  # > 0: count-bounded (per run), see api_web.lua
    drain_timeout: float = 60.0
    min_messages: int = 0
    keep: bool = False
    tmp_root: str | None = None
    smoke: bool = False
    kannel_store: str = "file"
    api_workers: int = 0  # > 0 (PostgreSQL): serve --no-dispatch --workers N + one dispatch
    serve_api_workers: int = 0  # > 0: serve --api-workers N (one core, N HTTP processes)
    extra: dict[str, Any] = field(default_factory=dict)


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


def smsgate_bin() -> str:
    candidate = Path(sys.executable).parent / "smsgate"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("smsgate")
    if not found:
        raise BenchError("the smsgate command is not installed (run scripts/test or pip -e .)")
    return found


class PostgresDatabase:
    """A fresh PostgreSQL database per run, made from `--database-url` (its database name is
    replaced by a new one) and dropped afterwards."""

    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.parts = parts
        self.name = f"smsgate_bench_{os.getpid()}_{int(time.time() * 1000) % 10**9}"
        self.url = urllib.parse.urlunsplit(parts._replace(path=f"/{self.name}"))

    @property
    def local(self) -> bool:
        """Whether the server runs on this machine (its CPU can be read from /proc)."""
        return (self.parts.hostname or "localhost") in ("127.0.0.1", "localhost", "::1")

    def _admin(self, sql: str) -> list[Any]:
        import asyncio

        import asyncpg

        p = self.parts

        async def run() -> list[Any]:
            conn = await asyncpg.connect(
                host=p.hostname or "127.0.0.1",
                port=p.port or 5432,
                user=urllib.parse.unquote(p.username or "postgres"),
                password=urllib.parse.unquote(p.password) if p.password else None,
                database="postgres",
                timeout=10,
            )
            try:
                return list(await conn.fetch(sql))
            finally:
                await conn.close()

        return asyncio.run(run())

    def stats(self) -> dict[str, int]:
        """Commits and row writes of this database, and commits of all the others (work on
        the server that is not ours). Backends report these within about a second."""
        rows = self._admin(
            "SELECT datname, xact_commit, tup_inserted, tup_updated, tup_deleted "
            "FROM pg_stat_database WHERE datname IS NOT NULL"
        )
        out = {"commits": 0, "inserted": 0, "updated": 0, "deleted": 0, "other_commits": 0}
        for row in rows:
            if row["datname"] == self.name:
                out["commits"] = int(row["xact_commit"])
                out["inserted"] = int(row["tup_inserted"])
                out["updated"] = int(row["tup_updated"])
                out["deleted"] = int(row["tup_deleted"])
            else:
                out["other_commits"] += int(row["xact_commit"])
        return out

    def create(self) -> None:
        self._admin(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        self._admin(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{self.name}' AND pid <> pg_backend_pid()"
        )
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}"')


class SmsgateTarget(Target):
    name = "smsgate"

    def __init__(self, opts: Options) -> None:
        super().__init__(opts)
        self.pg: PostgresDatabase | None = None

    def describe(self) -> dict[str, Any]:
        url = self.opts.database_url
        workers = self.opts.api_workers
        return {
            "name": self.name,
            "database": "postgresql" if url else "sqlite",
            "topology": (
                f"serve --no-dispatch --workers {workers} + dispatch"
                if workers
                else f"serve --api-workers {self.opts.serve_api_workers}"
                if self.opts.serve_api_workers
                else "serve (API + dispatch)"
            ),
            "binds": self.opts.binds,
            "window": self.opts.window,
            "request_receipts": self.opts.receipts,
        }

    def start(self, procs: Processes, workdir: Path, sink: Sink) -> None:
        opts = self.opts
        config = workdir / "smsgate.toml"
        config.write_text(
            "[[smpp]]\n"
            'name = "sink"\n'
            'host = "127.0.0.1"\n'
            f"port = {sink.port}\n"
            'system_id = "bench"\n'
            'password = "bench"\n'
            'bind = "transceiver"\n'
            f"binds = {opts.binds}\n"
            f"window = {opts.window}\n"
            f"request_receipts = {'true' if opts.receipts else 'false'}\n"
            "default = true\n"
        )
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SMSGATE_")}
        env.update(
            SMSGATE_DATA_DIR=str(workdir / "data"),
            SMSGATE_CONFIG=str(config),
            SMSGATE_HOST="127.0.0.1",
            SMSGATE_PORT=str(self.port),
            SMSGATE_LOG_LEVEL="warning",
        )
        (workdir / "data").mkdir()
        if opts.database_url:
            self.pg = PostgresDatabase(opts.database_url)
            self.pg.create()
            env["SMSGATE_DATABASE_URL"] = self.pg.url
        exe = smsgate_bin()
        for args in (
            ["realm", "add", REALM, "--password", PASSWORD],
            ["sender", "add", REALM, SENDER],
        ):
            done = subprocess.run(
                [exe, *args], env=env, capture_output=True, text=True, timeout=120, cwd=workdir
            )
            if done.returncode:
                raise BenchError(f"smsgate {' '.join(args[:2])} failed: {done.stderr.strip()}")
        if opts.api_workers:
            # docs/deployment.md on one box: API-only processes, and one dispatcher
            serve = [exe, "serve", "--no-access-log", "--no-dispatch"]
            serve += ["--workers", str(opts.api_workers)]
            self.procs = [
                procs.start(
                    "smsgate serve", serve, log=workdir / "smsgate.log", env=env, cwd=workdir
                ),
                procs.start(
                    "smsgate dispatch",
                    [exe, "dispatch"],
                    log=workdir / "dispatch.log",
                    env=env,
                    cwd=workdir,
                ),
            ]
        else:
            serve = [exe, "serve", "--no-access-log"]
            if opts.serve_api_workers:
                serve += ["--api-workers", str(opts.serve_api_workers)]
            self.procs = [
                procs.start(
                    "smsgate",
                    serve,
                    log=workdir / "smsgate.log",
                    env=env,
                    cwd=workdir,
                )
            ]
        wait_until(
            lambda: http_ok(f"http://127.0.0.1:{self.port}/healthz"),
            60,
            "smsgate serve",
            self.alive,
        )
        sink.wait_binds(opts.binds, 30, self.alive)
        if opts.serve_api_workers:
            # the core starts its API workers after its own start; wait for all of them
            wait_until(
                lambda: api_worker_processes(self.procs[0].pid) >= opts.serve_api_workers,
                60,
                "smsgate API workers",
                self.alive,
            )
        if opts.api_workers > 1:
            # uvicorn's workers (multiprocessing spawn; besides them the master has a
            # resource tracker); the first one up answers /healthz, so wait for all of them
            wait_until(
                lambda: spawned_workers(self.procs[0].pid) >= opts.api_workers,
                60,
                "smsgate serve workers",
                self.alive,
            )

    def path_prefix_suffix(self) -> tuple[str, str]:
        return (
            f"/bin/api_web?r={REALM}&p={PASSWORD}&c=smssendmessagetophone"
            f"&sender_code={SENDER}&message_text={TEXT}&phone=",
            "",
        )

    def cleanup(self) -> None:
        if self.pg is not None:
            pg, self.pg = self.pg, None
            pg.drop()

    def db_cpu_ticks(self) -> int | None:
        if self.pg is None or not self.pg.local:
            return None
        return postgres_cpu_ticks()

    def db_stats(self) -> dict[str, int] | None:
        return None if self.pg is None else self.pg.stats()

    def logs(self, workdir: Path) -> str:
        text = tail(workdir / "smsgate.log")
        if self.opts.api_workers:
            text += "\n--- dispatch:\n" + tail(workdir / "dispatch.log")
        return text


# ------------------------------------------------------------------------------ wrk


def require_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk is not installed; installing Debian's wrk package with apt-get", file=sys.stderr)
    as_root = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run([*as_root, "apt-get", "install", "-y", "-qq", "wrk"], env=env, check=False)
    found = shutil.which("wrk")
    if not found:
        raise BenchError("wrk is missing and could not be installed: apt-get install wrk")
    return found


def threads_stopped(stop_file: Path) -> int:
    try:
        return len(stop_file.read_text().splitlines())
    except OSError:
        return 0


def run_wrk(
    procs: Processes,
    target: Target,
    workdir: Path,
    *,
    duration: float,
    connections: int,
    threads: int,
    nonce: int,
    per_thread: int,
    tick: Callable[[], None] | None = None,
) -> dict[str, Any]:
    prefix, suffix = target.path_prefix_suffix()
    threads = max(1, min(threads, connections))
    args = [prefix, suffix, target.ok_prefix, str(nonce)]
    stop_file = workdir / f"wrk-{nonce}.stopped"
    if per_thread:
        args += [str(per_thread), target.idle_path, target.idle_body, str(stop_file)]
    out = workdir / f"wrk-{nonce}.out"
    cmd = [
        require_wrk(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(LUA),
        f"http://127.0.0.1:{target.port}",
        "--",
        *args,
    ]
    with open(out, "wb") as stdout_file:
        proc = procs.start("wrk", cmd, log=workdir / "wrk.err", stdout=stdout_file.fileno())
    deadline = time.monotonic() + duration + 60
    interrupted = False
    while proc.poll() is None:
        if tick is not None:
            tick()
        if per_thread and not interrupted and threads_stopped(stop_file) >= threads:
            proc.send_signal(signal.SIGINT)  # every thread is done: end wrk's sleep
            interrupted = True
        if time.monotonic() > deadline:
            Processes.stop(proc)
            raise BenchError("wrk did not finish")
        time.sleep(0.05 if per_thread else 0.25)
    for line in out.read_text(errors="replace").splitlines():
        if line.startswith("BENCH_JSON "):
            return dict(json.loads(line[len("BENCH_JSON ") :]))
    raise BenchError(
        f"wrk exited {proc.returncode} without results: {tail(out)} {tail(workdir / 'wrk.err')}"
    )


# ------------------------------------------------------------------------------ one run


def full_second_rates(per_second: dict[str, int], start: float, end: float) -> list[int]:
    """Submits per second for the whole seconds that lie inside [start, end]."""
    first, last = int(start) + 1, int(end) - 1
    return [per_second.get(str(s), 0) for s in range(first, last + 1)]


def decay_pct(rates: list[int]) -> float | None:
    """How much lower the rate was in the last third of the load than in the first third."""
    if len(rates) < 6:
        return None
    third = len(rates) // 3
    head = statistics.fmean(rates[:third])
    tail_ = statistics.fmean(rates[-third:])
    return None if head <= 0 else round((head - tail_) / head * 100, 1)


def cpu_growth_pct(
    samples: list[tuple[float, int, int]], per_second: dict[str, int], start: float, end: float
) -> float | None:
    """How much more CPU per message the target spent in the last third of the load than in
    the first third: a decay measure that other work on the machine hardly disturbs (the rate
    itself moves with the machine's load). Samples are (monotonic time, RSS kB, CPU ticks)."""
    seconds = list(range(int(start) + 1, int(end)))
    if len(seconds) < 6 or not samples:
        return None
    third = len(seconds) // 3

    def ticks_at(t: float) -> int:
        return min(samples, key=lambda s: abs(s[0] - t))[2]

    def per_msg(first: int, last: int) -> float | None:
        msgs = sum(per_second.get(str(s), 0) for s in range(first, last + 1))
        return (ticks_at(last + 1) - ticks_at(first)) / msgs if msgs else None

    head, tail_ = per_msg(seconds[0], seconds[third - 1]), per_msg(seconds[-third], seconds[-1])
    if not head or tail_ is None:
        return None
    return round((tail_ - head) / head * 100, 1)


def db_figures(
    cpu: float | None,
    before: dict[str, int] | None,
    after: dict[str, int] | None,
    submits: int,
    window: float,
) -> dict[str, Any]:
    """The database server's share: CPU (all of the local PostgreSQL server's processes, so
    approximate when other databases are busy; see other_db_commits) and its counters."""
    out: dict[str, Any] = {
        "db_cpu_seconds": round(cpu, 2) if cpu is not None else None,
        "db_cpu_us_per_msg": cpu * 1e6 / submits if cpu is not None and submits else None,
        "db_cpu_pct": cpu / window * 100 if cpu is not None else None,
    }
    if before is None or after is None:
        return out
    delta = {k: after[k] - before[k] for k in before}
    commits = delta["commits"]
    out.update(
        {
            "db_commits": commits,
            "db_commits_per_s": commits / window,
            "db_msgs_per_commit": submits / commits if commits else None,
            "db_rows_inserted_per_msg": delta["inserted"] / submits if submits else None,
            "db_rows_updated_per_msg": delta["updated"] / submits if submits else None,
            # less the commits of our own two stats queries (in database postgres)
            "other_db_commits": max(0, delta["other_commits"] - 2),
        }
    )
    return out


def run_once(target: Target, opts: Options, index: int) -> dict[str, Any]:
    procs = Processes()
    workdir = Path(tempfile.mkdtemp(prefix=f"{target.name}-bench-", dir=opts.tmp_root))
    result: dict[str, Any] = {"target": target.name, "run": index + 1, "workdir": str(workdir)}
    failed = False
    try:
        sink = Sink.start(procs, workdir, opts.receipts)
        target.start(procs, workdir, sink)
        per_thread = 0
        threads = max(1, min(opts.threads, opts.connections))
        if opts.requests:
            per_thread = -(-opts.requests // threads)

        if opts.warmup > 0:
            warm = run_wrk(
                procs,
                target,
                workdir,
                duration=opts.warmup,
                connections=opts.connections,
                threads=threads,
                nonce=WARMUP_NONCE,
                per_thread=0,
            )
            sink.wait_drained(warm["ok"], opts.drain_timeout, target.alive)
            sink.reset()
            result["warmup_ok"] = warm["ok"]

        pids = with_descendants(target.pids())
        db_stats0 = target.db_stats()
        if db_stats0 is not None:
            time.sleep(1.2)  # backends report their counters within about a second
            db_stats0 = target.db_stats()
        rss_before = tree_rss_kb(pids)
        samples: list[tuple[float, int, int]] = []  # (monotonic, RSS kB, CPU ticks)
        db_cpu0 = target.db_cpu_ticks()
        sink_cpu0, target_cpu0 = cpu_ticks(sink.proc.pid), tree_cpu_ticks(pids)
        per_process0 = {pid: tree_cpu_ticks([pid]) for pid in pids}
        busy0, children0 = machine_busy_ticks(), children_cpu_seconds()
        load_start = time.monotonic()

        def sample() -> None:
            now = time.monotonic()
            if not samples or now - samples[-1][0] >= 0.25:
                samples.append((now, tree_rss_kb(pids), tree_cpu_ticks(pids)))

        wrk = run_wrk(
            procs,
            target,
            workdir,
            duration=opts.duration,
            connections=opts.connections,
            threads=threads,
            nonce=LOAD_NONCE,
            per_thread=per_thread,
            tick=sample,
        )
        load_end = time.monotonic()
        wrk_cpu = children_cpu_seconds() - children0
        stats, drained = sink.wait_drained(wrk["ok"], opts.drain_timeout, target.alive)
        drain_end = time.monotonic()
        target_cpu = (tree_cpu_ticks(pids) - target_cpu0) / CLK_TCK
        per_process = [
            {
                "pid": pid,
                "cmd": command_line(pid)[:120],
                "cpu_seconds": round((tree_cpu_ticks([pid]) - ticks) / CLK_TCK, 2),
                "rss_mb": round(tree_rss_kb([pid]) / 1024, 1),
            }
            for pid, ticks in per_process0.items()
        ]
        sink_cpu = (cpu_ticks(sink.proc.pid) - sink_cpu0) / CLK_TCK
        busy = (machine_busy_ticks() - busy0) / CLK_TCK
        db_cpu1 = target.db_cpu_ticks()
        db_cpu = (db_cpu1 - db_cpu0) / CLK_TCK if db_cpu0 is not None and db_cpu1 else None
        rss_after = tree_rss_kb(pids)
        db_stats1 = None
        if db_stats0 is not None:
            time.sleep(max(0.0, drain_end + 1.2 - time.monotonic()))
            db_stats1 = target.db_stats()
        target.stop(procs)
        stats = sink.final_stats()

        if target.idle_is_http_error:
            wrk["errors"]["status"] -= wrk["idle"]
        ok = wrk["ok"]
        submits = stats["submits"]
        distinct = stats["distinct_destinations"]
        last = stats["last_submit"]
        elapsed = (last - load_start) if last else None
        rates = full_second_rates(stats["per_second"], load_start, load_end)
        wrk_errors = sum(wrk["errors"].values())
        window = drain_end - load_start
        lat = wrk["latency_us"]
        result.update(
            {
                "ok": ok,
                "other": wrk["other"],
                "requests": wrk["requests"],
                "wrk_errors": wrk["errors"],
                "other_sample": wrk["other_sample"],
                "errors": wrk["other"] + wrk_errors,
                "sink_submits": submits,
                "distinct_submits": distinct,
                "duplicates": submits - distinct,
                "lost": max(0, ok - distinct),
                # accepted (committed) but wrk stopped before reading the reply
                "unanswered_accepted": max(0, distinct - ok),
                "drained": drained,
                "load_seconds": round(load_end - load_start, 3),
                "drain_seconds": round(drain_end - load_end, 3),
                # a count-bounded run ends (SIGINT) within ~0.05 s of its last answer; its
                # idle requests (see api_web.lua) are left out
                "http_rps": (wrk["requests"] - wrk["idle"]) / (wrk["duration_us"] / 1e6),
                "http_ok_rps": ok / (wrk["duration_us"] / 1e6),
                "e2e_msg_s": submits / elapsed if elapsed else 0.0,
                "e2e_seconds": round(elapsed, 3) if elapsed else None,
                "delivered": submits,
                "p50_ms": lat["p50"] / 1000,
                "p90_ms": lat["p90"] / 1000,
                "p99_ms": lat["p99"] / 1000,
                "p999_ms": lat["p999"] / 1000,
                "max_ms": lat["max"] / 1000,
                "cpu_seconds": round(target_cpu, 2),
                "cpu_us_per_msg": target_cpu * 1e6 / submits if submits else None,
                "cpu_cores_used": round(target_cpu / window, 2),
                "rss_before_mb": rss_before / 1024,
                "rss_after_mb": rss_after / 1024,
                "rss_peak_mb": max([rss_before, rss_after, *(r for _, r, _ in samples)]) / 1024,
                "rss_timeline_mb": [
                    (round(t - load_start, 1), round(r / 1024, 1)) for t, r, _ in samples[::4]
                ],
                "rate_per_second": rates,
                "decay_pct": decay_pct(rates),
                "cpu_growth_pct": cpu_growth_pct(
                    samples, stats["per_second"], load_start, load_end
                ),
                "sink_cpu_pct": sink_cpu / window * 100,
                "wrk_cpu_pct": wrk_cpu / (load_end - load_start) * 100,
                "machine_busy_pct": busy / window * 100,
                "other_cpu_pct": max(0.0, busy - target_cpu - sink_cpu - wrk_cpu - (db_cpu or 0))
                / window
                * 100,
                "processes": len(pids),
                "per_process": per_process,
                **db_figures(db_cpu, db_stats0, db_stats1, submits, window),
                "receipts_sent": stats["deliver_sm_sent"],
                "receipts_acked": stats["deliver_sm_resp"],
                "sink_binds": stats["binds"],
            }
        )
        if opts.min_messages and submits < opts.min_messages:
            result["note"] = f"fewer than --min-messages {opts.min_messages} delivered"
        return result
    except Exception:
        failed = True  # keep the directory and show the logs; Ctrl-C is no failure
        logs = target.logs(workdir)
        exited = [
            f"{' '.join(Path(str(a)).name for a in proc.args[:3])}: exit status {proc.returncode}"
            for proc in target.procs
            if proc.poll() is not None
        ]
        if exited:
            print(f"--- {target.name} exited: {'; '.join(exited)}", file=sys.stderr)
        print(f"--- {target.name} log tail ({workdir}):\n{logs}", file=sys.stderr)
        raise
    finally:
        procs.stop_all()
        target.cleanup()
        if not opts.keep and not failed:
            shutil.rmtree(workdir, ignore_errors=True)
        elif failed:
            print(f"kept {workdir} for inspection", file=sys.stderr)


# ------------------------------------------------------------------------------ reporting


def summarise(runs: list[dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    summary: dict[str, dict[str, float | None]] = {}
    for key, _, _ in FIGURES:
        values = [r[key] for r in runs if r.get(key) is not None]
        if values:
            summary[key] = {
                "median": statistics.median(values),
                "min": min(values),
                "max": max(values),
            }
        else:
            summary[key] = {"median": None, "min": None, "max": None}
    return summary


def fmt(value: float | None, pattern: str) -> str:
    return "-" if value is None else pattern.format(value)


def print_summary(title: str, summary: dict[str, dict[str, float | None]]) -> None:
    print(f"\n{title}")
    print(f"  {'figure':<18}{'median':>12}{'min':>12}{'max':>12}")
    for key, label, pattern in FIGURES:
        s = summary.get(key)
        if s is None:
            continue
        row = "".join(f"{fmt(s[k], pattern):>12}" for k in ("median", "min", "max"))
        print(f"  {label:<18}{row}")


def run_target(target: Target, opts: Options) -> dict[str, Any]:
    runs = []
    for i in range(opts.runs):
        r = run_once(target, opts, i)
        runs.append(r)
        print(
            f"{target.name} run {i + 1}/{opts.runs}: {fmt(r['http_rps'], '{:,.0f}')} req/s, "
            f"{r['e2e_msg_s']:,.0f} msg/s e2e, p99 {r['p99_ms']:.2f} ms, "
            f"{r['delivered']:,} delivered, lost {r['lost']}, errors {r['errors']}, "
            f"CPU {fmt(r['cpu_us_per_msg'], '{:.0f}')} µs/msg",
            flush=True,
        )
    return {"config": target.describe(), "runs": runs, "summary": summarise(runs)}


def options_title(target: Target, opts: Options) -> str:
    bound = f"{opts.requests} requests" if opts.requests else f"{opts.duration:g} s"
    extra = ", ".join(f"{k}={v}" for k, v in target.describe().items() if k != "name")
    return (
        f"{target.name} ({extra}): {opts.runs} run(s) x {bound}, "
        f"{opts.connections} connections, {opts.threads} wrk thread(s)"
    )


def write_results(data: dict[str, Any], path: Path | None, prefix: str = "") -> Path:
    if path is None:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        path = RESULTS_DIR / f"{prefix}{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


# ------------------------------------------------------------------------------ CLI


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per run")
    parser.add_argument("--connections", type=int, default=50, help="keep-alive connections")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument("--runs", type=int, default=3, help="runs per target (default 3)")
    parser.add_argument(
        "--warmup", type=float, default=2.0, help="seconds of uncounted load first (0: none)"
    )
    parser.add_argument(
        "--receipts",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="request delivery receipts, and have the sink send them (default: off)",
    )
    parser.add_argument("--binds", type=int, default=1, help="SMPP sessions (default 1)")
    parser.add_argument("--window", type=int, default=500, help="SMPP window (default 500)")
    parser.add_argument(
        "--requests",
        type=int,
        default=0,
        help="count-bounded run: exactly this many messages per run (--duration is then "
        "only the cap), e.g. --runs 1 --requests 200000 --duration 120",
    )
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=60.0,
        help="give up waiting for the sink after this many seconds without progress",
    )
    parser.add_argument(
        "--min-messages",
        type=int,
        default=0,
        help="fail (exit 1) when a run delivers fewer messages (e.g. 200000)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directories")
    parser.add_argument("--tmp-root", help="where the temporary data directories go")
    parser.add_argument("--json", type=Path, help="result file (default bench/results/<ts>.json)")


def options_from(args: argparse.Namespace) -> Options:
    opts = Options(
        duration=args.duration,
        connections=args.connections,
        threads=args.threads,
        runs=args.runs,
        warmup=args.warmup,
        receipts=args.receipts,
        binds=args.binds,
        window=args.window,
        database_url=getattr(args, "database_url", None),
        requests=args.requests,
        drain_timeout=args.drain_timeout,
        min_messages=args.min_messages,
        keep=args.keep,
        tmp_root=args.tmp_root,
        smoke=getattr(args, "smoke", False),
        api_workers=getattr(args, "api_workers", 0),
        serve_api_workers=getattr(args, "serve_api_workers", 0),
    )
    if opts.smoke:
        opts.runs, opts.connections, opts.threads = 1, 4, 1
        opts.requests, opts.duration, opts.warmup = SMOKE_REQUESTS, 30.0, 0.0
        opts.drain_timeout = min(opts.drain_timeout, 15.0)
    return opts


def check_runs(runs: list[dict[str, Any]], opts: Options) -> list[str]:
    """What is wrong with the runs (an empty list: nothing)."""
    problems = []
    for r in runs:
        name = f"{r['target']} run {r['run']}"
        if r["lost"]:
            problems.append(f"{name}: {r['lost']} accepted messages never reached the SMSC")
        if not r["drained"]:
            problems.append(f"{name}: the sink did not receive every accepted message in time")
        if opts.min_messages and r["delivered"] < opts.min_messages:
            problems.append(f"{name}: {r['delivered']} delivered < {opts.min_messages}")
        if opts.requests and r["ok"] + r["other"] != opts.requests:
            problems.append(f"{name}: {r['ok'] + r['other']} answers, not {opts.requests}")
        if opts.smoke and (r["ok"] != r["sink_submits"] or r["errors"]):
            problems.append(
                f"{name}: ok {r['ok']} != sink submits {r['sink_submits']} "
                f"or errors {r['errors']} ({r['other_sample']!r})"
            )
    return problems


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (and SIGINT, even when started in the background) unwind like Ctrl-C, so that
    every started process is stopped."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__.split("\n\n")[0]
    )
    add_common_arguments(parser)
    parser.add_argument(
        "--database-url",
        help="PostgreSQL instead of SQLite: postgresql+asyncpg://postgres@127.0.0.1/x "
        "(a fresh database is created and dropped per run; its name replaces x)",
    )
    parser.add_argument(
        "--api-workers",
        type=int,
        default=0,
        metavar="N",
        help="PostgreSQL only: `smsgate serve --no-dispatch --workers N` (API only) plus one "
        "`smsgate dispatch`, as in docs/deployment.md (default: one `smsgate serve` doing both)",
    )
    parser.add_argument(
        "--serve-api-workers",
        type=int,
        default=0,
        metavar="N",
        help="`smsgate serve --api-workers N`: one process commits and delivers, N processes "
        "serve HTTP in front of it (SQLite or PostgreSQL)",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"CI check: 1 run of {SMOKE_REQUESTS} requests, fails unless every SUCCESS "
        "reached the sink",
    )
    args = parser.parse_args(argv)
    if args.api_workers < 0 or args.serve_api_workers < 0:
        parser.error("--api-workers and --serve-api-workers must be at least 1")
    if args.api_workers and args.serve_api_workers:
        parser.error("use either --api-workers or --serve-api-workers")
    if args.api_workers and not (args.database_url or "").startswith("postgresql"):
        parser.error(
            "--api-workers needs --database-url postgresql+asyncpg://...: on SQLite one "
            "process does API and delivery (`smsgate serve`)"
        )
    opts = options_from(args)
    os.chdir(REPO)
    require_wrk()
    data: dict[str, Any] = {
        "started_at": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine_info(),
        "options": {k: v for k, v in vars(opts).items() if k != "extra"},
    }
    target = SmsgateTarget(opts)
    try:
        with terminate_as_interrupt():
            data["smsgate"] = run_target(target, opts)
    except KeyboardInterrupt:
        print("interrupted; every started process was stopped", file=sys.stderr)
        return 130
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    problems = check_runs(data["smsgate"]["runs"], opts)
    data["problems"] = problems
    data["machine"]["git_commit_at_end"] = git_commit()  # src changes under our feet
    with open("/proc/loadavg") as f:
        data["machine"]["loadavg_at_end"] = [float(x) for x in f.read().split()[:3]]
    path = write_results(data, args.json, "smoke-" if opts.smoke else "")
    print_summary(options_title(target, opts), data["smsgate"]["summary"])
    print(f"\ncommit {data['machine']['git_commit']}, results in {path}")
    for problem in problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
