"""The ASGI app of a gateway process: api_web and WhatCounts' REST door over the gateway's
services, health, metrics, the operator console (bootstrap/console.py), the JSON API (/v1,
/openapi.json, /docs: every path nothing else serves), and the simulator's MO hook while the
built-in simulator runs.

`gateway_app(gateway)` serves a gateway built by the caller (`smsgate serve`, tests).
`app_from_env` is the import-string factory for `serve --workers N`
(`smsgate.bootstrap.app:app_from_env`): uvicorn starts N worker processes on one listening
socket, and each one builds its own gateway from the `SMSGATE_*` environment (on PostgreSQL
each is a node of its own).
"""

import sys

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from smsgate import __version__
from smsgate.bootstrap.console import build_console
from smsgate.bootstrap.gateway import Gateway, build
from smsgate.constants import GIL_SWITCH_INTERVAL
from smsgate.http.api_web import ApiWeb
from smsgate.http.app import FastPath, assemble
from smsgate.http.simulator_hook import make_hook
from smsgate.http.v1.app import create_v1
from smsgate.http.whatcounts_rest import WhatCountsRest
from smsgate.runtime import freeze_startup_heap
from smsgate.settings import Settings


def gateway_app(gateway: Gateway, *, runs_gateway: bool = True) -> FastPath:
    """The app; its lifespan starts and stops the gateway too unless `runs_gateway` is False
    (the core of `serve --api-workers N` runs it itself: workers/core_http.py)."""
    api_web = ApiWeb(gateway.auth, gateway.sending, gateway.stopping)
    rest = WhatCountsRest(gateway.auth, gateway.sending, gateway.stopping)

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    console = build_console(gateway)

    async def start() -> None:
        if runs_gateway:
            await gateway.start()
        console.start()

    async def stop() -> None:
        await console.stop()
        if runs_gateway:
            await gateway.stop()

    extra: list[BaseRoute] = [
        Mount("/rest", app=rest),
        *console.routes,
    ]  # WhatCounts' REST door, the console
    if gateway.simulator is not None:
        extra.append(Route("/_simulator/mo", make_hook(gateway.simulator), methods=["POST"]))
    # The JSON API answers every other path (/v1/..., /openapi.json, /docs, and the 404s).
    v1 = create_v1(gateway.json_api, version=__version__)
    return assemble(api_web, metrics, gateway.readiness.check, start, stop, extra, fallback=v1)


def app_from_env() -> FastPath:
    """The app of one `serve --workers N` worker: a gateway built from the environment."""
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)  # as `serve` does; see constants.py
    app = gateway_app(build(Settings()))
    freeze_startup_heap()
    return app
