"""The ASGI application factory: routes, lifespan, health and metrics."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from smsgate.bootstrap import Gateway
from smsgate.http.api_web import ApiWeb
from smsgate.http.simulator_hook import make_hook


def create_app(gateway: Gateway) -> Starlette:
    api_web = ApiWeb(
        gateway.auth,
        gateway.senders,
        gateway.accepter,
        default_country_code=gateway.settings.default_country_code,
    )

    async def health(_: Request) -> Response:
        return PlainTextResponse("ok")

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await gateway.start()
        try:
            yield
        finally:
            await gateway.stop()

    routes = [
        Route("/bin/api_web", api_web),  # any method: POST reads the form body
        Route("/api_web", api_web),
        Route("/healthz", health),
        Route("/metrics", metrics),
    ]
    if gateway.simulator is not None:
        routes.append(Route("/_simulator/mo", make_hook(gateway.simulator), methods=["POST"]))
    return Starlette(routes=routes, lifespan=lifespan)
