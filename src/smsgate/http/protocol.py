"""The HTTP/1.1 protocol of every smsgate HTTP process: uvicorn's httptools protocol, guarded.

uvicorn (with httptools) leaves these to the application; this subclass adds them:

* **Deadlines.** The request head must be complete `header_timeout` seconds after the
  connection opened or the request's first byte arrived, and the body `body_timeout` seconds
  after the head. uvicorn's only timeout is the idle keep-alive one, and it is cancelled by the
  first byte, so a client that never finishes its headers held its connection for ever. The
  hot path only notes which phase a connection is in (head, body, or neither: waiting for the
  reply or idle); one watchdog timer per connection, every eighth of the shorter timeout,
  notes when it first saw a phase and closes the connection once that phase has lasted its
  timeout. So a deadline is kept to within a quarter of it, and no request reads the clock.
* **A cap on open connections** per process (`max_connections`): a connection over it is
  closed at once. uvicorn's `limit_concurrency` answers 503 only once a request's headers are
  in, so it bounds neither idle nor slow connections.
* **A size limit on the request head** (`MAX_REQUEST_HEAD_BYTES`). llhttp has none, and uvicorn
  keeps the whole request target in memory until `httptools.parse_url` refuses it at 64 KiB
  with a bare 400. Over the limit the client gets api_web's one line, `FAILURE: Request too
  large` (HTTP 200, like every api_web reply), the write side is shut and whatever else it
  sends is dropped unread until it closes or the header deadline passes: closing at once with
  unread data would reset the connection, and a reset can destroy the reply in flight.
* **Raw UTF-8 in the request target**, which llhttp refuses: see `request_line.py`.

Under these guards, `cycle.CycleProtocol` answers api_web GETs without uvicorn's request cycle
and ASGI messages (`direct.py`) and keeps one keep-alive timer per connection; each response
leaves in one socket write (`coalescing.py`), and its access line is written by
`log_batch.FastAccessLog` where that gives the same line as the logger.
"""

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Final

import httptools
from uvicorn.config import Config
from uvicorn.server import ServerState

from smsgate.constants import MAX_REQUEST_HEAD_BYTES
from smsgate.domain.send import REQUEST_TOO_LARGE, failure
from smsgate.http.cycle import CycleProtocol
from smsgate.http.log_batch import access_logger
from smsgate.http.request_line import encode_request_line
from smsgate.metrics import HTTP_REFUSED

log = logging.getLogger(__name__)

_TOO_LARGE_BODY = failure(REQUEST_TOO_LARGE).encode()
TOO_LARGE_RESPONSE: Final = b"".join(
    (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\n",
        b"content-length: %d\r\nconnection: close\r\n\r\n" % len(_TOO_LARGE_BODY),
        _TOO_LARGE_BODY,
    )
)
CAP_WARNING_INTERVAL: Final = 60.0  # at most one "connection cap reached" warning a minute
_REASONS = ("connections", "too_large", "header_timeout", "body_timeout")
_REFUSED = {reason: HTTP_REFUSED.labels(reason) for reason in _REASONS}

# Where the next bytes of a connection fall: a request line starting with them, the rest of a
# request line that started a chunk, or anything else (headers, a body, a pipelined request).
_LINE_AT_START, _LINE_OPEN, _PAST_LINE = 0, 1, 2
# What a connection is doing: nothing timed (waiting for its reply, or idle between requests:
# uvicorn's keep-alive timeout), reading a request head or body, or lingering after a refusal.
_IDLE, _HEAD, _BODY, _LINGER = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class HttpLimits:
    header_timeout: float
    body_timeout: float
    max_connections: int
    max_head_bytes: int = MAX_REQUEST_HEAD_BYTES

    @property
    def check_interval(self) -> float:
        return min(self.header_timeout, self.body_timeout) / 8


class _TooLarge(Exception):
    """Raised in a parser callback to stop parsing a request head over the limit."""


