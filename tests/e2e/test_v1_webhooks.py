"""Webhooks through /v1 and the real server: an endpoint added with the JSON API (pointing at
a local receiver: private addresses allowed for this server), a message sent through the
built-in simulator, its `message.status` events signed and verified with `standardwebhooks`,
the deliveries listed through /v1, and one replayed: it arrives again, with the same
`webhook-id`."""

import asyncio
from typing import Any

from tests.e2e.support import ServerFactory
from tests.e2e.test_v1 import authorised
from tests.e2e.test_v1_contract import create_key
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.support.waiting import eventually

REALM, CODE = "hooked", "120162701555"
TIMEOUT = 30.0


async def test_an_endpoint_added_through_v1_gets_signed_events_and_a_replay(
    server_factory: ServerFactory, receiver: WebhookReceiver
) -> None:
    server = await server_factory(
        ("realm", "add", REALM, "--password", "hooked-pass"),
        ("sender", "add", REALM, CODE),
        dispatch=True,
        env={"SMSGATE_WEBHOOK_ALLOW_PRIVATE": "true"},
    )
    key = await asyncio.to_thread(create_key, server.data_dir, REALM)
    async with authorised(server, key) as client:
        added = await client.post(
            "/v1/webhooks", json={"url": receiver.url, "events": ["message.status"]}
        )
        assert added.status_code == 201, added.text
        endpoint = added.json()
        receiver.secret = endpoint["secret"]
        assert "secret" not in (await client.get(f"/v1/webhooks/{endpoint['id']}")).json()

        sent = await client.post(
            "/v1/messages", json={"to": "12065551212", "from": CODE, "text": "Hi"}
        )
        assert sent.status_code == 202, sent.text
        message_id = sent.json()["id"]

        def statuses() -> list[str]:
            return [r.json["data"]["status"] for r in receiver.received]

        async def delivered_event() -> bool:
            return "delivered" in statuses()

        await eventually(
            delivered_event,
            timeout=TIMEOUT,
            what="a delivered event",
            describe=lambda: str(statuses()),
        )
        assert all(r.verified for r in receiver.received)
        assert {r.json["type"] for r in receiver.received} == {"message.status"}
        assert {r.json["data"]["id"] for r in receiver.received} == {message_id}

        # every event's delivery is listed through /v1, and done once the receiver answered
        seen: dict[str, Any] = {}

        async def all_delivered() -> bool:
            seen.update((await client.get("/v1/webhooks/deliveries")).json())
            data = seen["data"]
            arrived = {r.headers["webhook-id"] for r in receiver.received}
            return {d["event_id"] for d in data} == arrived and all(
                d["status"] == "delivered" for d in data
            )

        await eventually(
            all_delivered, timeout=TIMEOUT, what="deliveries recorded", describe=lambda: str(seen)
        )
        assert {d["endpoint_id"] for d in seen["data"]} == {endpoint["id"]}

        # replay the delivered event: it arrives again, signed, with the same webhook-id
        last = next(
            r for r in reversed(receiver.received) if r.json["data"]["status"] == "delivered"
        )
        original = next(d for d in seen["data"] if d["event_id"] == last.headers["webhook-id"])
        before = len(receiver.received)
        replayed = await client.post(f"/v1/webhooks/deliveries/{original['id']}/replay")
        assert replayed.status_code == 202, replayed.text
        new_id = replayed.json()["delivery_id"]
        count = before + 1  # the replay, and any duplicate of an earlier event before it
        while not any(r.body == last.body for r in receiver.received[before:]):
            await receiver.wait_for(count, timeout=TIMEOUT, what="the replayed event")
            count += 1
        again = next(r for r in receiver.received[before:] if r.body == last.body)
        assert again.verified
        assert again.headers["webhook-id"] == last.headers["webhook-id"]
        got: dict[str, Any] = {}

        async def replay_recorded() -> bool:
            got.update((await client.get(f"/v1/webhooks/deliveries/{new_id}")).json())
            return bool(got.get("status") == "delivered")

        await eventually(
            replay_recorded, timeout=TIMEOUT, what="the replay recorded", describe=lambda: str(got)
        )
        assert got["event_id"] == original["event_id"] and got["id"] != original["id"]
