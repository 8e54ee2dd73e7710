"""The /v1 application: FastAPI with the routes, problem documents, OpenAPI and its docs page.

It serves `/openapi.json` and `/docs` at the root and `/v1/...`; `http.app` mounts it behind
api_web's fast path, /healthz and /metrics. No redirects (a trailing slash is a 404, never a
`Location:` echoing the request).
"""

from fastapi import FastAPI

from smsgate.http.v1 import docs_page, problems
from smsgate.http.v1.limits import BodyLimit
from smsgate.http.v1.routes import router
from smsgate.http.v1.webhook_routes import router as webhook_router
from smsgate.services.json_api import JsonApi

DESCRIPTION = """\
The smsgate JSON API. Authenticate with `Authorization: Bearer <key>` (an API key made by
`smsgate apikey create REALM`); a key sees only its realm. Errors are RFC 9457
`application/problem+json` documents with a stable `code`. `/v1/webhooks` manages the realm's
signed event callbacks (Standard Webhooks) and shows their deliveries.
"""


def create_v1(api: JsonApi, *, version: str) -> FastAPI:
    app = FastAPI(
        title="smsgate",
        version=version,
        description=DESCRIPTION,
        redoc_url=None,
        docs_url=None,  # docs_page serves it without a CDN
    )
    app.state.json_api = api
    app.router.redirect_slashes = False
    problems.install(app)
    app.add_middleware(BodyLimit)  # outermost of ours: before FastAPI reads a body
    app.include_router(router)
    app.include_router(webhook_router)
    docs_page.install(app, app.openapi_url or "/openapi.json")
    return app
