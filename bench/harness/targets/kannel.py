"""Kannel (Debian's `kannel` package, 1.4.5) as the system under test.

A generated kannel.conf: the core with admin and smsbox ports on loopback, the message store
(`--kannel-store`) and an access log (each SMS sent and each receipt, one line); one
`smsc = smpp` transceiver per bind to the sink with `max-pending-submits` = the window and no
throughput limit; an smsbox with a sendsms port and its own access log (each sendsms request,
one line); one sendsms-user. `--no-access-log` leaves both access logs out, like smsgate's.
`bearerbox` and `smsbox` run in the foreground (`-v 4`: console quiet).

Kannel's file store is written by a background thread without fsync, so a Kannel "0:" does
not mean the message is on disk; smsgate's SUCCESS does (see bench/README.md).
"""

import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from bench.harness.options import Options
from bench.harness.processes import BenchError, Processes, free_port, tail, tcp_open, wait_until
from bench.harness.targets.base import SENDER, TEXT, Target
from bench.harness.targets.sink import Sink

KANNEL_USER, KANNEL_PASSWORD, ADMIN_PASSWORD = "bench", "benchpw", "bench"
LOGS = ("bb.out", "bearerbox.log", "sb.out", "smsbox.log")


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
            "access_log": self.opts.access_log,
            "binds": self.opts.binds,
            "window": self.opts.window,
            "dlr_mask": 3 if self.opts.receipts else 0,
        }

    def _store(self, workdir: Path) -> str:
        if self.opts.kannel_store == "file":
            return f'store-type = file\nstore-location = "{workdir / "kannel.store"}"\n'
        if self.opts.kannel_store == "spool":
            (workdir / "spool").mkdir()
            return f'store-type = spool\nstore-location = "{workdir / "spool"}"\n'
        return ""

    def _access_log(self, path: Path) -> str:
        return f'access-log = "{path}"\n' if self.opts.access_log else ""

    def _smscs(self, sink_port: int) -> str:
        return "".join(
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
            f"max-pending-submits = {self.opts.window}\n"
            "enquire-link-interval = 30\n"
            "reconnect-delay = 1\n"
            "source-addr-ton = 3\n"
            "source-addr-npi = 0\n"
            "dest-addr-ton = 1\n"
            "dest-addr-npi = 1\n\n"
            for i in range(self.opts.binds)
        )

    def config(self, workdir: Path, sink_port: int, smsbox_port: int) -> str:
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
            f"{self._access_log(workdir / 'bearerbox-access.log')}"
            "dlr-storage = internal\n"
            f"{self._store(workdir)}\n"
            f"{self._smscs(sink_port)}"
            "group = smsbox\n"
            "bearerbox-host = 127.0.0.1\n"
            f"bearerbox-port = {smsbox_port}\n"
            f"sendsms-port = {self.port}\n"
            "sendsms-interface = 127.0.0.1\n"
            f'log-file = "{workdir / "smsbox.log"}"\n'
            "log-level = 3\n"
            f"{self._access_log(workdir / 'smsbox-access.log')}\n"
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
        return "\n".join(tail(workdir / name) for name in LOGS)
