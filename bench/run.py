"""End-to-end benchmark of smsgate: HTTP request -> durable queue -> submit_sm at an SMSC sink.

    .venv/bin/python -m bench.run [--runs 3] [--duration 10] [--connections 50] [--receipts]
                                  [--no-access-log] [--serve-api-workers N]
                                  [--database-url postgresql+asyncpg://postgres@127.0.0.1/x
                                   [--api-workers N]]
    .venv/bin/python -m bench.run --smoke        # CI: 300 requests, asserts nothing is lost

Each run starts from nothing: a temporary data directory, a fresh SMSC sink (`bench.sink`), a
TOML config whose `[[smpp]]` points at the sink, the realm and sender code made with the CLI,
then `smsgate serve` as `scripts/run` starts it (access log on); the tuned setups are options
(`--no-access-log`, `--serve-api-workers N`, and with `--api-workers N` on PostgreSQL
`smsgate serve --no-dispatch --workers N` plus one `smsgate dispatch`, the topology of
docs/deployment.md). wrk (`bench/api_web.lua`) sends the load over keep-alive connections for
`--duration` seconds, after a warm-up whose messages are not counted; then the run waits until
the sink has as many distinct destinations as wrk saw SUCCESS replies (bounded), stops
everything and computes the figures (see bench/README.md). The medians with min and max are
printed and everything is written to bench/results/<timestamp>.json. The machinery is the
library `bench.harness`.
"""

import argparse
import sys

from bench.harness.cli import add_common_arguments, parse, prepare, run_all
from bench.harness.options import SMOKE_REQUESTS
from bench.harness.report import (
    close_results,
    new_results,
    options_title,
    print_end,
    print_summary,
    write_results,
)
from bench.harness.targets.smsgate import SmsgateTarget


def parser() -> argparse.ArgumentParser:
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
        "--smoke",
        action="store_true",
        help=f"CI check: 1 run of {SMOKE_REQUESTS} requests, fails unless every SUCCESS "
        "reached the sink",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args, opts = parse(parser(), argv)
    prepare()
    data = new_results(opts)
    target = SmsgateTarget(opts)
    status = run_all([target], opts, data)
    if status is not None:
        return status
    close_results(data, [target], opts)
    path = write_results(data, args.json, "smoke-" if opts.smoke else "")
    print_summary(options_title(target, opts), data[target.name]["summary"])
    return print_end(data, path)


if __name__ == "__main__":
    sys.exit(main())
