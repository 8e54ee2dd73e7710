"""One run of one target, step by step, and the runs of a target with their summary.

A run: a temporary directory, the SMSC sink, the target; a warm-up whose messages are drained
and then forgotten (the sink's counters reset); the measured load, sampled; the drain; the
readings at the end; everything stopped. Whatever happens, every process started is stopped
and the directory removed (kept when the run failed, or with --keep).
"""

import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness.figures import Measurements, run_figures
from bench.harness.load import LOAD_NONCE, WARMUP_NONCE, run_wrk
from bench.harness.options import Options
from bench.harness.processes import Processes
from bench.harness.report import run_line, summarise
from bench.harness.sampling import Meter
from bench.harness.targets.base import Target
from bench.harness.targets.sink import Sink

DB_REPORT_DELAY = 1.2  # seconds for PostgreSQL backends to report their counters


def warm_up(procs: Processes, target: Target, sink: Sink, workdir: Path, opts: Options) -> int:
    """Uncounted load, drained, then the sink's counters reset; the accepted messages."""
    warm = run_wrk(procs, target, workdir, opts, duration=opts.warmup, nonce=WARMUP_NONCE)
    sink.wait_drained(warm["ok"], opts.drain_timeout, target.alive)
    sink.reset()
    return int(warm["ok"])


def settled_db_stats(target: Target) -> dict[str, int] | None:
    """The database's counters once the backends have reported (None: no such counters)."""
    if target.db_stats() is None:
        return None
    time.sleep(DB_REPORT_DELAY)
    return target.db_stats()


def measure(
    procs: Processes, target: Target, sink: Sink, workdir: Path, opts: Options
) -> Measurements:
    """The measured load and its drain, then the target and the sink stopped."""
    db_before = settled_db_stats(target)
    meter = Meter(target.pids(), sink.proc.pid, target.db_cpu_ticks)
    load_start = time.monotonic()
    wrk = run_wrk(
        procs,
        target,
        workdir,
        opts,
        duration=opts.duration,
        nonce=LOAD_NONCE,
        per_thread=opts.per_thread,
        tick=meter.sample,
    )
    load_end = time.monotonic()
    wrk_cpu = meter.children_cpu()
    _, drained = sink.wait_drained(wrk["ok"], opts.drain_timeout, target.alive)
    drain_end = time.monotonic()
    usage = meter.usage()
    db_after = None
    if db_before is not None:
        time.sleep(max(0.0, drain_end + DB_REPORT_DELAY - time.monotonic()))
        db_after = target.db_stats()
    target.stop(procs)
    return Measurements(
        wrk=wrk,
        sink=sink.final_stats(),
        drained=drained,
        load_start=load_start,
        load_end=load_end,
        drain_end=drain_end,
        wrk_cpu=wrk_cpu,
        usage=usage,
        db_before=db_before,
        db_after=db_after,
    )


def show_failure(target: Target, workdir: Path) -> None:
    exited = target.exited()
    if exited:
        print(f"--- {target.name} exited: {'; '.join(exited)}", file=sys.stderr)
    print(f"--- {target.name} log tail ({workdir}):\n{target.logs(workdir)}", file=sys.stderr)


def run_once(target: Target, opts: Options, index: int) -> dict[str, Any]:
    procs = Processes()
    workdir = Path(tempfile.mkdtemp(prefix=f"{target.name}-bench-", dir=opts.tmp_root))
    result: dict[str, Any] = {"target": target.name, "run": index + 1, "workdir": str(workdir)}
    failed = False
    try:
        sink = Sink.start(procs, workdir, opts.receipts)
        target.start(procs, workdir, sink)
        if opts.warmup > 0:
            result["warmup_ok"] = warm_up(procs, target, sink, workdir, opts)
        result.update(run_figures(measure(procs, target, sink, workdir, opts)))
        if opts.min_messages and result["delivered"] < opts.min_messages:
            result["note"] = f"fewer than --min-messages {opts.min_messages} delivered"
        return result
    except Exception:
        failed = True  # keep the directory and show the logs; Ctrl-C is no failure
        show_failure(target, workdir)
        raise
    finally:
        procs.stop_all()
        target.cleanup()
        if not opts.keep and not failed:
            shutil.rmtree(workdir, ignore_errors=True)
        elif failed:
            print(f"kept {workdir} for inspection", file=sys.stderr)


def run_target(target: Target, opts: Options) -> dict[str, Any]:
    runs = []
    for i in range(opts.runs):
        r = run_once(target, opts, i)
        runs.append(r)
        print(run_line(target.name, i, opts.runs, r), flush=True)
    return {"config": target.describe(), "runs": runs, "summary": summarise(runs)}
