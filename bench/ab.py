"""A/B comparison of two versions of the gateway, in interleaved runs of `bench.run`.

    .venv/bin/python -m bench.ab BASE [--against REF] [--pairs 4] [bench.run options...]
    .venv/bin/python -m bench.ab HEAD~1 --pairs 4 --serve-api-workers 1 --receipts

A is the gateway at git ref BASE, B the working tree (or `--against REF`). Each version is
checked out in a temporary `git worktree` and run by putting its `src/` first on PYTHONPATH;
the harness (this directory) and the installed dependencies are the ones of the working tree.
Runs alternate A B B A A B B A ...: on a 2-core machine whose speed drifts by ±10-20 % within
minutes, and where the second run of a pair tends to start at a disadvantage, only runs close
in time and balanced in position can show a change of a few percent. Printed and written to
bench/results/ab-<timestamp>.json: every run, the median of each side, and the median, min and
max over the pairs of B/A for e2e msg/s, CPU µs/msg and p99.
"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from bench.harness import REPO
from bench.harness.report import RESULTS_DIR

# (key in a bench.run result, label)
COMPARED = [("e2e_msg_s", "e2e msg/s"), ("cpu_us_per_msg", "CPU µs/msg"), ("p99_ms", "p99 ms")]


def order(pairs: int) -> str:
    """A B, B A, A B, ...: every side first in half of the pairs."""
    return "".join("AB" if i % 2 == 0 else "BA" for i in range(pairs))


def pair_ratios(runs: list[dict[str, Any]], key: str) -> list[float]:
    """B/A of `key` for each consecutive pair of runs (run i*2 and i*2+1)."""
    ratios = []
    for first, second in zip(runs[::2], runs[1::2], strict=True):
        a, b = (first, second) if first["side"] == "A" else (second, first)
        if a[key]:
            ratios.append(b[key] / a[key])
    return ratios


def summarise(runs: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per compared figure: the median of A, of B, and the median, min and max of B/A."""
    summary = {}
    for key, _ in COMPARED:
        ratios = pair_ratios(runs, key)
        summary[key] = {
            "a_median": statistics.median(r[key] for r in runs if r["side"] == "A"),
            "b_median": statistics.median(r[key] for r in runs if r["side"] == "B"),
            "ratio_median": statistics.median(ratios),
            "ratio_min": min(ratios),
            "ratio_max": max(ratios),
        }
    return summary


@contextmanager
def checkout(ref: str) -> Iterator[Path]:
    """A temporary worktree of `ref` (detached), removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="smsgate-ab-"))
    subprocess.run(
        ["git", "worktree", "add", "--detach", "--force", str(path), ref],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    try:
        yield path
    finally:
        subprocess.run(
            ["git", "worktree", "remove", "--force", str(path)], cwd=REPO, capture_output=True
        )


def one_run(src: Path | None, bench_args: list[str], json_path: Path) -> dict[str, Any]:
    """One `bench.run --runs 1` with `src` first on PYTHONPATH (None: the working tree)."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "bench.run", "--runs", "1", "--json", str(json_path)]
    done = subprocess.run([*command, *bench_args], cwd=REPO, env=env)
    if done.returncode != 0 or not json_path.exists():
        raise SystemExit(f"bench.run failed (exit {done.returncode}); see its output above")
    result: dict[str, Any] = json.loads(json_path.read_text())["smsgate"]["runs"][0]
    return result


def revision(ref: str | None) -> str:
    args = ["git", "rev-parse", "--short", "--verify", f"{ref or 'HEAD'}^{{commit}}"]
    found = subprocess.run(args, cwd=REPO, capture_output=True, text=True)
    if found.returncode != 0:
        raise SystemExit(f"error: {ref!r} is not a commit of this repository")
    commit = found.stdout.strip()
    if ref is None:
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True)
        commit += " + working tree" if dirty.stdout.strip() else ""
    return commit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ab",
        description=__doc__.split("\n\n")[0],
        epilog="Every other option goes to bench.run (e.g. --receipts, --serve-api-workers 1).",
    )
    parser.add_argument("base", help="git ref of A")
    parser.add_argument("--against", help="git ref of B (default: the working tree)")
    parser.add_argument("--pairs", type=int, default=4, help="pairs of runs (default 4)")
    parser.add_argument("--json", type=Path, help="result file (default bench/results/ab-<ts>)")
    args, bench_args = parser.parse_known_args(argv)
    if args.pairs < 1:
        parser.error("--pairs must be at least 1")
    sides = {"A": revision(args.base), "B": revision(args.against)}
    runs: list[dict[str, Any]] = []
    with (
        checkout(args.base) as a_tree,
        checkout(args.against) if args.against else nullcontext() as b_tree,
        tempfile.TemporaryDirectory() as tmp,
    ):
        trees = {"A": a_tree / "src", "B": b_tree / "src" if b_tree else None}
        for n, side in enumerate(order(args.pairs)):
            print(f"--- run {n + 1}/{2 * args.pairs}: {side} ({sides[side]})", flush=True)
            result = one_run(trees[side], bench_args, Path(tmp) / f"{n}.json")
            runs.append({"side": side, **{key: result[key] for key, _ in COMPARED}})
    summary = summarise(runs)
    print(f"\nA = {sides['A']}, B = {sides['B']}, {args.pairs} pairs ({order(args.pairs)})")
    print(f"  {'figure':<12} {'A median':>10} {'B median':>10}   B/A median (min-max)")
    for key, label in COMPARED:
        s = summary[key]
        print(
            f"  {label:<12} {s['a_median']:>10,.2f} {s['b_median']:>10,.2f}   "
            f"{s['ratio_median']:.3f} ({s['ratio_min']:.3f}-{s['ratio_max']:.3f})"
        )
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = args.json or RESULTS_DIR / f"ab-{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"sides": sides, "bench_args": bench_args, "runs": runs, "summary": summary}
    path.write_text(json.dumps(data, indent=2))
    print(f"results in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
