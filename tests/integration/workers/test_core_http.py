"""The hop from an API worker to the core over real HTTP: `CoreProxy` (the worker's fallback)
in front of `CoreHttp` (the core's server on its Unix socket), with an app that shows what it
was sent. The client the worker served and its scheme arrive as the core's client and scheme,
whatever forwarding headers the request carried; hop-by-hop headers stay behind; bodies go
both ways whole; redirects and repeated headers pass unchanged; a core that is gone is a 502."""

import asyncio
import json
import os
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from smsgate.constants import UNIX_SOCKET_PATH_MAX
from smsgate.http.core_proxy import CoreProxy
from smsgate.workers.core_http import CoreHttp


async def shows_what_it_got(scope: Scope, receive: Receive, send: Send) -> None:
    """An app answering with what it was sent, as JSON (or a redirect and two cookies)."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["path"] == "/moved":
        headers = [(b"location", b"/elsewhere"), (b"set-cookie", b"a=1"), (b"set-cookie", b"b=2")]
        await send({"type": "http.response.start", "status": 303, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    seen = {
        "client": scope["client"][0] if scope.get("client") else None,
        "scheme": scope["scheme"],
        "method": scope["method"],
        "raw_path": scope["raw_path"].decode(),
        "query": scope["query_string"].decode(),
        "headers": {k.decode(): v.decode() for k, v in scope["headers"]},
        "body_length": len(body),
        "body_end": body[-16:].decode(),
    }
    out = json.dumps(seen).encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": out[:10], "more_body": True})
    await send({"type": "http.response.body", "body": out[10:]})


Through = Callable[..., Awaitable[httpx.Response]]


@pytest.fixture
async def through() -> AsyncIterator[Through]:
    """`await through(method, url, client=..., scheme=..., **httpx_kwargs)`: the request, as a
    worker's client at address `client` sent it, passed to a running core."""
    core = CoreHttp(shows_what_it_got, log_level="warning", log_format="text")
    await core.start()
    proxy = CoreProxy(core.path)

    async def send(
        method: str, url: str, *, client: str = "203.0.113.9", scheme: str = "http", **kw: object
    ) -> httpx.Response:
        transport = httpx.ASGITransport(app=proxy, client=(client, 40000))
        async with httpx.AsyncClient(transport=transport, base_url=f"{scheme}://gw.example") as c:
            return await c.request(method, url, **kw)  # type: ignore[arg-type]

    try:
        yield send
    finally:
        await proxy.aclose()
        await core.stop()
    assert not await asyncio.to_thread(os.path.exists, core.path)  # socket and directory gone


async def test_the_core_sees_the_workers_client_and_scheme(through: Through) -> None:
    headers = {
        "X-Forwarded-For": "6.6.6.6",
        "X-Forwarded-Proto": "https",
        "Forwarded": "for=6.6.6.6",
        "Connection": "keep-alive, x-private",
        "Keep-Alive": "timeout=5",
        "TE": "trailers",
        "X-Private": "of this hop",
        "Cookie": "smsgate_session=abc",
        "Authorization": "Bearer sk_test",
    }
    answer = await through("GET", "/v1/messages/m%2F1?realm=a+b&x=%20", headers=headers)
    assert answer.status_code == 200
    seen = answer.json()
    assert seen["client"] == "203.0.113.9"  # not the 6.6.6.6 the request claimed
    assert seen["scheme"] == "http"  # not the https it claimed
    assert seen["raw_path"] == "/v1/messages/m%2F1" and seen["query"] == "realm=a+b&x=%20"
    sent = seen["headers"]
    assert sent["host"] == "gw.example"
    assert sent["cookie"] == "smsgate_session=abc" and sent["authorization"] == "Bearer sk_test"
    assert not {"keep-alive", "te", "forwarded", "x-private"} & set(sent)
    assert sent.get("connection", "keep-alive") == "keep-alive"  # the proxy's own hop

    https = (await through("GET", "/console", scheme="https")).json()
    assert https["scheme"] == "https"


async def test_bodies_go_whole_both_ways(through: Through) -> None:
    body = b"x" * 2_000_000 + b"...and the end."
    seen = (await through("POST", "/console/optouts/import", content=body)).json()
    assert (seen["method"], seen["body_length"], seen["body_end"]) == (
        "POST",
        len(body),
        body[-16:].decode(),
    )

    async def chunks() -> AsyncIterator[bytes]:
        for part in (b"a" * 1000, b"b" * 1000, b"the last part"):
            yield part

    seen = (await through("PUT", "/v1/x", content=chunks())).json()
    assert (seen["body_length"], seen["body_end"]) == (2013, "b" * 3 + "the last part")


async def test_redirects_and_repeated_headers_pass_unchanged(through: Through) -> None:
    answer = await through("POST", "/moved")
    assert answer.status_code == 303 and answer.headers["location"] == "/elsewhere"
    assert answer.headers.get_list("set-cookie") == ["a=1", "b=2"]
    # the cookies were the client's: the next request (another browser's) carries none
    assert "cookie" not in (await through("GET", "/console/")).json()["headers"]


async def test_a_deep_temporary_directory_still_gets_a_socket(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = tmp_path / ("d" * 100)
    deep.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    core = CoreHttp(shows_what_it_got, log_level="warning", log_format="text")
    await core.start()
    try:
        assert len(os.fsencode(core.path)) <= UNIX_SOCKET_PATH_MAX
    finally:
        await core.stop()


async def test_a_core_that_is_gone_is_a_502(tmp_path: Path) -> None:
    proxy = CoreProxy(str(tmp_path / "no-core.sock"))
    try:
        transport = httpx.ASGITransport(app=proxy)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            answer = await client.get("/v1/messages")
    finally:
        await proxy.aclose()
    assert (answer.status_code, answer.text) == (502, "core process unreachable")
