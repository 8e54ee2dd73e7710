"""The ASGI application factory: routes, lifespan, health and metrics.

`create_app(gateway)` serves a gateway built by the caller (`smsgate serve`, tests).
`app_from_env` is the import-string factory for `serve --workers N`: uvicorn starts N worker
processes on one listening socket, and each one builds its own gateway from the `SMSGATE_*`
environment (on PostgreSQL each is a node of its own).
"""

import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from smsgate.bootstrap import Gateway, build
from smsgate.constants import GIL_SWITCH_INTERVAL
from smsgate.http.api_web import ApiWeb
from smsgate.http.simulator_hook import make_hook
from smsgate.runtime import freeze_startup_heap
from smsgate.settings import Settings

# With and without a trailing slash: both are served, never redirected (a redirect would echo
# the query string, password included, in its Location header).
API_PATHS = frozenset({"/bin/api_web", "/api_web", "/bin/api_web/", "/api_web/"})


class FastPath:
    """Sends api_web requests straight to their endpoint, everything else through Starlette.

    api_web is the hot path; Starlette's middleware stack and router cost more per request
    than the endpoint's own work (ADR 0003)."""

    def __init__(self, api_web: ApiWeb, app: Starlette) -> None:
        self.api_web = api_web
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in API_PATHS:
            await self.api_web(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def create_app(gateway: Gateway) -> FastPath:
    api_web = ApiWeb(
        gateway.auth,
        gateway.senders,
        gateway.accepter,
        default_region=gateway.settings.resolved_default_region,
    )

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    extra = []
    if gateway.simulator is not None:
        extra.append(Route("/_simulator/mo", make_hook(gateway.simulator), methods=["POST"]))
    return assemble(api_web, metrics, gateway.start, gateway.stop, extra)


def assemble(
    api_web: ApiWeb,
    metrics: Callable[[Request], Awaitable[Response]],
    start: Callable[[], Awaitable[None]],
    stop: Callable[[], Awaitable[None]],
    extra_routes: list[Route] | None = None,
) -> FastPath:
    """The app around `api_web`: its routes, /healthz, /metrics, and a lifespan that runs
    `start` before the first request and `stop` after the last."""

    async def health(_: Request) -> Response:
        return PlainTextResponse("ok")

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await start()
        try:
            yield
        finally:
            await stop()

    routes = [
        *(Route(path, api_web) for path in sorted(API_PATHS)),  # the methods: api_web decides
        Route("/healthz", health),
        Route("/metrics", metrics),
        *(extra_routes or []),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    # Starlette answers `/healthz/` with a redirect to `/healthz` that carries the whole query
    # string (a password, if one was sent there by mistake) in `Location:`. No redirects.
    app.router.redirect_slashes = False
    return FastPath(api_web, app)


def app_from_env() -> FastPath:
    """The app of one `serve --workers N` worker: a gateway built from the environment."""
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)  # as `serve` does; see constants.py
    app = create_app(build(Settings()))
    freeze_startup_heap()
    return app
