"""POST/GET /v1/messages on both databases: 202 after the commit, the resource and its events,
pages, Idempotency-Key (also under 20 concurrent retries), problem documents."""

import asyncio

from smsgate.bootstrap import Gateway
from tests.integration.http.conftest import Tenant

PROBLEM = "application/problem+json"


def body(tenant: Tenant, **overrides: object) -> dict[str, object]:
    return {"to": "12065551212", "from": tenant.sender, "text": "Hi", **overrides}


async def test_send_then_read_it_back_with_its_events(
    gateway: Gateway, tenants: tuple[Tenant, Tenant]
) -> None:
    a, _ = tenants
    sent = await a.client.post(
        "/v1/messages", json=body(a, client_ref="order-1", validity_seconds=600)
    )
    assert sent.status_code == 202, sent.text
    message = sent.json()
    assert sent.headers["location"] == f"/v1/messages/{message['id']}"
    assert {k: message[k] for k in ("to", "from", "text", "encoding", "parts", "status")} == {
        "to": "12065551212",
        "from": a.sender,
        "text": "Hi",
        "encoding": "gsm7",
        "parts": 1,
        "status": "queued",
    }
    assert (message["client_ref"], message["validity_seconds"]) == ("order-1", 600)
    stored = await gateway.messages.get(a.realm_id, message["id"])  # committed before the 202
    assert stored is not None and stored.client_ref == "order-1"

    got = await a.client.get(f"/v1/messages/{message['id']}")
    assert got.status_code == 200
    assert got.json()["events"] == [{"type": "accepted", "at": message["created_at"]}]


async def test_long_texts_go_as_concatenated_parts_up_to_1600_characters(
    tenants: tuple[Tenant, Tenant],
) -> None:
    a, _ = tenants
    sent = await a.client.post("/v1/messages", json=body(a, text="x" * 1600))
    assert sent.status_code == 202 and sent.json()["parts"] == 11
    too_long = await a.client.post("/v1/messages", json=body(a, text="x" * 1601))
    assert too_long.status_code == 422
    assert too_long.headers["content-type"] == PROBLEM
    assert too_long.json()["code"] == "text_too_long"


async def test_refusals_are_problem_documents_with_stable_codes(
    gateway: Gateway, tenants: tuple[Tenant, Tenant]
) -> None:
    a, b = tenants
    await gateway.optouts.add(a.realm_id, "12065550199", a.sender, source="cli")
    cases = [
        (body(a, to="12-34"), 422, "invalid_phone"),
        (body(a, **{"from": b.sender}), 422, "unknown_sender_code"),
        (body(a, text=""), 422, "text_empty"),
        (body(a, to="12065550199"), 409, "opted_out"),
        (body(a, validity_seconds=5), 422, "invalid_validity"),
        ({"to": "12065551212"}, 422, "invalid_request"),
    ]
    for payload, status, code in cases:
        response = await a.client.post("/v1/messages", json=payload)
        assert (response.status_code, response.json()["code"]) == (status, code), payload
        problem = response.json()
        assert response.headers["content-type"] == PROBLEM
        assert problem["status"] == status and problem["type"] == f"urn:smsgate:problem:{code}"
    anonymous = await a.client.post("/v1/messages", json=body(a), headers={"Authorization": ""})
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "unauthorised")
    assert anonymous.headers["www-authenticate"] == "Bearer"
    wrong = await a.client.get("/v1/messages", headers={"Authorization": f"Bearer {a.key}x"})
    assert wrong.status_code == 401


async def test_idempotency_key_replays_the_first_answer_and_refuses_another_body(
    tenants: tuple[Tenant, Tenant],
) -> None:
    a, b = tenants
    headers = {"Idempotency-Key": "job-42"}
    first = await a.client.post("/v1/messages", json=body(a), headers=headers)
    again = await a.client.post("/v1/messages", json=body(a), headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    other = await a.client.post("/v1/messages", json=body(a, text="Bye"), headers=headers)
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_conflict")
    theirs = await b.client.post("/v1/messages", json=body(b), headers=headers)
    assert theirs.status_code == 202 and theirs.json()["id"] != first.json()["id"]
    listed = (await a.client.get("/v1/messages")).json()["data"]
    assert [m["id"] for m in listed] == [first.json()["id"]]


async def test_twenty_concurrent_retries_make_one_message(
    tenants: tuple[Tenant, Tenant],
) -> None:
    a, _ = tenants
    headers = {"Idempotency-Key": "burst"}
    responses = await asyncio.gather(
        *(a.client.post("/v1/messages", json=body(a), headers=headers) for _ in range(20))
    )
    assert {r.status_code for r in responses} == {202}
    assert len({r.json()["id"] for r in responses}) == 1
    assert len((await a.client.get("/v1/messages")).json()["data"]) == 1


async def test_pages_filters_and_cursor(tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    ids = []
    for i in range(5):
        phone = "12065551212" if i % 2 else "12065551213"
        response = await a.client.post("/v1/messages", json=body(a, to=phone))
        ids.append(response.json()["id"])
    first = (await a.client.get("/v1/messages", params={"limit": 2})).json()
    assert [m["id"] for m in first["data"]] == ids[::-1][:2]
    second = (
        await a.client.get("/v1/messages", params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    third = (
        await a.client.get("/v1/messages", params={"limit": 2, "cursor": second["next_cursor"]})
    ).json()
    assert [m["id"] for m in second["data"] + third["data"]] == ids[::-1][2:]
    assert third["next_cursor"] is None
    to = (await a.client.get("/v1/messages", params={"to": "+12065551212"})).json()["data"]
    assert [m["id"] for m in to] == [ids[3], ids[1]]
    queued = await a.client.get("/v1/messages", params={"status": "queued"})
    assert len(queued.json()["data"]) == 5
    future = await a.client.get("/v1/messages", params={"since": "2100-01-01T00:00:00Z"})
    assert future.json()["data"] == []
    bad = await a.client.get("/v1/messages", params={"cursor": "nonsense"})
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_cursor")


async def test_encoding_names_the_characters_that_force_ucs2(
    tenants: tuple[Tenant, Tenant],
) -> None:
    a, _ = tenants
    plain = await a.client.post("/v1/encoding", json={"text": "Don't panic"})
    assert plain.json() == {
        "encoding": "gsm7",
        "parts": 1,
        "length": 11,
        "units": 11,
        "ucs2_characters": [],
    }
    smart = await a.client.post("/v1/encoding", json={"text": "Don\u2019t \u201cpanic\u201d " * 10})
    info = smart.json()
    assert (info["encoding"], info["parts"]) == ("ucs2", 3)
    assert info["ucs2_characters"] == ["\u2019", "\u201c", "\u201d"]
