"""uvicorn's httptools protocol with a lighter request cycle for api_web.

Two changes to how uvicorn (0.55) drives a request, each the same to the client:

* **api_web GETs answered by the protocol.** For `GET` on an api_web path (`app.API_PATHS`)
  `on_headers_complete` fills the scope as uvicorn's does and puts a `direct.ApiCall` where
  uvicorn puts its `RequestResponseCycle`: in `self.cycle`, or in uvicorn's pipeline while an
  earlier request on the connection is answered (`_start_asgi_task`, which uvicorn calls to
  start the next one, starts it). The call writes the reply itself (`direct.py`). Everything
  else goes to uvicorn's `on_headers_complete` and the ASGI app unchanged, and so does every
  request when the app is not `FastPath` as such: uvicorn wraps it for trusted proxies'
  headers (which change the client the password guard and the access line see) and for TRACE
  logging; or when `limit_concurrency` may answer 503 (`direct_api_web`).
* **One keep-alive timer per connection.** uvicorn arms a new timer after every response and
  cancels it at every read: a `TimerHandle` made and dropped per request. Here a read clears
  `_idle_since`, a response sets it, and the one timer, when it fires, closes the connection if
  it has been idle `timeout_keep_alive` seconds, waits out the rest if it has been idle less,
  and lets the next response arm it again if it is busy. The connection closes when uvicorn's
  timer would have closed it.

Every response also leaves in one socket write: the protocol writes to a
`coalescing.CoalescingTransport`, and an `ApiCall` writes its whole response at once
(`write_now`). Written by hand: uvicorn has no hook for either (see `direct.py`).
"""

import asyncio
from typing import Any
from urllib.parse import unquote

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle
from uvicorn.server import ServerState

from smsgate.http.api_web import ApiWeb
from smsgate.http.app import API_PATHS, FastPath
from smsgate.http.coalescing import CoalescingTransport
from smsgate.http.direct import ApiCall


class CycleProtocol(HttpToolsProtocol):
    """uvicorn's protocol; api_web GETs answered by `ApiCall`, one keep-alive timer."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.api_web = self.direct_api_web()
        self._idle_since: float | None = None  # when the last response left, if none since
        self.coalescing: CoalescingTransport = None  # type: ignore[assignment]
        # the client and its text in the access lines of direct GETs (`ApiCall`), made once
        self.access_client: tuple[object, str] = ((), "")

    def direct_api_web(self) -> ApiWeb | None:
        """The api_web endpoint whose GETs this protocol answers itself, if the app is
        `FastPath` as such (not wrapped by uvicorn) and no `limit_concurrency` is set."""
        app = self.app
        if type(app) is FastPath and self.limit_concurrency is None:
            return app.api_web
        return None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self.coalescing = CoalescingTransport(transport, self.loop)
        super().connection_made(self.coalescing)  # type: ignore[arg-type]

    def connection_lost(self, exc: Exception | None) -> None:
        if self.timeout_keep_alive_task is not None:
            self.timeout_keep_alive_task.cancel()
            self.timeout_keep_alive_task = None
        super().connection_lost(exc)

    def on_headers_complete(self) -> None:
        if self.api_web is None or not self._direct(self.api_web):
            HttpToolsProtocol.on_headers_complete(self)  # not super(): runs for every request

    def _direct(self, api_web: ApiWeb) -> bool:
        """Take an api_web GET from uvicorn as its `on_headers_complete` would have (the same
        scope; the pipeline while an earlier request is answered); False for any other."""
        parser = self.parser
        if parser.get_method() != b"GET" or parser.should_upgrade():
            return False
        url = httptools.parse_url(self.url)
        raw_path = url.path
        path = raw_path.decode("ascii")
        if "%" in path:
            path = unquote(path)
        path = self.root_path + path
        if path not in API_PATHS:
            return False
        http_version = parser.get_http_version()
        scope: dict[str, Any] = self.scope  # type: ignore[assignment]
        scope["method"] = "GET"
        if http_version != "1.1":
            scope["http_version"] = http_version
        scope["path"] = path
        scope["raw_path"] = self.root_path.encode("ascii") + raw_path
        scope["query_string"] = url.query or b""
        keep_alive = http_version != "1.0" and parser.should_keep_alive()
        call = ApiCall(self, api_web, scope, keep_alive)
        previous = self.cycle
        self.cycle = call  # type: ignore[assignment]
        if previous is None or previous.response_complete:
            call.start()
        else:  # pipelined: answered after the requests before it, as uvicorn's cycles
            self.flow.pause_reading()
            self.pipeline.appendleft((call, None))  # type: ignore[arg-type]
        return True

    def on_message_complete(self) -> None:
        cycle: RequestResponseCycle | ApiCall = self.cycle
        if type(cycle) is ApiCall:  # uvicorn's, less what cannot apply: `_direct` took no
            if not cycle.response_complete:  # upgrade, and an ApiCall waits for no event
                cycle.more_body = False
        else:
            HttpToolsProtocol.on_message_complete(self)

    def _start_asgi_task(self, cycle: Any, app: Any) -> None:
        if type(cycle) is ApiCall:
            cycle.start()
        else:
            HttpToolsProtocol._start_asgi_task(self, cycle, app)

    # The keep-alive timer: uvicorn's three methods, with one timer per connection.

    def _unset_keepalive_if_required(self) -> None:
        self._idle_since = None

    def on_response_complete(self) -> None:
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self._idle_since = None
        if self.flow.read_paused:  # the call only when it does something (a call a response)
            self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
            return
        self._idle_since = self.loop.time()
        if self.timeout_keep_alive_task is None:
            self.timeout_keep_alive_task = self.loop.call_later(
                self.timeout_keep_alive, self.timeout_keep_alive_handler
            )

    def timeout_keep_alive_handler(self) -> None:
        self.timeout_keep_alive_task = None
        idle_since = self._idle_since
        if idle_since is None or self.transport.is_closing():
            return  # busy: the next response arms the timer again
        left = idle_since + self.timeout_keep_alive - self.loop.time()
        if left > 0:
            self.timeout_keep_alive_task = self.loop.call_later(
                left, self.timeout_keep_alive_handler
            )
        else:
            self.transport.close()
