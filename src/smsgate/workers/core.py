"""`smsgate serve --api-workers N`: this process keeps the store and delivery, N others serve HTTP.

One Python process is bound to one core: on a busy gateway, parsing and answering HTTP takes
about half of it and committing and delivering the other half. With `--api-workers N` the
process that runs `serve` (the core) binds the public port, starts N API workers on it
(`workers/worker.py`) and does everything that writes: the group commit, the dispatcher, the
SMPP sessions, receipts and inbound messages. On SQLite it stays the only writer of the
database, as without workers. The workers answer api_web, the REST door, `/healthz`, `/readyz`
(the core's readiness, asked over the socketpair) and `/metrics` (the core's metrics with the
worker's api_web counters); every other route (the JSON API, the console, the docs) they pass
to the core's own HTTP server on a Unix socket (workers/core_http.py), so the public port
serves what plain `serve` does.
"""

import asyncio
import logging
import logging.config
import os
import signal
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import uvloop
from starlette.types import ASGIApp

from smsgate.constants import WORKER_LISTEN_BACKLOG
from smsgate.http.log_scrub import logging_config
from smsgate.metrics import core_exposition
from smsgate.runtime import freeze_startup_heap
from smsgate.services.group_commit import Accepter
from smsgate.services.optouts import AddsOptOut
from smsgate.services.readiness import Readiness
from smsgate.workers.core_endpoint import CoreEndpoint
from smsgate.workers.core_http import CoreHttp
from smsgate.workers.supervisor import WorkerSupervisor
from smsgate.workers.worker import CORE_HTTP_ENV

log = logging.getLogger(__name__)


def listen(host: str, port: int, count: int) -> list[socket.socket]:
    """One listening socket per worker, all on `host:port` with SO_REUSEPORT, so the kernel
    spreads new connections over the workers (one shared socket would let whichever worker
    wakes first take a whole burst of connections). OSError if the port cannot be bound."""
    first = socket.create_server((host, port), backlog=WORKER_LISTEN_BACKLOG, reuse_port=True)
    sockets = [first]
    try:
        bound = first.getsockname()[1]  # the real port when `port` is 0
        for _ in range(count - 1):
            sockets.append(
                socket.create_server((host, bound), backlog=WORKER_LISTEN_BACKLOG, reuse_port=True)
            )
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


@dataclass(frozen=True)
class Core:
    """What the core process runs (the entry point builds it from a gateway): its start and
    stop, the group commit the workers' messages go to, and the opt-out list their stop
    commands go to."""

    start: Callable[[], Awaitable[None]]
    stop: Callable[[], Awaitable[None]]
    accepter: Accepter
    ready: Callable[[], Awaitable[Readiness]]  # the gateway's readiness, for the workers' /readyz
    log_level: str
    log_format: str
    optouts: AddsOptOut
    app: ASGIApp  # the gateway's own app, its lifespan without the gateway (see core_http.py)


def run_core(core: Core, listeners: list[socket.socket], *, access_log: bool) -> None:
    """Run until SIGINT or SIGTERM; then stop the workers first, the gateway last."""
    logging.config.dictConfig(
        logging_config(core.log_level, access_log=access_log, log_format=core.log_format)
    )
    env = dict(os.environ)
    env["SMSGATE_ACCESS_LOG"] = "true" if access_log else "false"
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(_main(core, listeners, env))


async def _main(core: Core, listeners: list[socket.socket], env: dict[str, str]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await core.start()
    freeze_startup_heap()
    http = CoreHttp(core.app, log_level=core.log_level, log_format=core.log_format)
    try:
        await http.start()
        supervisor = WorkerSupervisor(
            listeners,
            lambda: CoreEndpoint(core.accepter, core_exposition, core.ready, core.optouts),
            env={**env, CORE_HTTP_ENV: http.path},
        )
        await supervisor.start()
        host, port = listeners[0].getsockname()[:2]
        log.info("smsgate core: %d API workers on http://%s:%d", len(listeners), host, port)
        try:
            await stop.wait()
        finally:
            await supervisor.stop()  # they finish their requests while the core still commits
    finally:
        for listener in listeners:
            listener.close()
        await http.stop()
        await core.stop()
