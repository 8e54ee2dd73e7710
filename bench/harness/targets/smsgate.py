"""smsgate as the system under test.

By default exactly what `scripts/run` starts: `smsgate serve` with its defaults (access log
on, log level info, one process doing API and delivery), here with its own data directory, a
TOML config whose one `[[smpp]]` transceiver points at the sink, and a free port. The tuned
setups are options: `--no-access-log`, `--serve-api-workers N` (`serve --api-workers N`), and
on PostgreSQL `--api-workers N` (`serve --no-dispatch --workers N` plus one `smsgate dispatch`,
the topology of docs/deployment.md on one box).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.harness.options import Options
from bench.harness.processes import BenchError, Processes, free_port, http_ok, tail, wait_until
from bench.harness.sampling import descendants_running, postgres_cpu_ticks
from bench.harness.targets.base import PASSWORD, REALM, SENDER, TEXT, Target
from bench.harness.targets.postgres import PostgresDatabase
from bench.harness.targets.sink import Sink

READY_TIMEOUT = 60.0  # seconds for /healthz and for every worker process to run


def smsgate_bin() -> str:
    candidate = Path(sys.executable).parent / "smsgate"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("smsgate")
    if not found:
        raise BenchError("the smsgate command is not installed (run scripts/test or pip -e .)")
    return found


class SmsgateTarget(Target):
    name = "smsgate"

    def __init__(self, opts: Options) -> None:
        super().__init__(opts)
        self.pg: PostgresDatabase | None = None

    def describe(self) -> dict[str, Any]:
        url = self.opts.database_url
        workers = self.opts.api_workers
        return {
            "name": self.name,
            "database": "postgresql" if url else "sqlite",
            "topology": (
                f"serve --no-dispatch --workers {workers} + dispatch"
                if workers
                else f"serve --api-workers {self.opts.serve_api_workers}"
                if self.opts.serve_api_workers is not None
                else f"serve (defaults: --api-workers {_default_api_workers()})"
            ),
            "access_log": self.opts.access_log,
            "binds": self.opts.binds,
            "window": self.opts.window,
            "request_receipts": self.opts.receipts,
        }

    def config(self, sink_port: int) -> str:
        """The TOML file: one `[[smpp]]` connection to the sink."""
        opts = self.opts
        return (
            "[[smpp]]\n"
            'name = "sink"\n'
            'host = "127.0.0.1"\n'
            f"port = {sink_port}\n"
            'system_id = "bench"\n'
            'password = "bench"\n'
            'bind = "transceiver"\n'
            f"binds = {opts.binds}\n"
            f"window = {opts.window}\n"
            f"request_receipts = {'true' if opts.receipts else 'false'}\n"
            "default = true\n"
        )

    def commands(self, exe: str) -> list[tuple[str, list[str]]]:
        """(log name, command) of each process to start."""
        opts = self.opts
        serve = [exe, "serve"] + ([] if opts.access_log else ["--no-access-log"])
        if opts.api_workers:
            # docs/deployment.md on one box: API-only processes, and one dispatcher
            serve += ["--no-dispatch", "--workers", str(opts.api_workers)]
            return [("smsgate", serve), ("dispatch", [exe, "dispatch"])]
        if opts.serve_api_workers is not None:
            serve += ["--api-workers", str(opts.serve_api_workers)]
        return [("smsgate", serve)]

    def environment(self, workdir: Path, config: Path) -> dict[str, str]:
        """The environment of `scripts/run` (none of the caller's SMSGATE_* variables), but
        for where the data, the config and the port are."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SMSGATE_")}
        env.update(
            SMSGATE_DATA_DIR=str(workdir / "data"),
            SMSGATE_CONFIG=str(config),
            SMSGATE_HOST="127.0.0.1",
            SMSGATE_PORT=str(self.port),
        )
        if self.pg is not None:
            env["SMSGATE_DATABASE_URL"] = self.pg.url
        return env

    def start(self, procs: Processes, workdir: Path, sink: Sink) -> None:
        config = workdir / "smsgate.toml"
        config.write_text(self.config(sink.port))
        (workdir / "data").mkdir()
        self.port = free_port()
        if self.opts.database_url:
            self.pg = PostgresDatabase(self.opts.database_url)
            self.pg.create()
        env = self.environment(workdir, config)
        exe = smsgate_bin()
        self._add_realm(exe, env, workdir)
        self.procs = [
            procs.start(name, cmd, log=workdir / f"{name}.log", env=env, cwd=workdir)
            for name, cmd in self.commands(exe)
        ]
        self._wait_ready(sink)

    def _add_realm(self, exe: str, env: dict[str, str], workdir: Path) -> None:
        for args in (
            ["realm", "add", REALM, "--password", PASSWORD],
            ["sender", "add", REALM, SENDER],
        ):
            done = subprocess.run(
                [exe, *args], env=env, capture_output=True, text=True, timeout=120, cwd=workdir
            )
            if done.returncode:
                raise BenchError(f"smsgate {' '.join(args[:2])} failed: {done.stderr.strip()}")

    def _wait_ready(self, sink: Sink) -> None:
        """/healthz answers, the sink has the bind(s), and every worker process runs."""
        opts, pid = self.opts, self.procs[0].pid
        healthz = f"http://127.0.0.1:{self.port}/healthz"
        wait_until(lambda: http_ok(healthz), READY_TIMEOUT, "smsgate serve", self.alive)
        sink.wait_binds(opts.binds, 30, self.alive)
        workers = opts.serve_api_workers
        if workers:
            # the core starts its API workers after its own start; wait for all of them
            # (plain `serve`'s one API worker, where it starts one, is what answered /healthz)
            wait_until(
                lambda: descendants_running(pid, "smsgate.workers.worker") >= workers,
                READY_TIMEOUT,
                "smsgate API workers",
                self.alive,
            )
        if opts.api_workers > 1:
            # uvicorn's workers (multiprocessing spawn; besides them the master has a
            # resource tracker); the first one up answers /healthz, so wait for all of them
            wait_until(
                lambda: descendants_running(pid, "multiprocessing.spawn") >= opts.api_workers,
                READY_TIMEOUT,
                "smsgate serve workers",
                self.alive,
            )

    def path_prefix_suffix(self) -> tuple[str, str]:
        return (
            f"/bin/api_web?r={REALM}&p={PASSWORD}&c=smssendmessagetophone"
            f"&sender_code={SENDER}&message_text={TEXT}&phone=",
            "",
        )

    def cleanup(self) -> None:
        if self.pg is not None:
            pg, self.pg = self.pg, None
            pg.drop()

    def db_cpu_ticks(self) -> int | None:
        if self.pg is None or not self.pg.local:
            return None
        return postgres_cpu_ticks()

    def db_stats(self) -> dict[str, int] | None:
        return None if self.pg is None else self.pg.stats()

    def logs(self, workdir: Path) -> str:
        text = tail(workdir / "smsgate.log")
        if self.opts.api_workers:
            text += "\n--- dispatch:\n" + tail(workdir / "dispatch.log")
        return text


def _default_api_workers() -> int:
    """The API workers plain `smsgate serve` starts on this machine (cli/serve.py); 0 for a
    tree from before that default (`bench.ab` runs older trees: their `serve` is one process)."""
    try:
        from smsgate.cli.serve import default_api_workers, usable_cpus
    except ImportError:
        return 0
    return default_api_workers(usable_cpus(), workers=1, dispatch=True)
