"""The load generator: wrk with bench/api_web.lua, keep-alive HTTP/1.1, a new phone number
per request, bounded by time or (count-bounded runs) by a number of messages per thread.

wrk cannot stop after N requests: in a count-bounded run the Lua script sends the messages,
then only the target's idle page until every message has its answer, and notes in a file that
its thread is done; once all threads are, wrk is ended with SIGINT and reports as usual.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.harness import BENCH_DIR
from bench.harness.options import Options
from bench.harness.processes import BenchError, Processes, tail
from bench.harness.targets.base import Target

LUA = BENCH_DIR / "api_web.lua"
WARMUP_NONCE, LOAD_NONCE = 100, 200  # phone number blocks (see api_web.lua)
LATE_BY = 60.0  # seconds past its duration after which wrk is stopped as hung


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


def wrk_command(
    target: Target, *, duration: float, connections: int, threads: int, script_args: list[str]
) -> list[str]:
    return [
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
        *script_args,
    ]


def run_wrk(
    procs: Processes,
    target: Target,
    workdir: Path,
    opts: Options,
    *,
    duration: float,
    nonce: int,
    per_thread: int = 0,
    tick: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Run wrk with the options' connections and threads to its end (calling `tick` about
    every 0.05-0.25 s meanwhile) and return the counts and latency percentiles (µs) its Lua
    script prints. Errors do not count the target's idle page (it answers 404 on Kannel)."""
    prefix, suffix = target.path_prefix_suffix()
    connections, threads = opts.connections, opts.wrk_threads
    args = [prefix, suffix, target.ok_prefix, str(nonce)]
    stop_file = workdir / f"wrk-{nonce}.stopped"
    if per_thread:
        args += [str(per_thread), target.idle_path, target.idle_body, str(stop_file)]
    out = workdir / f"wrk-{nonce}.out"
    cmd = wrk_command(
        target, duration=duration, connections=connections, threads=threads, script_args=args
    )
    with open(out, "wb") as stdout_file:
        proc = procs.start("wrk", cmd, log=workdir / "wrk.err", stdout=stdout_file.fileno())
    deadline = time.monotonic() + duration + LATE_BY
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
            result = dict(json.loads(line[len("BENCH_JSON ") :]))
            if target.idle_is_http_error:
                result["errors"]["status"] -= result["idle"]
            return result
    raise BenchError(
        f"wrk exited {proc.returncode} without results: {tail(out)} {tail(workdir / 'wrk.err')}"
    )
