"""The same benchmark against Kannel (Debian's `kannel` package), then smsgate, and the ratios.

    .venv/bin/python -m bench.kannel [--runs 3] [--duration 10] [--connections 50]
                                     [--kannel-store file|spool|none] [--receipts]
                                     [--no-access-log] [--serve-api-workers N] [--no-smsgate]

Each Kannel run: a fresh sink (`bench.sink`), a generated kannel.conf (see
`bench.harness.targets.kannel`: access logs on, like smsgate's), `bearerbox` and `smsbox`, and
the same wrk load (`bench/api_web.lua`) on `/cgi-bin/sendsms?...&to=<phone>`; a reply starting
with `0:` (`0: Accepted for delivery`) counts as ok. Then smsgate runs with the same options
(as `bench.run` runs it) and the ratio smsgate/Kannel of every median is printed.

Kannel's file store is written by a background thread without fsync, so a Kannel "0:" does
not mean the message is on disk; smsgate's SUCCESS does (see bench/README.md).
"""

import argparse
import sys
from typing import Any

from bench.harness.cli import add_common_arguments, parse, prepare, run_all
from bench.harness.figures import FIGURES
from bench.harness.report import (
    close_results,
    fmt,
    new_results,
    options_title,
    print_end,
    print_summary,
    write_results,
)
from bench.harness.targets.base import Target
from bench.harness.targets.kannel import KannelTarget, require_kannel
from bench.harness.targets.smsgate import SmsgateTarget

# the figures whose ratio means something (not counts of problems, nor other processes' CPU)
RATIO_FIGURES = (
    "http_rps",
    "e2e_msg_s",
    "p50_ms",
    "p90_ms",
    "p99_ms",
    "cpu_us_per_msg",
    "rss_before_mb",
    "rss_after_mb",
)


def ratios(smsgate: dict[str, Any], kannel: dict[str, Any]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for key in RATIO_FIGURES:
        a = smsgate["summary"].get(key, {}).get("median")
        b = kannel["summary"].get(key, {}).get("median")
        out[key] = a / b if a is not None and b else None
    return out


def print_ratios(values: dict[str, float | None]) -> None:
    print("\nsmsgate / Kannel (medians)")
    labels = {key: label for key, label, _ in FIGURES}
    for key in RATIO_FIGURES:
        print(f"  {labels[key]:<18}{fmt(values[key], '{:.2f}x'):>12}")


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.kannel", description=__doc__.split("\n\n")[0]
    )
    add_common_arguments(parser)
    parser.add_argument(
        "--kannel-store",
        choices=("file", "spool", "none"),
        default="file",
        help="Kannel's message store (default file; none of them fsyncs)",
    )
    parser.add_argument(
        "--smsgate",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run smsgate with the same options and print the ratios (default: yes)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args, opts = parse(parser(), argv)
    prepare()
    require_kannel()
    data = new_results(opts)
    targets: list[Target] = [KannelTarget(opts)]
    if args.smsgate:
        targets.append(SmsgateTarget(opts))
    status = run_all(targets, opts, data)
    if status is not None:
        return status
    close_results(data, targets, opts)
    if args.smsgate:
        data["ratio_smsgate_over_kannel"] = ratios(data["smsgate"], data["kannel"])
    path = write_results(data, args.json, "kannel-")
    for target in targets:
        print_summary(options_title(target, opts), data[target.name]["summary"])
    if args.smsgate:
        print_ratios(data["ratio_smsgate_over_kannel"])
    return print_end(data, path)


if __name__ == "__main__":
    sys.exit(main())
