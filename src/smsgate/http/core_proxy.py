"""An API worker's door to the core: every request the worker does not answer itself.

Under `serve --api-workers N` a worker answers api_web, WhatCounts' REST door and the probes;
the JSON API, the console and the docs live in the core, the process that writes
(workers/core_http.py serves them there on a Unix socket). This ASGI app is the worker's
fallback: it passes the request on, body streamed, and streams the answer back, so one port
serves every route whichever process the kernel gave the connection to.

Written here, on httpx (already the webhook sender's client), because what it must do is
narrow and specific to this hop, and no well-kept ASGI proxy library does it: the client the
worker served (after its own trusted proxies) and the scheme go on as X-Forwarded-For and
X-Forwarded-Proto, replacing whatever the request carried, since the core believes them;
hop-by-hop headers stay on their hop; a core that cannot be reached is a 502 with one line,
never a traceback.
"""

from collections.abc import AsyncIterator

import httpx
from starlette.types import Message, Receive, Scope, Send

from smsgate.constants import (
    CORE_PROXY_CONNECT_SECONDS,
    CORE_PROXY_CONNECTIONS,
    CORE_PROXY_READ_SECONDS,
)

# Headers that belong to one hop (RFC 9110 7.6.1), and the forwarding headers this hop sets.
_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
_NOT_PASSED_ON = _HOP | {b"x-forwarded-for", b"x-forwarded-proto", b"forwarded"}
UNREACHABLE = b"core process unreachable"


class CoreProxy:
    """ASGI app: the request, passed to the core's HTTP server on the Unix socket `path`."""

    def __init__(self, path: str) -> None:
        # Requests go to the transport itself, not through a client's `send`: a client keeps
        # the cookies of every answer and would send one browser's session with the next
        # request of any other (and follows redirects). The client only builds the requests,
        # with their timeouts.
        self._transport = httpx.AsyncHTTPTransport(
            uds=path, limits=httpx.Limits(max_connections=CORE_PROXY_CONNECTIONS)
        )
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(
                CORE_PROXY_READ_SECONDS, connect=CORE_PROXY_CONNECT_SECONDS, pool=None
            )
        )

    async def aclose(self) -> None:
        await self._transport.aclose()
        await self._client.aclose()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # websockets: nothing here serves them
            return
        request = self._client.build_request(
            scope["method"],
            _url(scope),
            headers=_headers(scope),
            content=_body(receive) if _has_body(scope) else None,
        )
        try:
            response = await self._transport.handle_async_request(request)
        except httpx.HTTPError:
            await _unreachable(send)
            return
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    "headers": [
                        (k.lower(), v) for k, v in response.headers.raw if k.lower() not in _HOP
                    ],
                }
            )
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        except httpx.HTTPError:  # the core went away mid-answer: the client sees it cut
            return
        finally:
            await response.aclose()


def _url(scope: Scope) -> str:
    path: bytes = scope.get("raw_path") or str(scope["path"]).encode()
    query: bytes = scope.get("query_string", b"")
    target = path + (b"?" + query if query else b"")
    return "http://core" + target.decode("latin-1")


def _headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    raw: list[tuple[bytes, bytes]] = scope["headers"]
    named = {  # the headers `Connection` names are of this hop too
        token.strip().lower() for k, v in raw if k == b"connection" for token in v.split(b",")
    }
    headers = [(k, v) for k, v in raw if k not in _NOT_PASSED_ON and k not in named]
    client = scope.get("client")
    if client:
        headers.append((b"x-forwarded-for", str(client[0]).encode("latin-1")))
    headers.append((b"x-forwarded-proto", str(scope.get("scheme", "http")).encode("latin-1")))
    return headers


def _has_body(scope: Scope) -> bool:
    names = {k for k, _ in scope["headers"]}
    return b"content-length" in names or b"transfer-encoding" in names


async def _body(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message: Message = await receive()
        if message["type"] != "http.request":  # http.disconnect: the client is gone
            return
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


async def _unreachable(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 502,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(UNREACHABLE)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": UNREACHABLE})