class GuardedHttpToolsProtocol(CycleProtocol):
    """uvicorn's httptools protocol with deadlines, a connection cap and a head size limit."""

    _last_cap_warning = -CAP_WARNING_INTERVAL  # per process, shared by every connection

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        limits: HttpLimits,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        if self.access_log:  # the same line for a fraction of the CPU (log_batch.py)
            self.access_logger = access_logger(self.access_logger)  # type: ignore[assignment]
        self._limits = limits
        self._phase = _HEAD
        self._phase_id = 0  # one more for every timed phase that starts
        self._since: tuple[int, float] | None = None  # (phase id, when the watchdog saw it)
        self._watchdog: asyncio.TimerHandle | None = None
        self._line = _LINE_AT_START
        self._head_bytes = 0
        self._done_scope: object = None  # the scope of the last request read in full

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self._limits.max_connections:
            self._over_the_cap()
            return
        self._since = (self._phase_id, self.loop.time())
        self._watchdog = self.loop.call_later(self._limits.check_interval, self._check_deadline)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_watchdog()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._phase == _IDLE:  # the first byte of the next request
            self._phase = _HEAD
            self._phase_id += 1
        elif self._phase == _LINGER:
            return
        if self._line != _PAST_LINE:
            if data.isascii():
                self._line = _PAST_LINE if b"\n" in data else _LINE_OPEN
            else:
                data, ended = encode_request_line(data)
                self._line = _PAST_LINE if ended else _LINE_OPEN
        if self._phase == _HEAD:
            self._head_bytes += len(data)
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:  # as uvicorn's own data_received
            if self._should_upgrade():
                self._stop_watchdog()  # the connection is another protocol's from now on
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError as exc:
            if isinstance(exc.__context__, _TooLarge):
                self._refuse_too_large()
            else:
                self.logger.warning("Invalid HTTP request received.")
                self.send_400_response("Invalid HTTP request received.")
            return
        if self._line == _LINE_AT_START and self.scope is not self._done_scope:
            # a request ended in this chunk and the next began in it (pipelining): its line
            # did not start a chunk, so it is not encoded, and its head is timed from now
            self._line = _PAST_LINE
            self._phase = _HEAD
            self._phase_id += 1
        if self._phase == _HEAD and self._head_bytes > self._limits.max_head_bytes:
            self._refuse_too_large()

    def on_headers_complete(self) -> None:
        if len(self.url) > self._limits.max_head_bytes:  # arrived in one read with the rest
            raise _TooLarge
        self._phase = _BODY
        self._phase_id += 1
        CycleProtocol.on_headers_complete(self)  # not super(): this runs for every request

    def on_message_complete(self) -> None:
        self._phase = _IDLE
        self._line = _LINE_AT_START
        self._head_bytes = 0
        self._done_scope = self.scope
        CycleProtocol.on_message_complete(self)

    def _stop_watchdog(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None

    def _check_deadline(self) -> None:
        self._watchdog = None
        if self.transport.is_closing():
            return
        now = self.loop.time()
        phase = self._phase
        if phase == _IDLE:
            self._since = None
        elif self._since is None or self._since[0] != self._phase_id:
            self._since = (self._phase_id, now)
        elif now - self._since[1] >= (
            self._limits.body_timeout if phase == _BODY else self._limits.header_timeout
        ):
            if phase != _LINGER:
                _REFUSED["header_timeout" if phase == _HEAD else "body_timeout"].inc()
            self.transport.close()
            return
        self._watchdog = self.loop.call_later(self._limits.check_interval, self._check_deadline)

    def _refuse_too_large(self) -> None:
        _REFUSED["too_large"].inc()
        self._phase = _LINGER  # for the header timeout: what arrives meanwhile is dropped
        self._phase_id += 1
        self._since = (self._phase_id, self.loop.time())
        self.transport.write(TOO_LARGE_RESPONSE)
        if self.transport.can_write_eof():
            self.transport.write_eof()
        else:
            self.transport.close()

    def _over_the_cap(self) -> None:
        _REFUSED["connections"].inc()
        now = self.loop.time()
        cls = GuardedHttpToolsProtocol
        if now - cls._last_cap_warning >= CAP_WARNING_INTERVAL:
            cls._last_cap_warning = now
            log.warning(
                "%d HTTP connections open: closing new ones (SMSGATE_MAX_CONNECTIONS)",
                self._limits.max_connections,
            )
        self.transport.close()


@dataclass(frozen=True, slots=True)
class GuardedProtocolFactory:
    """What `uvicorn.Config(http=...)` calls to make a connection's protocol. A picklable
    object rather than a class made on the fly: `uvicorn.run(workers=N)` pickles its config
    into the worker processes."""

    limits: HttpLimits

    def __call__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> GuardedHttpToolsProtocol:
        return GuardedHttpToolsProtocol(config, server_state, app_state, _loop, limits=self.limits)
