"""The core's own HTTP server under `serve --api-workers N`: the routes its workers pass on.

The workers answer api_web, WhatCounts' REST door, /healthz, /readyz and /metrics themselves
and pass every other request (the JSON API /v1, /openapi.json, /docs, the console, the
simulator's MO hook) to this server (http/core_proxy.py). It runs the app of a gateway process
(bootstrap/app.py) in the core, the one process that writes, so those routes see the store and
the services exactly as under plain `serve`. It listens on a Unix socket in a directory only
this user may enter, made for this run and removed at its end, and believes the
X-Forwarded-For and X-Forwarded-Proto its workers set (the client each worker served, after
that worker's own trusted proxies); no access log here: the worker that answered logs the line.

uvicorn's `Server` is run as a task of the core's event loop. It would take SIGINT and SIGTERM
for itself; the core's handlers stop it instead (`capture_signals` is a no-op here).
"""

import asyncio
import contextlib
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp

from smsgate.constants import CORE_HTTP_STOP_SECONDS, UNIX_SOCKET_PATH_MAX
from smsgate.http.log_scrub import logging_config


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, listening: asyncio.Event) -> None:
        super().__init__(config)
        self._listening = listening

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the core's signal handlers stop this server (see the module docstring)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self._listening.set()


class CoreHttp:
    """`app` on a Unix socket (`path`) from `start` until `stop`."""

    def __init__(self, app: ASGIApp, *, log_level: str, log_format: str) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="smsgate-core-", dir=_socket_parent()))
        self.path = str(self._dir / "http.sock")
        self._config = uvicorn.Config(
            app,
            log_config=logging_config(log_level, access_log=False, log_format=log_format),
            access_log=False,
            lifespan="on",  # the app's start and stop: the console's background work
            server_header=False,
            proxy_headers=True,
            forwarded_allow_ips="*",  # only this user's processes can reach the socket
            timeout_graceful_shutdown=CORE_HTTP_STOP_SECONDS,
        )
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Listen; returns once the app has started and the socket accepts."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(self.path)
        sock.listen(socket.SOMAXCONN)
        listening = asyncio.Event()
        self._server = _Server(self._config, listening)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        started = asyncio.create_task(listening.wait())
        await asyncio.wait({self._task, started}, return_when=asyncio.FIRST_COMPLETED)
        if not listening.is_set():
            started.cancel()
            sock.close()
            await self._task  # raises what stopped it (the app's start failed)
            raise RuntimeError("the core's HTTP server stopped while starting")

    async def stop(self) -> None:
        """Finish the requests in flight (bounded), stop the app, remove the socket."""
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            with contextlib.suppress(Exception):
                await self._task
        shutil.rmtree(self._dir, ignore_errors=True)


def _socket_parent() -> str:
    """Where the socket's directory (mode 0700) goes: the temporary directory, unless its path
    is too long for a Unix socket's address (107 bytes on Linux; a deep TMPDIR is), then /tmp."""
    parent = tempfile.gettempdir()
    room = UNIX_SOCKET_PATH_MAX - len("/smsgate-core-XXXXXXXX/http.sock")
    return parent if len(os.fsencode(parent)) <= room else "/tmp"
