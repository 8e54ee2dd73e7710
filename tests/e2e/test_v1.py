"""The JSON API through the real server: keys made by the CLI, a message sent through the
built-in simulator and its whole history read back, 20 concurrent retries with one
Idempotency-Key, and realm isolation."""

import asyncio
from typing import Any

import httpx

from tests.e2e.support import ALPHA, BETA, Server, ServerFactory, make_client, next_phone
from tests.e2e.test_v1_contract import create_key
from tests.support.waiting import eventually


def authorised(server: Server, key: str) -> httpx.AsyncClient:
    client = make_client(server)
    client.headers["Authorization"] = f"Bearer {key}"
    return client


async def test_a_message_and_its_history_through_the_simulator(
    server_factory: ServerFactory,
) -> None:
    server = await server_factory(
        ("realm", "add", "myrealm", "--password", "mypass"),
        ("sender", "add", "myrealm", "120162701555"),
        dispatch=True,
    )
    key = await asyncio.to_thread(create_key, server.data_dir, "myrealm")
    async with authorised(server, key) as client:
        sent = await client.post(
            "/v1/messages",
            json={
                "to": "12065551212",
                "from": "120162701555",
                "text": "x" * 200,  # two parts
                "validity_seconds": 3600,
            },
        )
        assert sent.status_code == 202, sent.text
        message_id = sent.json()["id"]
        seen: dict[str, Any] = {}

        async def delivered() -> bool:
            seen.update((await client.get(f"/v1/messages/{message_id}")).json())
            return bool(seen.get("status") == "delivered")

        await eventually(delivered, timeout=30, what="delivered", describe=lambda: str(seen))
    events = seen["events"]
    assert [e["type"] for e in events[:1]] == ["accepted"]
    submitted = [e for e in events if e["type"] == "submitted"]
    receipts = [e for e in events if e["type"] == "receipt"]
    assert sorted(e["part"] for e in submitted) == [1, 2]
    assert all(e["smpp_status"] == 0 and e["smsc_message_id"] for e in submitted)
    assert sorted(e["part"] for e in receipts) == [1, 2]
    assert {e["stat"] for e in receipts} == {"delivered"}
    assert seen["parts"] == 2 and seen["validity_seconds"] == 3600


async def test_twenty_concurrent_retries_through_the_server_make_one_message(
    shared_server: Server,
) -> None:
    key = await asyncio.to_thread(create_key, shared_server.data_dir, ALPHA.name)
    phone = next_phone()
    body = {"to": phone, "from": ALPHA.senders[0], "text": "once"}
    async with authorised(shared_server, key) as client:
        responses = await asyncio.gather(
            *(
                client.post("/v1/messages", json=body, headers={"Idempotency-Key": f"k-{phone}"})
                for _ in range(20)
            )
        )
        assert {r.status_code for r in responses} == {202}
        assert len({r.json()["id"] for r in responses}) == 1
        listed = await client.get("/v1/messages", params={"to": phone})
        assert len(listed.json()["data"]) == 1


async def test_keys_see_only_their_realm(shared_server: Server) -> None:
    alpha = await asyncio.to_thread(create_key, shared_server.data_dir, ALPHA.name)
    beta = await asyncio.to_thread(create_key, shared_server.data_dir, BETA.name)
    phone = next_phone()
    async with authorised(shared_server, beta) as b, authorised(shared_server, alpha) as a:
        theirs = await b.post(
            "/v1/messages", json={"to": phone, "from": BETA.senders[0], "text": "beta"}
        )
        assert (await b.post("/v1/optouts", json={"phone": phone})).status_code == 201
        assert (await a.get(f"/v1/messages/{theirs.json()['id']}")).status_code == 404
        assert (await a.get("/v1/messages", params={"to": phone})).json()["data"] == []
        assert (await a.get("/v1/optouts", params={"phone": phone})).json()["data"] == []
        assert (await a.delete(f"/v1/optouts/{phone}")).status_code == 404
        problem = await a.post(
            "/v1/messages", json={"to": phone, "from": BETA.senders[0], "text": "x"}
        )
        assert problem.headers["content-type"] == "application/problem+json"
        assert problem.json()["code"] == "unknown_sender_code"
