"""`smsgate dispatch`: a dispatcher process with no HTTP API.

On PostgreSQL delivery scales separately from the API: API processes (`serve --no-dispatch`,
any number, `--workers N` each) only commit messages, and dispatcher processes claim them, hold
the SMPP binds and write statuses (docs/deployment.md). A dispatcher runs until SIGTERM or
SIGINT, then stops gracefully: it stops claiming, gives back the messages it had not started,
waits (bounded) for outstanding submit responses, unbinds, writes the last statuses, releases its
bind leases and removes its node row, so the others take over at once rather than after the
node timeout. Killed instead, it is taken over after `node_timeout`.

Its Prometheus metrics are served on `--metrics-port` (only `/metrics`; nothing else listens).
"""

import asyncio
import logging
import logging.config
import signal
import sys
from typing import TYPE_CHECKING

import typer
from prometheus_client import start_http_server

from smsgate.cli.common import command, fail, load_settings
from smsgate.config import ConfigError
from smsgate.constants import GIL_SWITCH_INTERVAL
from smsgate.http.log_scrub import logging_config
from smsgate.runtime import freeze_startup_heap
from smsgate.services.errors import DataDirUnusable

if TYPE_CHECKING:
    from smsgate.bootstrap import Gateway

log = logging.getLogger(__name__)


def dispatch(
    metrics_port: int | None = typer.Option(
        None, "--metrics-port", help="Serve Prometheus metrics at http://HOST:PORT/metrics."
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
    stopping = asyncio.Event()
    signals = (signal.SIGTERM, signal.SIGINT)
    for signum in signals:
        loop.add_signal_handler(signum, stopping.set)
    exporter = None
    try:
        await gateway.start()
        freeze_startup_heap()
        if metrics_port is not None:
            exporter, _thread = start_http_server(metrics_port, addr=metrics_host)
        node = gateway.membership.node.node_id if gateway.membership is not None else "local"
        log.info("dispatcher %s running; SIGTERM or SIGINT stops it", node)
        await stopping.wait()
        log.info("dispatcher %s stopping", node)
    finally:
        await gateway.stop()
        if exporter is not None:
            exporter.shutdown()
            exporter.server_close()
        for signum in signals:
            loop.remove_signal_handler(signum)
    log.info("dispatcher stopped")
