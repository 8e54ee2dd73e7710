"""RFC 9457 problem details for every /v1 error: `application/problem+json` with a stable `code`.

Services refuse with `domain.submission.Refusal(code, detail)`; this module gives each code its
HTTP status and turns FastAPI's own errors (validation, unknown route, method) and anything
unexpected (never a traceback) into the same shape.
"""

import json
import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smsgate.domain import submission as codes
from smsgate.domain.submission import Refusal
from smsgate.http.v1.models import Problem

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"


class _AsciiJSON(JSONResponse):
    """JSON with every non-ASCII character escaped: a detail may repeat what the client sent,
    a lone surrogate included (from a JSON `\\ud800` escape), which UTF-8 cannot encode."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


STATUS: dict[str, int] = {
    codes.UNAUTHORISED: 401,
    codes.NOT_FOUND: 404,
    codes.OPTED_OUT: 409,
    codes.IDEMPOTENCY_CONFLICT: 422,
    codes.INVALID_PHONE: 422,
    codes.UNKNOWN_SENDER_CODE: 422,
    codes.TEXT_EMPTY: 422,
    codes.TEXT_INVALID: 422,
    codes.TEXT_TOO_LONG: 422,
    codes.INVALID_CLIENT_REF: 422,
    codes.INVALID_VALIDITY: 422,
    codes.INVALID_IDEMPOTENCY_KEY: 422,
    codes.INVALID_REQUEST: 422,
    codes.INVALID_WEBHOOK_URL: 422,
    codes.WEBHOOK_URL_REFUSED: 422,
    codes.UNKNOWN_EVENT_TYPE: 422,
    codes.INVALID_CURSOR: 400,
    codes.UNAVAILABLE: 503,
}
# FastAPI's own errors: 400 is a body it could not parse (not JSON, not UTF-8)
_BY_HTTP_STATUS = {
    400: codes.INVALID_REQUEST,
    401: codes.UNAUTHORISED,
    404: codes.NOT_FOUND,
    405: "method_not_allowed",
}


def problem(code: str, detail: str, status: int | None = None, **extra: Any) -> JSONResponse:
    status = status if status is not None else STATUS.get(code, 400)
    body = {
        "type": f"urn:smsgate:problem:{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return _AsciiJSON(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


async def _refusal(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Refusal)
    return problem(exc.code, exc.detail)


async def _invalid(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type")}
        for e in exc.errors()
    ]
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(part) for part in first["loc"])
    return problem(
        codes.INVALID_REQUEST, f"{where}: {first['msg']}", errors=jsonable_encoder(errors)
    )


async def _http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = _BY_HTTP_STATUS.get(exc.status_code, "http_error")
    response = problem(code, str(exc.detail), exc.status_code)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


class CatchUnexpected:
    """Answers an exception no handler took with a 500 problem (never a traceback), logged
    once. A middleware rather than an `Exception` handler: Starlette re-raises after such a
    handler, and the server would log it a second time."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as exc:
            if started or scope["type"] != "http":
                raise
            log.error("%s %s failed", scope.get("method"), scope.get("path"), exc_info=exc)
            answer = problem("internal_error", "The gateway could not answer this request", 500)
            await answer(scope, receive, send)


def install(app: FastAPI) -> None:
    """Answer every error of `app` with a problem document."""
    app.add_exception_handler(Refusal, _refusal)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(HTTPException, _http)
    app.add_middleware(CatchUnexpected)


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route that can answer these problem statuses (for OpenAPI)."""
    schema = {"$ref": "#/components/schemas/Problem"}
    return {
        status: {
            "model": Problem,
            "description": HTTPStatus(status).phrase,
            "content": {MEDIA_TYPE: {"schema": schema}},
        }
        for status in statuses
    }
