"""WhatCounts' REST door: `POST /rest/sms/sendMessageToPhone/...` and `.../stopSubscriberSend/...`.

A thin adapter: the realm and password come from `Authorization: Basic` and go through the
same authenticator (and its throttle) as api_web; the arguments come from the path and go
through the same rules (`domain.send`); the use cases are api_web's (`services/`). Only the
answers differ: JSON, with HTTP status codes, in WhatCounts' REST shapes:

| case | status |
|---|---|
| no such command, wrong number of path segments | 404 |
| a method other than POST | 405 (`Allow: POST`) |
| an `Accept` that takes no JSON | 406 |
| no or malformed credentials, wrong realm or password | 401 (`WWW-Authenticate: Basic`) |
| bad phone, sender code or text | 400 |
| the phone opted out of the sender code | 409 |
| the store is unavailable | 503 |

Errors are `{"error": <api_web's reason>, "status": <HTTP reason phrase>, "statusCode": N}`.
"""

import logging
from collections.abc import MutableMapping, Sequence
from typing import Any, Protocol

from smsgate.auth.authenticator import RealmCredential
from smsgate.constants import STOP_COMMAND, SUPPORTED_COMMAND
from smsgate.domain import send
from smsgate.http.rest_wire import (
    BasicCredentials,
    acceptable,
    basic_credentials,
    error_body,
    json_bytes,
    path_segments,
    response_start,
)
from smsgate.metrics import REST_REQUESTS
from smsgate.services.optouts import Stopping
from smsgate.services.sending import Cause, Refused, Sending

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Headers = Sequence[tuple[bytes, bytes]]

PREFIX = b"/rest/sms/"
SEND = "sendMessageToPhone"  # /{messageText}/{phone}/{senderCode}
STOP = "stopSubscriberSend"  # /{phone}/{senderCode}
_ARITY = {SEND: 3, STOP: 2}
_ALLOW = [(b"allow", b"POST")]
_CHALLENGE = [(b"www-authenticate", b'Basic realm="smsgate", charset="UTF-8"')]
NOT_FOUND = "No such command"
NOT_ACCEPTABLE = "Accept application/vnd.whatcounts-v1+json or application/json"
METHOD_NOT_ALLOWED = "Method not allowed"

Answer = tuple[int, object, Sequence[tuple[bytes, bytes]]]


class Authenticates(Protocol):
    async def authenticate(
        self, realm: str, password: str | None, client: str | None
    ) -> RealmCredential | None: ...


# a refusal's HTTP status, by its cause
_STATUS = {Cause.BAD_REQUEST: 400, Cause.OPTED_OUT: 409, Cause.UNAVAILABLE: 503}


class WhatCountsRest:
    """ASGI app for `/rest/...` (mounted at `/rest`; it routes on the raw path itself)."""

    def __init__(self, auth: Authenticates, sending: Sending, stopping: Stopping) -> None:
        self._auth = auth
        self._sending = sending
        self._stopping = stopping

    async def __call__(self, scope: Scope, receive: Any, send_: Any) -> None:
        try:
            status, body, extra = await self.answer(scope)
        except Exception:  # never a traceback to the client, never a false success
            log.exception("WhatCounts REST request failed")
            status, body, extra = _error(503, send.TEMPORARILY_UNAVAILABLE)
        REST_REQUESTS.labels(_command_label(scope), str(status)).inc()
        payload = json_bytes(body)
        await send_(response_start(status, len(payload), extra))
        await send_({"type": "http.response.body", "body": payload})

    async def answer(self, scope: Scope) -> Answer:
        """Status, JSON body and extra headers for one request (its body is never read)."""
        raw_path = scope.get("raw_path") or scope["path"].encode()
        segments = path_segments(raw_path, PREFIX)
        if not segments or _ARITY.get(segments[0]) != len(segments) - 1:
            return _error(404, NOT_FOUND)
        if scope["method"] != "POST":
            return _error(405, METHOD_NOT_ALLOWED, _ALLOW)
        headers: Headers = scope["headers"]
        if not acceptable(headers):
            return _error(406, NOT_ACCEPTABLE)
        credentials = basic_credentials(headers)
        if credentials is None or not credentials.realm.strip():
            return _error(401, send.REALM_MISSING, _CHALLENGE)
        client = scope.get("client")
        try:
            credential = await self._auth.authenticate(
                credentials.realm.strip(), credentials.password, client[0] if client else None
            )
        except Exception as exc:  # the store could not be read
            log.error("realm lookup failed: %s", exc)
            return _error(503, send.TEMPORARILY_UNAVAILABLE)
        if credential is None:
            return _error(401, send.NO_MATCH, _CHALLENGE)
        command, *values = segments
        if command == SEND:
            text, phone, code = values
            return await self._send(
                credential, _args(SUPPORTED_COMMAND, credentials, phone, code, text)
            )
        phone, code = values
        return await self._stop(credential, _args(STOP_COMMAND, credentials, phone, code))

    async def _send(self, credential: RealmCredential, args: send.SendArgs) -> Answer:
        result = await self._sending.send(credential.realm_id, args)
        if isinstance(result, Refused):
            return _refused(result, args)
        message = result.message
        millis = round(message.created_at * 1000)
        sent = {
            "success": True,
            "messageId": message.id,
            "phone": message.phone,
            "realmId": message.realm_id,
            "smsSenderId": result.sender.id,
            "partSent": message.parts,  # every part accepted for sending
            "totalParts": message.parts,
            "status": "0",
            "createDate": millis,
            "updatedDate": millis,
        }
        return 200, [sent], ()

    async def _stop(self, credential: RealmCredential, args: send.SendArgs) -> Answer:
        result = await self._stopping.stop(credential.realm_id, args)
        if isinstance(result, Refused):
            return _refused(result, args)
        stopped = {
            "success": True,
            "message": send.stop_success().removeprefix("SUCCESS: "),
            "phone": result.phone,
            "senderCode": result.sender.code,
            "realmId": credential.realm_id,
            "smsSenderId": result.sender.id,
        }
        return 200, stopped, ()


def _command_label(scope: Scope) -> str:
    """The metrics label of a request's command: one of ours, or "other"."""
    raw_path: bytes = scope.get("raw_path") or b""
    for command in _ARITY:
        if raw_path.startswith(b"%s%s/" % (PREFIX, command.encode())):
            return command
    return "other"


def _args(
    command: str, credentials: BasicCredentials, phone: str, code: str, text: str | None = None
) -> send.SendArgs:
    """The path's values as api_web's arguments (so the same rules read them alike)."""
    pairs = [("r", credentials.realm), ("p", credentials.password), ("c", command)]
    pairs += [("phone", phone), ("sender_code", code)]
    if text is not None:
        pairs.append(("message_text", text))
    return send.parse_args(pairs)


def _refused(refused: Refused, args: send.SendArgs) -> Answer:
    # only a reason built from client values may hold the password
    secret = "" if refused.cause is Cause.UNAVAILABLE else args.password or ""
    return _error(_STATUS[refused.cause], refused.reason, password=secret)


def _error(
    status: int, reason: str, extra: Sequence[tuple[bytes, bytes]] = (), *, password: str = ""
) -> Answer:
    return status, error_body(status, reason, password), extra
