"""The same benchmark against Kannel (Debian's `kannel` package), then smsgate, and the ratios.

    .venv/bin/python -m bench.kannel [--runs 3] [--duration 10] [--connections 50]
                                     [--kannel-store file|spool|none] [--receipts]
                                     [--no-smsgate]

Each Kannel run: a fresh sink (`bench.sink`), a generated kannel.conf (core with admin and
smsbox ports on loopback and the message store, one `smsc = smpp` transceiver to the sink
with `max-pending-submits` = the window and no throughput limit, an smsbox with a sendsms
port, one sendsms-user), `bearerbox` and `smsbox` in the foreground (`-v 4`: console quiet),
and the same wrk load (`bench/api_web.lua`) on `/cgi-bin/sendsms?...&to=<phone>`; a reply
starting with `0:` (`0: Accepted for delivery`) counts as ok. Then smsgate runs with the same
options (`bench.run`) and the ratio smsgate/Kannel of every median is printed.

Kannel's file store is written by a background thread without fsync, so a Kannel "0:" does
not mean the message is on disk; smsgate's SUCCESS does (see bench/README.md).
"""

import argparse
import datetime
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from bench.run import (
    FIGURES,
    REPO,
    SENDER,
    TEXT,
    BenchError,
    Options,
    Processes,
    Sink,
    SmsgateTarget,
    Target,
    add_common_arguments,
    check_runs,
    fmt,
    free_port,
    git_commit,
    machine_info,
    options_from,
    options_title,
    print_summary,
    require_wrk,
    run_target,
    tail,
    tcp_open,
    terminate_as_interrupt,
    wait_until,
    write_results,
)

KANNEL_USER, KANNEL_PASSWORD, ADMIN_PASSWORD = "bench", "benchpw", "bench"


def _find(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidate = f"/usr/sbin/{name}"  # not on a non-root PATH
    return candidate if os.access(candidate, os.X_OK) else None


def require_kannel() -> tuple[str, str]:
    """The paths of bearerbox and smsbox, installing Debian's kannel package if needed."""
    bearerbox, smsbox = _find("bearerbox"), _find("smsbox")
    if not (bearerbox and smsbox):
        print("Kannel is not installed; installing Debian's kannel package", file=sys.stderr)
        as_root = [] if os.geteuid() == 0 else ["sudo"]
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        install = [*as_root, "apt-get", "install", "-y", "-qq", "kannel"]
        subprocess.run(install, env=env, check=False)
        bearerbox, smsbox = _find("bearerbox"), _find("smsbox")
    if not (bearerbox and smsbox):
        raise BenchError("Kannel is missing and could not be installed: apt-get install kannel")
    return bearerbox, smsbox


class KannelTarget(Target):
    name = "kannel"
    ok_prefix = "0:"
    idle_path = "/bench-idle"  # smsbox answers 404 "Unknown request." and creates nothing
    idle_body = "Unknown request"
    idle_is_http_error = True

    def __init__(self, opts: Options) -> None:
        super().__init__(opts)
        self.admin_port = 0

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "store": self.opts.kannel_store,
            "binds": self.opts.binds,
            "window": self.opts.window,
            "dlr_mask": 3 if self.opts.receipts else 0,
        }

    def config(self, workdir: Path, sink_port: int, smsbox_port: int) -> str:
        opts = self.opts
        store = ""
        if opts.kannel_store == "file":
            store = f'store-type = file\nstore-location = "{workdir / "kannel.store"}"\n'
        elif opts.kannel_store == "spool":
            (workdir / "spool").mkdir()
            store = f'store-type = spool\nstore-location = "{workdir / "spool"}"\n'
        smscs = "".join(
            "group = smsc\n"
            "smsc = smpp\n"
            "smsc-id = sink\n"
            f"smsc-admin-id = sink{i}\n"
            "host = 127.0.0.1\n"
            f"port = {sink_port}\n"
            "transceiver-mode = true\n"
            "smsc-username = bench\n"
            "smsc-password = bench\n"
            'system-type = ""\n'
            "interface-version = 34\n"
            f"max-pending-submits = {opts.window}\n"
            "enquire-link-interval = 30\n"
            "reconnect-delay = 1\n"
            "source-addr-ton = 3\n"
            "source-addr-npi = 0\n"
            "dest-addr-ton = 1\n"
            "dest-addr-npi = 1\n\n"
            for i in range(opts.binds)
        )
        return (
            "group = core\n"
            f"admin-port = {self.admin_port}\n"
            "admin-interface = 127.0.0.1\n"
            f"admin-password = {ADMIN_PASSWORD}\n"
            f"status-password = {ADMIN_PASSWORD}\n"
            'admin-allow-ip = "127.0.0.1"\n'
            f"smsbox-port = {smsbox_port}\n"
            "smsbox-interface = 127.0.0.1\n"
            'box-allow-ip = "127.0.0.1"\n'
            f'log-file = "{workdir / "bearerbox.log"}"\n'
            "log-level = 3\n"
            "dlr-storage = internal\n"
            f"{store}\n"
            f"{smscs}"
            "group = smsbox\n"
            "bearerbox-host = 127.0.0.1\n"
            f"bearerbox-port = {smsbox_port}\n"
            f"sendsms-port = {self.port}\n"
            "sendsms-interface = 127.0.0.1\n"
            f'log-file = "{workdir / "smsbox.log"}"\n'
            "log-level = 3\n\n"
            "group = sendsms-user\n"
            f"username = {KANNEL_USER}\n"
            f"password = {KANNEL_PASSWORD}\n"
            "max-messages = 1\n"
        )

    def status(self) -> str:
        url = f"http://127.0.0.1:{self.admin_port}/status.txt?password={ADMIN_PASSWORD}"
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                return str(resp.read().decode(errors="replace"))
        except (OSError, urllib.error.URLError):
            return ""

    def start(self, procs: Processes, workdir: Path, sink: Sink) -> None:
        bearerbox, smsbox = require_kannel()
        self.admin_port, smsbox_port, self.port = free_port(), free_port(), free_port()
        conf = workdir / "kannel.conf"
        conf.write_text(self.config(workdir, sink.port, smsbox_port))
        self.procs = [
            procs.start(
                "bearerbox", [bearerbox, "-v", "4", str(conf)], log=workdir / "bb.out", cwd=workdir
            )
        ]
        wait_until(lambda: "Status: running" in self.status(), 30, "bearerbox", self.alive)
        sink.wait_binds(self.opts.binds, 30, self.alive)
        self.procs.append(
            procs.start(
                "smsbox", [smsbox, "-v", "4", str(conf)], log=workdir / "sb.out", cwd=workdir
            )
        )
        wait_until(lambda: tcp_open(self.port), 30, "smsbox sendsms port", self.alive)
        wait_until(lambda: "smsbox:" in self.status(), 30, "smsbox connection", self.alive)

    def path_prefix_suffix(self) -> tuple[str, str]:
        dlr = "&dlr-mask=3" if self.opts.receipts else ""
        return (
            f"/cgi-bin/sendsms?username={KANNEL_USER}&password={KANNEL_PASSWORD}"
            f"&from={SENDER}&text={TEXT}{dlr}&to=",
            "",
        )

    def logs(self, workdir: Path) -> str:
        return "\n".join(
            tail(workdir / name) for name in ("bb.out", "bearerbox.log", "sb.out", "smsbox.log")
        )


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


