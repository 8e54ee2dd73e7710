"""What every console page shares: templates, the session check, CSRF, security headers.

`Web.page(handler)` wraps a page: no valid session redirects to /console/login; a POST must
carry the session's CSRF token in its form (`csrf`), else 403; `NotFound` from a service is a
404 page, the same for another realm's record as for one that does not exist. Pages are never
cached and never framed, and scripts may come from the console itself only (CSP).
"""

import hmac
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from smsgate.domain.console import Viewer
from smsgate.services.console_auth import ConsoleAuth
from smsgate.services.errors import NotFound

ROOT = "/console"
SESSION_COOKIE = "smsgate_console"
HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"
    ),
}

Handler = Callable[[Request, Viewer], Awaitable[Response]]


def when(epoch: float | None) -> str:
    if epoch is None:
        return "-"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S")


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("smsgate.console", "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    env.globals["root"] = ROOT
    return env


def secure(request: Request) -> bool:
    """Whether the browser talks HTTPS to us (cookies are then Secure)."""
    return request.url.scheme == "https"


class Web:
    """Templates and the session check, shared by every page."""

    def __init__(self, auth: ConsoleAuth) -> None:
        self.auth = auth
        self.env = environment()

    def render(
        self, name: str, viewer: Viewer | None, status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        html = self.env.get_template(name).render(viewer=viewer, **context)
        return HTMLResponse(html, status_code=status_code, headers=HEADERS)

    def not_found(self, viewer: Viewer | None) -> HTMLResponse:
        return self.render("not_found.html", viewer, status_code=404)

    def page(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            viewer = await self.auth.viewer(request.cookies.get(SESSION_COOKIE))
            if viewer is None:
                return RedirectResponse(f"{ROOT}/login", status_code=303, headers=HEADERS)
            form = await request.form() if request.method == "POST" else None
            try:  # the handler reads the same parsed form; its uploaded files close at the end
                if form is not None:
                    token = form.get("csrf")
                    if not isinstance(token, str) or not hmac.compare_digest(
                        token.encode(), viewer.csrf.encode()
                    ):
                        return PlainTextResponse(
                            "Forbidden: the form's CSRF token is missing or wrong; reload the page",
                            status_code=403,
                            headers=HEADERS,
                        )
                return await handler(request, viewer)
            except NotFound:
                return self.not_found(viewer)
            finally:
                if form is not None:
                    await form.close()

        return endpoint
