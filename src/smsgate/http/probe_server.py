"""`/metrics`, `/healthz` and `/readyz` of a process with no HTTP API (`smsgate dispatch`).

A dispatcher serves no API, but an orchestrator still asks it whether it lives (`/healthz`)
and whether it may be counted on (`/readyz`: the store takes a write and a bind is up, the
process's `ReadinessCheck`, services/readiness.py), and Prometheus scrapes it. prometheus_client's
exporter answers every path with the metrics, so its WSGI app is put behind these three routes
and served the way the exporter serves itself (the standard library's threaded WSGI server, off
the event loop, so a scrape never waits for the loop). `/readyz` runs the check on the event
loop that owns the store and waits for it, bounded. Anything else is a 404.
"""

import asyncio
import socket
import threading
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

from smsgate.constants import READINESS_PROBE_TIMEOUT_SECONDS
from smsgate.services.readiness import Readiness, one_line

_WAIT_SECONDS = READINESS_PROBE_TIMEOUT_SECONDS + 1.0  # the check's own bound, and a margin
_TEXT = ("Content-Type", "text/plain; charset=utf-8")

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No line on stderr per probe: orchestrators ask every few seconds."""


class ProbeServer:
    """The three routes on `host:port`, from `start` until `stop` (see the module docstring)."""

    def __init__(
        self,
        host: str,
        port: int,
        ready: Callable[[], Awaitable[Readiness]],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        """`ready` is run on `loop` (the loop that owns the store). OSError if the address
        cannot be bound."""
        self._ready = ready
        self._loop = loop
        self._metrics = make_wsgi_app()
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        server_class = type("_Server", (ThreadingWSGIServer,), {"address_family": family[0][0]})
        self._httpd: WSGIServer = make_server(
            host, port, self._app, server_class, handler_class=_Quiet
        )
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="smsgate-probes", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def _app(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            result: Iterable[bytes] = self._metrics(environ, start_response)
            return result
        if path == "/healthz":
            start_response("200 OK", [_TEXT])
            return [b"ok"]
        if path == "/readyz":
            answer = self._readiness()
            status = "200 OK" if answer.ready else "503 Service Unavailable"
            start_response(status, [_TEXT])  # a new list: the server adds Content-Length to it
            return [b"ready" if answer.ready else f"not ready: {answer.reason}".encode()]
        start_response("404 Not Found", [_TEXT])
        return [b"not found"]

    def _readiness(self) -> Readiness:
        """The check, run on the store's loop from this server's thread."""
        try:
            future = asyncio.run_coroutine_threadsafe(_call(self._ready), self._loop)
            return future.result(timeout=_WAIT_SECONDS)
        except TimeoutError:
            return Readiness(False, "the readiness check did not answer")
        except Exception as exc:  # the loop closed (stopping), or the check itself failed
            return Readiness(False, one_line(exc))


async def _call(ready: Callable[[], Awaitable[Readiness]]) -> Readiness:
    return await ready()
