"""`smsgate dispatch`: a dispatcher process with no HTTP API.

On PostgreSQL delivery scales separately from the API: API processes (`serve --no-dispatch`,
any number, `--workers N` each) only commit messages, and dispatcher processes claim them, hold
the SMPP binds and write statuses (docs/deployment.md). A dispatcher runs until SIGTERM or
SIGINT, then stops gracefully: it stops claiming, gives back the messages it had not started,
waits (bounded) for outstanding submit responses, unbinds, writes the last statuses, releases its
bind leases and removes its node row, so the others take over at once rather than after the
node timeout. Killed instead, it is taken over after `node_timeout`.

`--metrics-port` serves its Prometheus metrics at `/metrics`, liveness at `/healthz` and
readiness at `/readyz` (the store takes a write and a bind is up: 200 `ready` or 503 `not ready:
REASON`, as `serve` answers them; http/probe_server.py). Nothing else listens.
"""

import asyncio
import logging
import logging.config
import signal
import sys
from typing import TYPE_CHECKING

import typer

from smsgate.cli.common import command, fail, load_settings
from smsgate.config import ConfigError
from smsgate.constants import GIL_SWITCH_INTERVAL
from smsgate.http.log_scrub import logging_config
from smsgate.http.probe_server import ProbeServer
from smsgate.runtime import freeze_startup_heap
from smsgate.services.errors import DataDirUnusable

if TYPE_CHECKING:
    from smsgate.bootstrap import Gateway

log = logging.getLogger(__name__)


def dispatch(
    metrics_port: int | None = typer.Option(
        None,
        "--metrics-port",
        help="Serve /metrics (Prometheus), /healthz and /readyz at http://HOST:PORT.",
    ),
    metrics_host: str | None = typer.Option(
        None, "--metrics-host", help="Address for --metrics-port. Default: SMSGATE_HOST."
    ),
) -> None:
    """Run a dispatcher only (queue -> SMPP), until SIGTERM or SIGINT."""
    from smsgate.bootstrap import build_dispatcher  # here: other commands need not pay for it

    settings = load_settings().model_copy(update={"dispatch": True})
    logging.config.dictConfig(
        logging_config(settings.log_level, access_log=False, log_format=settings.log_format)
    )
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    try:
        gateway = build_dispatcher(settings)
    except (ConfigError, DataDirUnusable) as exc:
        fail(str(exc))
        return
    if settings.is_sqlite:
        log.warning(
            "SQLite: run exactly one dispatcher (this one), and no `serve` without --no-dispatch"
        )
    _run(gateway, metrics_port, metrics_host or settings.host)


@command
async def _run(gateway: "Gateway", metrics_port: int | None, metrics_host: str) -> None:
    loop = asyncio.get_running_loop()
    probes = None
    if metrics_port is not None:  # bound first: a port in use is one line, before any bind
        try:
            probes = ProbeServer(metrics_host, metrics_port, gateway.readiness.check, loop)
        except OSError as exc:
            fail(f"cannot listen on {metrics_host}:{metrics_port}: {exc.strerror or exc}")
            return
    stopping = asyncio.Event()
    signals = (signal.SIGTERM, signal.SIGINT)
    for signum in signals:
        loop.add_signal_handler(signum, stopping.set)
    try:
        await gateway.start()
        freeze_startup_heap()
        if probes is not None:
            probes.start()
        node = gateway.membership.node.node_id if gateway.membership is not None else "local"
        log.info("dispatcher %s running; SIGTERM or SIGINT stops it", node)
        await stopping.wait()
        log.info("dispatcher %s stopping", node)
    finally:
        if probes is not None:
            probes.stop()
        await gateway.stop()
        for signum in signals:
            loop.remove_signal_handler(signum)
    log.info("dispatcher stopped")
