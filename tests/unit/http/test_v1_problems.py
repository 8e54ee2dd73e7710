"""Problem documents for every error of a /v1 app: refusals, validation, unknown routes and
methods, and a bug (500, logged once, no traceback in the answer)."""

import logging

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from smsgate.domain.submission import Refusal
from smsgate.http.v1 import problems

PROBLEM = "application/problem+json"


class Body(BaseModel):
    n: int


def app() -> FastAPI:
    api = FastAPI()
    problems.install(api)

    @api.post("/refuse")
    async def refuse() -> None:
        raise Refusal("opted_out", "Phone 1 has opted out of sender code 2")

    @api.post("/validate")
    async def validate(body: Body) -> int:
        return body.n

    @api.get("/bug")
    async def bug() -> None:
        raise RuntimeError("secret internals")

    return api


@pytest.fixture
async def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app()), base_url="http://t")


async def test_a_refusal_has_its_status_and_code(client: httpx.AsyncClient) -> None:
    response = await client.post("/refuse")
    assert (response.status_code, response.headers["content-type"]) == (409, PROBLEM)
    assert response.json() == {
        "type": "urn:smsgate:problem:opted_out",
        "title": "Conflict",
        "status": 409,
        "detail": "Phone 1 has opted out of sender code 2",
        "code": "opted_out",
    }


async def test_validation_errors_say_where(client: httpx.AsyncClient) -> None:
    response = await client.post("/validate", json={"n": "many"})
    problem = response.json()
    assert (response.status_code, problem["code"]) == (422, "invalid_request")
    assert problem["errors"][0]["loc"] == ["body", "n"]
    assert problem["detail"].startswith("body.n: ")


async def test_unknown_paths_and_methods(client: httpx.AsyncClient) -> None:
    missing = await client.get("/nothing")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    wrong = await client.delete("/refuse")
    assert (wrong.status_code, wrong.json()["code"]) == (405, "method_not_allowed")
    assert wrong.headers["allow"] == "POST"


async def test_a_bug_is_a_500_problem_logged_once(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        response = await client.get("/bug")
    assert (response.status_code, response.json()["code"]) == (500, "internal_error")
    assert "secret internals" not in response.text
    assert [r.getMessage() for r in caplog.records] == ["GET /bug failed"]


async def test_a_detail_repeating_a_lone_surrogate_is_still_json() -> None:
    api = FastAPI()
    problems.install(api)

    @api.get("/echo")
    async def echo() -> None:
        raise Refusal("unknown_sender_code", "Sender code \ud800x not found in realm")

    transport = httpx.ASGITransport(app=api)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        response = await c.get("/echo")
    assert response.status_code == 422
    assert response.json()["detail"] == "Sender code \ud800x not found in realm"


async def test_a_body_that_is_not_json_is_an_invalid_request(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/validate", content=b"\xff", headers={"content-type": "application/json"}
    )
    assert response.status_code in (400, 422)
    assert response.json()["code"] == "invalid_request"
