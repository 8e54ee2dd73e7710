"""/v1 bodies are bounded before anything reads them: declared or streamed."""

from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI
from pydantic import BaseModel

from smsgate.http.v1 import problems
from smsgate.http.v1.limits import BodyLimit


class Body(BaseModel):
    text: str


def app(limit: int) -> FastAPI:
    api = FastAPI()
    problems.install(api)
    api.add_middleware(BodyLimit, max_bytes=limit)

    @api.post("/echo")
    async def echo(body: Body) -> int:
        return len(body.text)

    return api


def client(limit: int = 100) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app(limit)), base_url="http://t")


async def test_a_body_within_the_limit_is_read() -> None:
    async with client() as c:
        response = await c.post("/echo", json={"text": "x" * 50})
    assert response.json() == 50


async def test_a_declared_length_over_the_limit_is_refused_unread() -> None:
    async with client() as c:
        response = await c.post("/echo", json={"text": "x" * 200})
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


async def test_a_streamed_body_over_the_limit_is_refused() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"text": "'
        for _ in range(10):
            yield b"x" * 50
        yield b'"}'

    async with client() as c:
        response = await c.post("/echo", content=chunks())  # chunked: no Content-Length
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
