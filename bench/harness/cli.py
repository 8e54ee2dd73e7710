"""The command-line side shared by `bench.run` and `bench.kannel`: their common arguments, the
Options they make, and running the targets so that SIGTERM and Ctrl-C stop every process."""

import argparse
import contextlib
import dataclasses
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.harness import REPO
from bench.harness.load import require_wrk
from bench.harness.options import Options
from bench.harness.processes import BenchError
from bench.harness.runner import run_target
from bench.harness.targets.base import Target


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
    parser.add_argument(
        "--access-log",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the access logs of the systems under test (default: on, as `scripts/run` "
        "starts smsgate; --no-access-log: `smsgate serve --no-access-log`, and Kannel "
        "without the access-log of bearerbox and smsbox)",
    )
    parser.add_argument(
        "--serve-api-workers",
        type=int,
        default=None,
        metavar="N",
        help="run smsgate as `smsgate serve --api-workers N`: one process commits and "
        "delivers, N processes serve HTTP in front of it; 0: one process doing both "
        "(default: plain `smsgate serve`, whose topology follows the CPUs)",
    )


def options_from(args: argparse.Namespace) -> Options:
    """The Options of the arguments (each named as its field); the others keep their default."""
    names = [f.name for f in dataclasses.fields(Options) if hasattr(args, f.name)]
    opts = Options(**{name: getattr(args, name) for name in names})
    if opts.smoke:
        opts.apply_smoke()
    return opts


def parse(
    parser: argparse.ArgumentParser, argv: list[str] | None
) -> tuple[argparse.Namespace, Options]:
    """The arguments and the Options they make; a clear error (exit 2) when the smsgate
    topology asked for cannot be run."""
    args = parser.parse_args(argv)
    api_workers = getattr(args, "api_workers", 0)
    if api_workers < 0 or (args.serve_api_workers or 0) < 0:
        parser.error("--api-workers and --serve-api-workers must not be negative")
    if api_workers and args.serve_api_workers is not None:
        parser.error("use either --api-workers or --serve-api-workers")
    if api_workers and not (getattr(args, "database_url", None) or "").startswith("postgresql"):
        parser.error(
            "--api-workers needs --database-url postgresql+asyncpg://...: on SQLite one "
            "process does API and delivery (`smsgate serve`)"
        )
    return args, options_from(args)


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


def prepare() -> None:
    """Run from the repository root (`python -m bench.sink`), with wrk installed."""
    os.chdir(REPO)
    require_wrk()


def run_all(targets: list[Target], opts: Options, data: dict[str, Any]) -> int | None:
    """Run every target in turn into `data[target.name]`; an exit status when interrupted
    (130) or when a run could not be carried out (2), else None."""
    try:
        with terminate_as_interrupt():
            for target in targets:
                data[target.name] = run_target(target, opts)
    except KeyboardInterrupt:
        print("interrupted; every started process was stopped", file=sys.stderr)
        return 130
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return None
