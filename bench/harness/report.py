"""Summaries over runs (median, min, max), the printed tables, what is wrong with the runs, and
the results JSON with the machine it was measured on."""

import contextlib
import dataclasses
import datetime
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.harness import BENCH_DIR, REPO
from bench.harness.figures import FIGURES
from bench.harness.options import Options
from bench.harness.targets.base import Target

RESULTS_DIR = BENCH_DIR / "results"

Summary = dict[str, dict[str, float | None]]


def summarise(runs: list[dict[str, Any]]) -> Summary:
    summary: Summary = {}
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


def print_summary(title: str, summary: Summary) -> None:
    print(f"\n{title}")
    print(f"  {'figure':<18}{'median':>12}{'min':>12}{'max':>12}")
    for key, label, pattern in FIGURES:
        s = summary.get(key)
        if s is None:
            continue
        row = "".join(f"{fmt(s[k], pattern):>12}" for k in ("median", "min", "max"))
        print(f"  {label:<18}{row}")


def run_line(name: str, index: int, runs: int, r: dict[str, Any]) -> str:
    """The line printed after each run."""
    return (
        f"{name} run {index + 1}/{runs}: {fmt(r['http_rps'], '{:,.0f}')} req/s, "
        f"{r['e2e_msg_s']:,.0f} msg/s e2e, p99 {r['p99_ms']:.2f} ms, "
        f"{r['delivered']:,} delivered, lost {r['lost']}, errors {r['errors']}, "
        f"CPU {fmt(r['cpu_us_per_msg'], '{:.0f}')} µs/msg"
    )


def options_title(target: Target, opts: Options) -> str:
    bound = f"{opts.requests} requests" if opts.requests else f"{opts.duration:g} s"
    extra = ", ".join(f"{k}={v}" for k, v in target.describe().items() if k != "name")
    return (
        f"{target.name} ({extra}): {opts.runs} run(s) x {bound}, "
        f"{opts.connections} connections, {opts.threads} wrk thread(s)"
    )


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


def loadavg() -> list[float]:
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def machine_info() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "loadavg_at_start": loadavg(),
        "git_commit": git_commit(),
        "python": sys.version.split()[0],
    }


def new_results(opts: Options) -> dict[str, Any]:
    """The results document before the runs: when, where, with which options."""
    return {
        "started_at": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine_info(),
        "options": dataclasses.asdict(opts),
    }


def close_results(data: dict[str, Any], targets: list[Target], opts: Options) -> None:
    """Add the problems of every target's runs and the machine's state at the end."""
    runs = [run for target in targets for run in data[target.name]["runs"]]
    data["problems"] = check_runs(runs, opts)
    data["machine"]["git_commit_at_end"] = git_commit()  # src changes under our feet
    data["machine"]["loadavg_at_end"] = loadavg()


def write_results(data: dict[str, Any], path: Path | None, prefix: str = "") -> Path:
    if path is None:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        path = RESULTS_DIR / f"{prefix}{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def print_end(data: dict[str, Any], path: Path) -> int:
    """The commit and the result file, then every problem; the exit status (1: problems)."""
    print(f"\ncommit {data['machine']['git_commit']}, results in {path}")
    for problem in data["problems"]:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    return 1 if data["problems"] else 0