def main(argv: list[str] | None = None) -> int:
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
    parser.add_argument(
        "--serve-api-workers",
        type=int,
        default=0,
        metavar="N",
        help="run smsgate as `smsgate serve --api-workers N` (default: one process)",
    )
    args = parser.parse_args(argv)
    opts = options_from(args)
    opts.kannel_store = args.kannel_store
    os.chdir(REPO)
    require_wrk()
    require_kannel()
    data: dict[str, Any] = {
        "started_at": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine_info(),
        "options": {k: v for k, v in vars(opts).items() if k != "extra"},
    }
    kannel, smsgate = KannelTarget(opts), SmsgateTarget(opts)
    try:
        with terminate_as_interrupt():
            data["kannel"] = run_target(kannel, opts)
            if args.smsgate:
                data["smsgate"] = run_target(smsgate, opts)
    except KeyboardInterrupt:
        print("interrupted; every started process was stopped", file=sys.stderr)
        return 130
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    runs = data["kannel"]["runs"] + (data["smsgate"]["runs"] if args.smsgate else [])
    problems = check_runs(runs, opts)
    data["problems"] = problems
    if args.smsgate:
        data["ratio_smsgate_over_kannel"] = ratios(data["smsgate"], data["kannel"])
    data["machine"]["git_commit_at_end"] = git_commit()  # src changes under our feet
    path = write_results(data, args.json, "kannel-")
    print_summary(options_title(kannel, opts), data["kannel"]["summary"])
    if args.smsgate:
        print_summary(options_title(smsgate, opts), data["smsgate"]["summary"])
        print("\nsmsgate / Kannel (medians)")
        labels = {key: label for key, label, _ in FIGURES}
        for key in RATIO_FIGURES:
            label, value = labels[key], data["ratio_smsgate_over_kannel"][key]
            print(f"  {label:<18}{fmt(value, '{:.2f}x'):>12}")
    print(f"\ncommit {data['machine']['git_commit']}, results in {path}")
    for problem in problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
