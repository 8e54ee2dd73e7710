"""Realm isolation on every /v1 endpoint (a key of realm A gets 404, or nothing, for realm B's
messages, opt-outs and inbound messages), and the inbound and opt-out endpoints themselves."""

import time

from sqlalchemy import insert

from smsgate.bootstrap import Gateway
from smsgate.store import schema as s
from tests.integration.http.conftest import Tenant


async def _inbound(gateway: Gateway, tenant: Tenant, phone: str, text: str) -> None:
    async with gateway.db.writer.begin() as conn:
        await conn.execute(
            insert(s.inbound_messages).values(
                realm_id=tenant.realm_id,
                connection="smsc",
                sender_code=tenant.sender,
                phone=phone,
                text=text,
                keyword="none",
                received_at=time.time(),
            )
        )


async def test_a_key_sees_nothing_of_another_realm(
    gateway: Gateway, tenants: tuple[Tenant, Tenant]
) -> None:
    a, b = tenants
    theirs = await b.client.post(
        "/v1/messages", json={"to": "12065551212", "from": b.sender, "text": "B's"}
    )
    their_id = theirs.json()["id"]
    await b.client.post("/v1/optouts", json={"phone": "12065550001"})
    await b.client.post("/v1/optouts", json={"phone": "12065550002", "sender_code": b.sender})
    await _inbound(gateway, b, "12065550003", "hello B")

    missing = await a.client.get(f"/v1/messages/{their_id}")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    assert (await a.client.get("/v1/messages")).json()["data"] == []
    assert (await a.client.get("/v1/inbound")).json()["data"] == []
    assert (await a.client.get("/v1/optouts")).json()["data"] == []
    for phone, params in (("12065550001", {}), ("12065550002", {"sender_code": b.sender})):
        removed = await a.client.delete(f"/v1/optouts/{phone}", params=params)
        assert (removed.status_code, removed.json()["code"]) == (404, "not_found")
    assert len((await b.client.get("/v1/optouts")).json()["data"]) == 2  # still there
    foreign = await a.client.post(
        "/v1/optouts", json={"phone": "12065550004", "sender_code": b.sender}
    )
    assert (foreign.status_code, foreign.json()["code"]) == (422, "unknown_sender_code")
    # B's own view is whole
    assert (await b.client.get(f"/v1/messages/{their_id}")).status_code == 200
    assert len((await b.client.get("/v1/inbound")).json()["data"]) == 1


async def test_inbound_pages_and_filters(gateway: Gateway, tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    for i in range(3):
        await _inbound(gateway, a, "12065550010" if i else "12065550011", f"msg {i}")
    page = (await a.client.get("/v1/inbound", params={"limit": 2})).json()
    assert [m["text"] for m in page["data"]] == ["msg 2", "msg 1"]
    assert page["data"][0]["from"] == "12065550010" and page["data"][0]["to"] == a.sender
    rest = (
        await a.client.get("/v1/inbound", params={"limit": 2, "cursor": page["next_cursor"]})
    ).json()
    assert ([m["text"] for m in rest["data"]], rest["next_cursor"]) == (["msg 0"], None)
    only = (await a.client.get("/v1/inbound", params={"from": "12065550011"})).json()
    assert [m["text"] for m in only["data"]] == ["msg 0"]
    messages_cursor = page["next_cursor"]
    wrong_kind = await a.client.get("/v1/messages", params={"cursor": messages_cursor})
    assert wrong_kind.status_code == 400


async def test_optouts_add_list_remove_and_they_stop_sends(
    tenants: tuple[Tenant, Tenant],
) -> None:
    a, _ = tenants
    added = await a.client.post("/v1/optouts", json={"phone": "+12065550020"})
    assert added.status_code == 201, added.text
    assert added.json()["phone"] == "12065550020" and added.json()["sender_code"] is None
    assert added.json()["source"] == "api"
    again = await a.client.post("/v1/optouts", json={"phone": "12065550020"})
    assert again.status_code == 200
    send = {"to": "12065550020", "from": a.sender, "text": "Hi"}
    refused = await a.client.post("/v1/messages", json=send)
    assert (refused.status_code, refused.json()["code"]) == (409, "opted_out")
    listed = (await a.client.get("/v1/optouts", params={"phone": "12065550020"})).json()["data"]
    assert [o["phone"] for o in listed] == ["12065550020"]
    assert (await a.client.delete("/v1/optouts/12065550020")).status_code == 204
    assert (await a.client.delete("/v1/optouts/12065550020")).status_code == 404
    assert (await a.client.post("/v1/messages", json=send)).status_code == 202
    scoped = await a.client.post(
        "/v1/optouts", json={"phone": "12065550021", "sender_code": a.sender}
    )
    assert scoped.json()["sender_code"] == a.sender
    realm_wide = await a.client.delete("/v1/optouts/12065550021")
    assert realm_wide.status_code == 404  # that phone's opt-out is of one sender code only
    removed = await a.client.delete("/v1/optouts/12065550021", params={"sender_code": a.sender})
    assert removed.status_code == 204


async def test_openapi_and_docs_are_served(tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    spec = (await a.client.get("/openapi.json")).json()
    assert {
        "/v1/messages",
        "/v1/messages/{message_id}",
        "/v1/inbound",
        "/v1/optouts",
        "/v1/optouts/{phone}",
        "/v1/encoding",
    } <= set(spec["paths"])
    docs = await a.client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert (await a.client.get("/healthz")).text == "ok"
    unknown = await a.client.get("/v1/nothing")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")


async def test_ids_and_cursors_that_cannot_be_are_problems_not_500(
    tenants: tuple[Tenant, Tenant],
) -> None:
    a, _ = tenants
    for path in ("/v1/messages/%00", "/v1/messages/" + "x" * 27):
        answer = await a.client.get(path)
        assert (answer.status_code, answer.json()["code"]) == (404, "not_found")
    cursors = {  # base64url of "i:²", "i:" + 20 nines, "i:-", "i:0"; of "m:" + NUL
        "/v1/inbound": ["aTrCsg", "aTo5OTk5OTk5OTk5OTk5OTk5OTk5OQ", "aTot", "aTow"],
        "/v1/messages": ["bToA"],
    }
    for path, values in cursors.items():
        for cursor in values:
            answer = await a.client.get(path, params={"cursor": cursor})
            assert (answer.status_code, answer.json()["code"]) == (400, "invalid_cursor"), cursor
