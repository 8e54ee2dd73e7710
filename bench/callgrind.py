"""Instructions per message of `smsgate serve`, counted by valgrind's callgrind.

    .venv/bin/python -m bench.callgrind [--requests 1000] [--warmup 200] [--receipts]
                                        [--src DIR] [--keep]

Wall-clock figures on a shared 2-core machine move by ±30 % with whatever else runs there;
instruction counts do not (two runs of one commit differ by about 2 %), so a change to the
request or delivery path is measured here first, then confirmed with `bench.ab`.

What it does: the sink of `bench/sink.py`; a data directory with the benchmark's realm and
sender code; `smsgate serve` with its defaults (access log on) under
`valgrind --tool=callgrind --instr-atstart=no`; `--warmup` api_web requests (the benchmark's
URL, US numbers) one after another on one keep-alive connection; `callgrind_control --zero`
and instrumentation on; `--requests` more the same way; once the sink has them all,
`callgrind_control --dump`; the instructions of every thread of the server in that dump (not
the one written at exit, which holds the shutdown) / `--requests`.
One connection keeps the group commit at one message a transaction, so the figure is
repeatable but holds the commit's fixed cost per message, which the 50 connections of
`bench.run` share among a batch. `--src DIR` puts another tree's `src` first on
`PYTHONPATH` (an A/B against a `git worktree`). The callgrind file is kept with `--keep`,
for `callgrind_annotate`.

`--receipts` measures the path of `bench.kannel --receipts`: the connection asks for delivery
receipts (`request_receipts = true`) and the sink sends one per submit_sm; the dump waits
until the sink has a deliver_sm_resp for every receipt, which the gateway sends only once the
receipt's status is committed, so the count holds each message's receipt, end to end. Its
counts spread more (up to ~8 % between runs of one tree, more on a loaded box): how a receipt's
status write and the next request's accept fall into writer rounds follows the timing. Compare
medians of alternated runs (A, B, A, B, ...).
"""

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import REPO
from bench.harness.processes import BenchError, Processes, free_port, http_ok, wait_until
from bench.harness.targets.base import PASSWORD, REALM, SENDER, TEXT
from bench.harness.targets.sink import Sink

STARTUP_TIMEOUT = 600.0  # seconds: imports under valgrind are ~50x slower
CONFIG = """[[smpp]]
name = "sink"
host = "127.0.0.1"
port = {port}
system_id = "bench"
password = "bench"
bind = "transceiver"
window = 500
default = true
"""


def _send(conn: http.client.HTTPConnection, start: int, count: int) -> None:
    for n in range(start, start + count):
        path = (
            f"/bin/api_web?r={REALM}&p={PASSWORD}&c=smssendmessagetophone"
            f"&sender_code={SENDER}&message_text={TEXT}&phone=1300{n:07d}"
        )
        conn.request("GET", path)
        body = conn.getresponse().read()
        if not body.startswith(b"SUCCESS"):
            raise BenchError(f"request {n} failed: {body!r}")


def _delivered(sink: Sink) -> int:
    try:
        return int(json.loads(sink.stats_path.read_text())["submits"])
    except (OSError, ValueError, KeyError):
        return -1


def _processed(sink: Sink, receipts: bool) -> int:
    """Messages done: submitted, and with `receipts` their receipt committed and answered."""
    if not receipts:
        return _delivered(sink)
    try:
        stats = json.loads(sink.stats_path.read_text())
        return min(int(stats["submits"]), int(stats["deliver_sm_resp"]))
    except (OSError, ValueError, KeyError):
        return -1


def config(sink_port: int, receipts: bool) -> str:
    """The TOML file: one `[[smpp]]` transceiver to the sink. Without `receipts` the gateway's
    own default (it asks for them; the sink sends none), as the figures before the option."""
    text = CONFIG.format(port=sink_port)
    return text + "request_receipts = true\n" if receipts else text


def measure(
    requests: int, warmup: int, src: Path | None, keep: bool, receipts: bool = False
) -> tuple[float, float, Path]:
    if shutil.which("valgrind") is None:
        raise BenchError("valgrind is not installed (apt-get install valgrind)")
    workdir = Path(tempfile.mkdtemp(prefix="smsgate-cg-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSGATE_")}
    if src is not None:
        env["PYTHONPATH"] = str(src)
    port = free_port()
    out = workdir / "callgrind.out"
    procs = Processes()
    try:
        sink = Sink.start(procs, workdir, receipts=receipts)
        toml = workdir / "smsgate.toml"
        toml.write_text(config(sink.port, receipts))
        env.update(
            SMSGATE_DATA_DIR=str(workdir / "data"),
            SMSGATE_CONFIG=str(toml),
            SMSGATE_HOST="127.0.0.1",
            SMSGATE_PORT=str(port),
        )
        (workdir / "data").mkdir()
        cli = [sys.executable, "-c", "from smsgate.cli.main import main; main()"]
        for args in (
            ["realm", "add", REALM, "--password", PASSWORD],
            ["sender", "add", REALM, SENDER],
        ):
            subprocess.run([*cli, *args], env=env, check=True, capture_output=True, cwd=workdir)
        serve = procs.start(
            "smsgate",
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={out}",
                *cli,
                "serve",
            ],
            log=workdir / "smsgate.log",
            env=env,
            cwd=workdir,
        )
        alive = lambda: serve.poll() is None  # noqa: E731
        wait_until(
            lambda: http_ok(f"http://127.0.0.1:{port}/healthz"), STARTUP_TIMEOUT, "serve", alive
        )
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        _send(conn, 0, warmup)
        wait_until(
            lambda: _processed(sink, receipts) >= warmup, 120, "the warm-up's delivery", alive
        )
        subprocess.run(
            ["callgrind_control", "--instr=on", str(serve.pid)], check=True, capture_output=True
        )
        subprocess.run(
            ["callgrind_control", "--zero", str(serve.pid)], check=True, capture_output=True
        )
        started = time.monotonic()
        _send(conn, warmup, requests)
        wait_until(
            lambda: _processed(sink, receipts) >= warmup + requests, 120, "the delivery", alive
        )
        subprocess.run(
            ["callgrind_control", "--dump", str(serve.pid)], check=True, capture_output=True
        )
        seconds = time.monotonic() - started
        conn.close()
    finally:
        procs.stop_all()
    # only the explicit dump (callgrind.out.1): the one written at exit holds the shutdown
    total = 0
    for dump in workdir.glob("callgrind.out.*"):
        for line in dump.read_text(errors="replace").splitlines():
            if line.startswith("totals:") or line.startswith("summary:"):
                total += int(line.split()[1])
                break
    if not keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return total / requests, seconds, workdir


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--src", type=Path, help="a tree whose src/ goes first on PYTHONPATH")
    parser.add_argument("--keep", action="store_true", help="keep the directory and dumps")
    parser.add_argument(
        "--receipts", action="store_true", help="ask for delivery receipts; the sink sends them"
    )
    return parser


def main() -> None:
    opts = parser().parse_args()
    src = (opts.src / "src").resolve() if opts.src else None
    per_msg, seconds, workdir = measure(opts.requests, opts.warmup, src, opts.keep, opts.receipts)
    print(
        f"instructions/msg {per_msg:,.0f}  ({seconds:.0f} s; "
        f"{'receipts; ' if opts.receipts else ''}"
        f"{f'kept in {workdir}' if opts.keep else 'no files kept'}; "
        f"tree {src or REPO / 'src'})"
    )


if __name__ == "__main__":
    main()
