"""The ASGI application around api_web: routes, lifespan, health and metrics.

`assemble` takes what it serves as arguments; the wiring root builds them
(`bootstrap.app.gateway_app` for a gateway process, `bootstrap.worker.worker_app` for an API
worker).
"""

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from smsgate.http.api_web import ApiWeb
from smsgate.services.readiness import Readiness

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


def assemble(
    api_web: ApiWeb,
    metrics: Callable[[Request], Awaitable[Response]],
    ready: Callable[[], Awaitable[Readiness]],
    start: Callable[[], Awaitable[None]],
    stop: Callable[[], Awaitable[None]],
    extra_routes: Sequence[BaseRoute] = (),
    fallback: ASGIApp | None = None,
) -> FastPath:
    """The app around `api_web`: its routes, /healthz, /readyz, /metrics, and a lifespan
    that runs `start` before the first request and `stop` after the last. `fallback` answers
    every request no route matches (the JSON API), instead of a plain 404.

    /healthz is liveness (the process answers); /readyz is 200 `ready` or 503 `not ready:
    REASON` (one line) from `ready` (services/readiness.py)."""

    async def health(_: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(_: Request) -> Response:
        answer = await ready()
        if answer.ready:
            return PlainTextResponse("ready")
        return PlainTextResponse(f"not ready: {answer.reason}", status_code=503)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await start()
        try:
            yield
        finally:
            await stop()

    routes: list[BaseRoute] = [
        *(Route(path, api_web) for path in sorted(API_PATHS)),  # the methods: api_web decides
        Route("/healthz", health),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        *extra_routes,
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    # Starlette answers `/healthz/` with a redirect to `/healthz` that carries the whole query
    # string (a password, if one was sent there by mistake) in `Location:`. No redirects.
    app.router.redirect_slashes = False
    if fallback is not None:
        app.router.default = fallback
    return FastPath(api_web, app)
