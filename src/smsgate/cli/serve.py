"""`smsgate serve`: run the gateway (API, and the dispatcher unless told otherwise).

`--workers N` runs N API processes on one port (uvicorn's worker processes, each building its
own gateway through the `smsgate.bootstrap.app:app_from_env` factory). The command line is passed to
the workers as `SMSGATE_*` environment variables. On SQLite that needs `--no-dispatch` (one
dispatcher per database: run `smsgate dispatch` once); on PostgreSQL every worker that
dispatches is one more dispatcher sharing the binds (docs/deployment.md).

`--api-workers N` keeps ONE gateway (this process: the store, the group commit, delivery) and
puts N API processes in front of it on the port, which hand accepted messages to it
(`workers/core.py`). It works on SQLite and PostgreSQL, and uses more than one core for one
database writer.

Without `--api-workers` (or `SMSGATE_API_WORKERS`), the topology is chosen for the machine
(`default_api_workers`): one API worker where two or more CPUs are usable and this process
dispatches, one process otherwise. Measured, not assumed (bench/README.md, "Fourth sitting"):
on both 2-vCPU machines where both were run side by side with Kannel, one API worker in front
of the gateway delivered more messages per second than one process (1.19x Kannel against
1.01x on an Intel Xeon; 1.12x the one process's rate on an AMD EPYC), for more CPU per
message; on one CPU the two processes would only take turns. `--api-workers 0` keeps one
process.
"""

import os
import sys
from typing import TYPE_CHECKING

import typer

from smsgate.bootstrap.cli import check_database_location
from smsgate.cli.common import fail, load_settings
from smsgate.config import ConfigError, load_config
from smsgate.constants import GIL_SWITCH_INTERVAL
from smsgate.runtime import freeze_startup_heap
from smsgate.services.errors import DataDirUnusable
from smsgate.settings import Settings

if TYPE_CHECKING:
    from smsgate.bootstrap import Gateway


def serve(
    host: str | None = typer.Option(None, "--host", help="Default: SMSGATE_HOST or 127.0.0.1."),
    port: int | None = typer.Option(None, "--port", help="Default: SMSGATE_PORT or 8080."),
    access_log: bool | None = typer.Option(
        None, "--access-log/--no-access-log", help="Default: SMSGATE_ACCESS_LOG or on."
    ),
    no_dispatch: bool = typer.Option(
        False, "--no-dispatch", help="API only: leave delivery to `smsgate dispatch` processes."
    ),
    workers: int = typer.Option(
        1, "--workers", min=1, help="API processes sharing the port (each one a gateway)."
    ),
    api_workers: int | None = typer.Option(
        None,
        "--api-workers",
        min=0,
        help="HTTP processes in front of this one, which alone commits and delivers "
        "(0: one process). Default: SMSGATE_API_WORKERS, else 1 with 2 or more CPUs.",
    ),
) -> None:
    """Run the gateway (API and dispatcher) in the foreground until interrupted."""
    # The server and the delivery stack are imported here, not at the top: every other CLI
    # command would otherwise pay for importing them.
    import uvicorn

    from smsgate.bootstrap.app import gateway_app
    from smsgate.http.serving import uvicorn_options

    settings = load_settings()
    # aiosqlite runs each statement on its own thread; with the default 5 ms GIL switch
    # interval that thread waits up to 5 ms for the busy event loop at every statement.
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    if no_dispatch:
        settings = settings.model_copy(update={"dispatch": False})
    if access_log is None:
        access_log = settings.access_log
    if api_workers is None:
        api_workers = settings.api_workers
    if workers > 1 and api_workers:
        fail("use either --workers or --api-workers")
        return
    if api_workers is None:
        api_workers = default_api_workers(
            usable_cpus(), workers=workers, dispatch=settings.dispatch
        )
    try:  # one line, before any worker process or server starts
        check_database_location(settings.resolved_database_url)
    except DataDirUnusable as exc:
        fail(str(exc))
        return
    if workers > 1:
        _serve_workers(settings, workers, host or settings.host, port or settings.port, access_log)
        return
    if api_workers:
        _serve_core(settings, api_workers, host or settings.host, port or settings.port, access_log)
        return
    gateway = _build(settings)
    config = uvicorn.Config(
        gateway_app(gateway),
        host=host or settings.host,
        port=port or settings.port,
        **uvicorn_options(settings, access_log),
    )
    server = uvicorn.Server(config)
    freeze_startup_heap()
    server.run()
    if not server.started:
        raise typer.Exit(1)


def _serve_workers(
    settings: Settings, workers: int, host: str, port: int, access_log: bool
) -> None:
    """Run `workers` uvicorn worker processes; each reads its settings from the environment."""
    if settings.is_sqlite and settings.dispatch:
        fail(
            "--workers > 1 on SQLite needs --no-dispatch (and one `smsgate dispatch`); "
            "--api-workers N uses more cores with one gateway"
        )
        return
    try:
        load_config(settings.config)  # fail here with one line, not in every worker
    except ConfigError as exc:
        fail(str(exc))
        return
    os.environ["SMSGATE_DISPATCH"] = "true" if settings.dispatch else "false"
    import uvicorn

    from smsgate.http.serving import uvicorn_options

    uvicorn.run(
        "smsgate.bootstrap.app:app_from_env",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        **uvicorn_options(settings, access_log),
    )


def _serve_core(
    settings: Settings, api_workers: int, host: str, port: int, access_log: bool
) -> None:
    """This process keeps the gateway; `api_workers` processes serve HTTP in front of it."""
    from smsgate.workers.core import Core, listen, run_core

    if not settings.dispatch:
        fail("--api-workers needs the dispatcher in this process (drop --no-dispatch)")
        return
    gateway = _build(settings)
    try:
        listeners = listen(host, port, api_workers)
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        fail(f"cannot listen on {host}:{port}: {reason}")
        return
    from smsgate.bootstrap.app import gateway_app

    core = Core(
        gateway.start,
        gateway.stop,
        gateway.accepter,
        gateway.readiness.check,
        settings.log_level,
        settings.log_format,
        gateway.optouts,
        gateway_app(gateway, runs_gateway=False),
    )
    run_core(core, listeners, access_log=access_log)


def _build(settings: Settings) -> "Gateway":
    """The gateway of this process; a configuration error is one line and exit status 1."""
    from smsgate.bootstrap import build

    try:
        return build(settings)
    except ConfigError as exc:
        fail(str(exc))
        raise  # not reached: fail() exits


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity, which a container's cpuset limits)."""
    return len(os.sched_getaffinity(0))


def default_api_workers(cpus: int, *, workers: int, dispatch: bool) -> int:
    """The API workers of a `serve` told none (see the module docstring): 1 with two or more
    CPUs for a lone dispatching gateway, else 0 (`--workers N` and `--no-dispatch` are
    topologies of their own)."""
    return 1 if cpus >= 2 and workers == 1 and dispatch else 0
