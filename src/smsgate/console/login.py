"""/console/login and /console/logout.

The log-in form posts name, password and (for a realm user) the realm; never a URL with a
password. Before there is a session, the form's CSRF token is a double-submit cookie: a random
value in an HttpOnly, SameSite=Strict cookie that the form must repeat.
"""

import hmac

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from smsgate.console.web import HEADERS, ROOT, SESSION_COOKIE, Web, secure
from smsgate.domain.console import Viewer
from smsgate.services.console_auth import new_token

LOGIN_COOKIE = "smsgate_console_login"


def _form_text(value: object) -> str:
    return value if isinstance(value, str) else ""


class LoginPages:
    def __init__(self, web: Web) -> None:
        self._web = web

    def _form(self, request: Request, error: str | None = None, status: int = 200) -> Response:
        token = new_token()
        response = self._web.render("login.html", None, status_code=status, csrf=token, error=error)
        response.set_cookie(
            LOGIN_COOKIE,
            token,
            path=f"{ROOT}/login",
            httponly=True,
            samesite="strict",
            secure=secure(request),
        )
        return response

    async def login(self, request: Request) -> Response:
        if request.method == "GET":
            if await self._web.auth.viewer(request.cookies.get(SESSION_COOKIE)) is not None:
                return RedirectResponse(f"{ROOT}/", status_code=303, headers=HEADERS)
            return self._form(request)
        form = await request.form()
        expected = request.cookies.get(LOGIN_COOKIE, "")
        given = _form_text(form.get("csrf"))
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            return self._form(request, "The form expired; please log in again.", 403)
        realm = _form_text(form.get("realm")).strip() or None
        name = _form_text(form.get("name")).strip()
        password = _form_text(form.get("password"))
        client = request.client.host if request.client else None
        token = await self._web.auth.login(realm, name, password, client) if name else None
        if token is None:
            return self._form(request, "Wrong name, realm or password.", 401)
        response = RedirectResponse(f"{ROOT}/", status_code=303, headers=HEADERS)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            path=ROOT,
            httponly=True,
            samesite="strict",
            secure=secure(request),
        )
        response.delete_cookie(LOGIN_COOKIE, path=f"{ROOT}/login")
        return response

    async def logout(self, request: Request, _viewer: Viewer) -> Response:
        await self._web.auth.logout(request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse(f"{ROOT}/login", status_code=303, headers=HEADERS)
        response.delete_cookie(SESSION_COOKIE, path=ROOT, httponly=True, samesite="strict")
        return response
