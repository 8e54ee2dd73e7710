"""api_web at the HTTP level: paths, methods and sizes a careless or hostile client sends."""

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import pytest

from tests.e2e.support import (
    ALPHA,
    SUCCESS,
    Server,
    exchange,
    make_client,
    reply,
    send_args,
    stored,
)


@pytest.mark.parametrize("path", ["/bin/api_web/", "/api_web/"])
async def test_the_trailing_slash_form_is_served_without_a_redirect(
    shared_server: Server, path: str
) -> None:
    args = send_args(ALPHA)
    async with make_client(shared_server) as client:
        response = await client.get(path, params=args)
    assert "location" not in response.headers
    assert reply(response) == SUCCESS
    assert len(await stored(shared_server, "1" + args["phone"])) == 1


@pytest.mark.parametrize(
    "path", ["/healthz/", "/readyz/", "/metrics/", "/nowhere/", "/bin/", "/bin/api_web//"]
)
async def test_no_redirect_echoes_a_password(shared_server: Server, path: str) -> None:
    query = urlencode({"r": ALPHA.name, "p": "Secret-Pa55", "pwd": "Other-Pa55"})
    async with make_client(shared_server) as client:
        response = await client.get(f"{path}?{query}")
    assert "Pa55" not in response.headers.get("location", ""), response.headers
    assert "Pa55" not in response.text


@pytest.mark.parametrize("method", ["HEAD", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"])
async def test_only_get_and_post_may_send(shared_server: Server, method: str) -> None:
    args = send_args(ALPHA)
    async with make_client(shared_server) as client:
        response = await client.request(
            method,
            "/bin/api_web",
            params=args,
            content=urlencode(args).encode() if method in ("PUT", "PATCH") else None,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    assert response.status_code == 405, response
    assert response.headers["allow"] == "GET, POST"
    if method != "HEAD":
        assert response.text == "FAILURE: Method not allowed"
    assert await stored(shared_server, "1" + args["phone"]) == []


TOO_LARGE = "FAILURE: Request too large"
MEGABYTE = 1024 * 1024


async def test_a_1_mb_query_is_one_failure_line(shared_server: Server) -> None:
    args = send_args(ALPHA, message_text="x" * MEGABYTE)  # over what httpx would send
    head = f"GET /api_web?{urlencode(args)} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    response = await asyncio.to_thread(exchange, shared_server, head)
    assert response.startswith(b"HTTP/1.1 200 OK\r\n"), response[:200]
    assert response.endswith(b"\r\n\r\n" + TOO_LARGE.encode())
    async with make_client(shared_server) as client:
        # a query just over the limit that arrives in one read with its headers, too
        over = send_args(ALPHA, message_text="x" * 17_000)
        assert reply(await client.get("/api_web", params=over)) == TOO_LARGE
    for sent in (args, over):
        assert await stored(shared_server, "1" + sent["phone"]) == []


async def test_a_1_mb_form_body_is_one_failure_line(shared_server: Server) -> None:
    args = send_args(ALPHA, message_text="x" * MEGABYTE)
    async with make_client(shared_server) as client:
        assert reply(await client.post("/api_web", data=args)) == TOO_LARGE

        async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: counted as read
            yield urlencode(send_args(ALPHA)).encode()
            for _ in range(64):
                yield b"&x=" + b"y" * 16_000

        response = await client.post(
            "/api_web",
            content=chunked(),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert reply(response) == TOO_LARGE
        # the connection is still good: the rest of the body was dropped as it arrived
        fine = send_args(ALPHA)
        assert reply(await client.post("/api_web", data=fine)) == SUCCESS
    assert await stored(shared_server, "1" + args["phone"]) == []
    assert len(await stored(shared_server, "1" + fine["phone"])) == 1
