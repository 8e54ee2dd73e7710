"""The /docs page (Swagger UI) served from the package, not from a CDN.

FastAPI's default docs page loads Swagger UI's script and styles from cdn.jsdelivr.net, which a
gateway on a closed network cannot reach (operators run smsgate there; the console vendors its
scripts for the same reason). `swagger-ui-bundle` ships Swagger UI's built files as package
data, so the page and its assets come from this process.
"""

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

DOCS_PATH = "/docs"
ASSETS_PATH = "/docs/assets"


def install(app: FastAPI, openapi_url: str) -> None:
    """Serve Swagger UI at /docs and its files under /docs/assets (create the app with
    `docs_url=None` so FastAPI's CDN page is not served too)."""
    app.mount(ASSETS_PATH, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get(DOCS_PATH, include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} API",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
        )
