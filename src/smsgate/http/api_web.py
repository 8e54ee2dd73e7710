"""The `api_web` endpoint: HTTP in, one `SUCCESS:`/`FAILURE:` line out.

A bare ASGI callable rather than a framework route: this is the hot path, and the work per
request (parse, check, hand to the group commit) is small enough that routing, dependency
injection and response classes would cost more than the work itself. It authenticates the realm
and hands the arguments to `services.sending`, which checks them (the failure table of
WhatCounts' documentation, `domain.send`) and commits the message, or, for
`smsstopsubscribersend`, to `services.optouts.Stopping`, which commits the opt-out.
Every reply to GET and POST is HTTP 200 `text/plain`, a request too large included: WhatCounts
clients raise on 4xx/5xx before they read the body, so a failure must travel in the body. Other
methods never send and get 405 (`Allow: GET, POST`).
"""

import logging
from collections.abc import MutableMapping
from typing import Any

from smsgate.auth.authenticator import Authenticator
from smsgate.constants import MAX_REQUEST_BODY_BYTES
from smsgate.domain import send
from smsgate.http.api_args import api_args
from smsgate.metrics import API_REQUESTS
from smsgate.services.optouts import Stopped, Stopping
from smsgate.services.sending import Accepted, Cause, Refused, Sending

log = logging.getLogger(__name__)

_CONTENT_TYPE = (b"content-type", b"text/plain; charset=utf-8")
_NOT_ALLOWED = b"FAILURE: Method not allowed"
_NOT_ALLOWED_HEADERS = [
    _CONTENT_TYPE,
    (b"allow", b"GET, POST"),
    (b"content-length", str(len(_NOT_ALLOWED)).encode()),
]
_FORM = b"application/x-www-form-urlencoded"

Scope = MutableMapping[str, Any]
_RESULTS = (
    "accepted",
    "stopped",
    "opted_out",
    "bad_request",
    "too_large",
    "unauthorised",
    "unavailable",
    "error",
)
_COUNTERS = {result: API_REQUESTS.labels(result) for result in _RESULTS}
_REQUEST_TOO_LARGE = send.failure(send.REQUEST_TOO_LARGE).encode()


def headers(reply: bytes) -> list[tuple[bytes, bytes]]:
    """The headers of the HTTP 200 that carries `reply`."""
    return [_CONTENT_TYPE, (b"content-length", str(len(reply)).encode())]


def _host(scope: Scope) -> str | None:
    client = scope.get("client")
    return client[0] if client else None


class _TooLarge(Exception):
    """A POST body over MAX_REQUEST_BODY_BYTES, declared or read."""


class ApiWeb:
    """ASGI app answering WhatCounts' `smssendmessagetophone` and `smsstopsubscribersend`."""

    def __init__(self, auth: Authenticator, sending: Sending, stopping: Stopping) -> None:
        self._auth = auth
        self._sending = sending
        self._stopping = stopping

    async def __call__(self, scope: Scope, receive: Any, send_: Any) -> None:
        method = scope["method"]
        if method == "GET":
            payload = await self.answer(b"", scope["query_string"], _host(scope))
        elif method == "POST":
            try:
                body = await self._form_body(scope, receive)
            except _TooLarge:
                _COUNTERS["too_large"].inc()
                payload = _REQUEST_TOO_LARGE
            else:
                if body is None:  # the client went away before its request was complete
                    return
                payload = await self.answer(body, scope["query_string"], _host(scope))
        else:  # HEAD, PUT, DELETE, ...: never a send
            start = {"type": "http.response.start", "status": 405, "headers": _NOT_ALLOWED_HEADERS}
            await send_(start)
            await send_({"type": "http.response.body", "body": _NOT_ALLOWED})
            return
        await send_({"type": "http.response.start", "status": 200, "headers": headers(payload)})
        await send_({"type": "http.response.body", "body": payload})

    async def answer(self, body: bytes, query: bytes, client: str | None) -> bytes:
        """The reply (HTTP 200, `headers(reply)`) to a GET or POST whose arguments are the form
        `body` and the `query` string, from the host `client`; counted in the metrics. The
        one reply rule of both ways in: this ASGI app and the protocol's own (`direct.py`)."""
        # percent-encoded UTF-8 (and raw UTF-8 in a POST body) decode; "+" and %20 are spaces
        args = api_args(body, query)  # the body first, then the query string
        try:
            line, result = await self.handle(args, client)
        except Exception:  # never a traceback to the client, never a false SUCCESS
            log.exception("api_web request failed")
            line, result = send.failure(send.TEMPORARILY_UNAVAILABLE), "error"
        _COUNTERS[result].inc()
        return line.encode()

    async def handle(self, args: send.SendArgs, client: str | None) -> tuple[str, str]:
        """The reply line and a metrics label for one request."""
        realm = (args.realm or "").strip()
        if not realm:
            return send.failure(send.REALM_MISSING), "bad_request"
        try:  # the usual request, known and verified already, awaits nothing
            credential = self._auth.known(realm, args.password, client)
            if credential is None:
                credential = await self._auth.authenticate(realm, args.password, client)
        except Exception as exc:  # the store could not be read
            log.error("realm lookup failed: %s", exc)
            return send.failure(send.TEMPORARILY_UNAVAILABLE), "unavailable"
        if credential is None:
            return send.failure(send.NO_MATCH), "unauthorised"
        if send.is_stop(args.command):
            result: Stopped | Accepted | Refused = await self._stopping.stop(
                credential.realm_id, args
            )
        else:
            result = await self._sending.send(credential.realm_id, args)
        if isinstance(result, Refused):
            # only a reason built from client values may hold the password
            secret = None if result.cause is Cause.UNAVAILABLE else args.password
            return send.failure(result.reason, secret), result.cause.value
        if isinstance(result, Stopped):
            return send.stop_success(), "stopped"
        return send.success(), "accepted"

    @staticmethod
    async def _form_body(scope: Scope, receive: Any) -> bytes | None:
        """The POST body if it is a form (other content types are ignored, like WhatCounts);
        None if the client disconnected. Raises _TooLarge once the body passes
        MAX_REQUEST_BODY_BYTES, declared or read: nothing more is read, and the server drops
        the rest as it arrives, until the body ends or its deadline passes."""
        content_type = b""
        for name, value in scope["headers"]:
            if name == b"content-type":
                content_type = value.split(b";", 1)[0].strip().lower()
            elif name == b"content-length" and _over_the_limit(value):
                raise _TooLarge
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_REQUEST_BODY_BYTES:
                raise _TooLarge
            chunks.append(chunk)
            more = message.get("more_body", False)
        if content_type not in (_FORM, b""):
            return b""
        return b"".join(chunks)


def _over_the_limit(content_length: bytes) -> bool:
    # the parser has checked that Content-Length is a number
    return len(content_length) > 9 or int(content_length) > MAX_REQUEST_BODY_BYTES
