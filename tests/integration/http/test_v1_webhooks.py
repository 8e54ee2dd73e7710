"""/v1/webhooks endpoints on both databases: 201 with the secret (then never again), list, get,
204 on remove, 202 test events, refused URLs and event types, realm isolation, and odd input
answered with problem documents (never a 500)."""

import json
import re
from collections.abc import Awaitable, Callable

import httpx

from smsgate.bootstrap import Gateway
from smsgate.bootstrap.app import gateway_app
from tests.integration.http.conftest import Tenant

PROBLEM = "application/problem+json"
PUBLIC_URL = "https://93.184.215.14/smsgate-hooks"  # an address literal: no DNS needed
ALL_EVENTS = ["message.status", "message.inbound", "optout.changed"]


def assert_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.headers["content-type"] == PROBLEM, response.text
    assert (response.status_code, response.json()["code"]) == (status, code), response.text


async def add(tenant: Tenant, url: str = PUBLIC_URL, **body: object) -> dict[str, object]:
    added = await tenant.client.post("/v1/webhooks", json={"url": url, **body})
    assert added.status_code == 201, added.text
    endpoint: dict[str, object] = added.json()
    return endpoint


async def test_the_secret_is_shown_once_and_never_listed(tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    made = await a.client.post(
        "/v1/webhooks", json={"url": f" {PUBLIC_URL} ", "events": ["message.status"]}
    )
    assert made.status_code == 201, made.text
    endpoint = made.json()
    assert re.fullmatch(r"ep_[0-9a-f]{16}", endpoint["id"])
    assert made.headers["location"] == f"/v1/webhooks/{endpoint['id']}"
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{43}=", endpoint["secret"])
    assert (endpoint["url"], endpoint["events"], endpoint["state"]) == (
        PUBLIC_URL,
        ["message.status"],
        "active",
    )
    assert endpoint["created_at"].endswith("Z") and endpoint["failing_since"] is None
    everything = await add(a, events=None)
    assert everything["events"] == ALL_EVENTS
    twice = await add(a, events=["optout.changed", "message.inbound", "optout.changed"])
    assert twice["events"] == ["optout.changed", "message.inbound"]

    listed = await a.client.get("/v1/webhooks")
    assert listed.status_code == 200
    assert [e["id"] for e in listed.json()["data"]] == [
        endpoint["id"],
        everything["id"],
        twice["id"],
    ]
    assert endpoint["secret"] not in listed.text and "secret" not in listed.text
    got = await a.client.get(f"/v1/webhooks/{endpoint['id']}")
    assert got.status_code == 200
    assert got.json() == {k: v for k, v in endpoint.items() if k != "secret"}


async def test_remove_answers_204_and_then_404(tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    endpoint = await add(a)
    removed = await a.client.delete(f"/v1/webhooks/{endpoint['id']}")
    assert (removed.status_code, removed.content) == (204, b"")
    assert_problem(await a.client.get(f"/v1/webhooks/{endpoint['id']}"), 404, "not_found")
    assert_problem(await a.client.delete(f"/v1/webhooks/{endpoint['id']}"), 404, "not_found")
    assert_problem(await a.client.post(f"/v1/webhooks/{endpoint['id']}/test"), 404, "not_found")
    assert (await a.client.get("/v1/webhooks")).json() == {"data": []}


async def test_a_test_event_is_queued_for_that_endpoint(tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    endpoint, other = await add(a), await add(a)
    queued = await a.client.post(f"/v1/webhooks/{endpoint['id']}/test")
    assert queued.status_code == 202, queued.text
    event_id = queued.json()["event_id"]
    assert re.fullmatch(r"evt_\w{26}", event_id)
    (delivery,) = (await a.client.get("/v1/webhooks/deliveries")).json()["data"]
    assert (delivery["event_id"], delivery["event_type"], delivery["endpoint_id"]) == (
        event_id,
        "webhook.test",
        endpoint["id"],
    )
    assert delivery["endpoint_id"] != other["id"]
    assert (delivery["status"], delivery["attempts"]) == ("pending", 0)


async def test_urls_webhooks_must_not_call_are_refused(tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    refused = [
        ("http://127.0.0.1:8080/x", "loopback"),
        ("http://10.1.2.3/x", "private"),
        ("http://[::ffff:192.168.0.1]/x", "private"),
        ("http://169.254.169.254/latest/meta-data", "metadata"),
        ("http://0/x", "unspecified"),
    ]
    for url, reason in refused:
        answer = await a.client.post("/v1/webhooks", json={"url": url})
        assert_problem(answer, 422, "webhook_url_refused")
        assert reason in answer.json()["detail"], answer.text
    invalid = [
        "ftp://93.184.215.14/x",
        "93.184.215.14/x",
        "https:///x",
        "https://user:pw@93.184.215.14/",
        "https://93.184.215.14/\x00",
        "https://93.184.215.14/\ud800",
        "https://" + "a" * 64 + ".example.com/",  # a DNS label is at most 63 characters
        "https://a..example.com/",
        "https://93.184.215.14:99999/",
        "https://93.184.215.14/" + "x" * 2100,
        "",
    ]
    for url in invalid:  # as JSON escapes: a lone surrogate too
        body = json.dumps({"url": url}).encode()
        headers = {"content-type": "application/json"}
        answer = await a.client.post("/v1/webhooks", content=body, headers=headers)
        assert_problem(answer, 422, "invalid_webhook_url")
    assert (await a.client.get("/v1/webhooks")).json() == {"data": []}


async def test_private_addresses_are_allowed_when_configured_but_metadata_never(
    gateway_factory: Callable[..., Awaitable[Gateway]],
    add_realm: Callable[..., Awaitable[int]],
) -> None:
    gateway = await gateway_factory(webhook_allow_private=True)
    await add_realm(gateway, "dev")
    key = (await gateway.api_keys.create("dev")).plaintext
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=gateway_app(gateway)),
        base_url="http://gateway",
        headers={"Authorization": f"Bearer {key}"},
    ) as client:
        local = await client.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/hooks"})
        assert local.status_code == 201, local.text
        metadata = await client.post("/v1/webhooks", json={"url": "http://169.254.169.254/"})
        assert_problem(metadata, 422, "webhook_url_refused")


async def test_unknown_event_types_and_bad_bodies(tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    for events in (["message.sent"], ["message.status", "nope"], ["webhook.test"], [""]):
        answer = await a.client.post("/v1/webhooks", json={"url": PUBLIC_URL, "events": events})
        assert_problem(answer, 422, "unknown_event_type")
    for body in (
        {"url": PUBLIC_URL, "events": []},
        {"url": PUBLIC_URL, "events": "message.status"},
        {"url": PUBLIC_URL, "secret": "whsec_mine"},
        {"events": ["message.status"]},
        {"url": 7},
    ):
        assert_problem(await a.client.post("/v1/webhooks", json=body), 422, "invalid_request")
    not_json = await a.client.post("/v1/webhooks", content=b"{", headers={"content-type": "x"})
    assert not_json.status_code in (400, 422) and not_json.headers["content-type"] == PROBLEM
    assert (await a.client.get("/v1/webhooks")).json() == {"data": []}


async def test_another_realms_endpoints_are_not_found(tenants: tuple[Tenant, Tenant]) -> None:
    a, b = tenants
    theirs = await add(b)
    path = f"/v1/webhooks/{theirs['id']}"
    assert_problem(await a.client.get(path), 404, "not_found")
    assert_problem(await a.client.post(f"{path}/test"), 404, "not_found")
    assert_problem(await a.client.delete(path), 404, "not_found")
    assert (await a.client.get("/v1/webhooks")).json() == {"data": []}
    assert (await a.client.get("/v1/webhooks/deliveries")).json()["data"] == []
    # still B's, untouched
    assert (await b.client.get(path)).status_code == 200
    assert [e["id"] for e in (await b.client.get("/v1/webhooks")).json()["data"]] == [theirs["id"]]


async def test_odd_ids_and_parameters_are_problems_never_500(
    tenants: tuple[Tenant, Tenant],
) -> None:
    a, _ = tenants
    await add(a)
    await a.client.post("/v1/webhooks/nothing/test")
    odd = ["%00", "ep_%00", "ep_0123456789abcdeg", "EP_0123456789ABCDEF", "%F0%9F%98%80", "..%2F"]
    for raw in odd:
        for method in ("GET", "DELETE"):
            answer = await a.client.request(method, f"/v1/webhooks/{raw}")
            assert_problem(answer, 404, "not_found")
        assert_problem(await a.client.post(f"/v1/webhooks/{raw}/test"), 404, "not_found")
    numbers = ["0", "-1", "1.5", "1e3", "%00", "%D9%A3", "99999999999999999999", str(2**31)]
    for raw in numbers:
        answer = await a.client.get(f"/v1/webhooks/deliveries/{raw}")
        assert_problem(answer, 404, "not_found")
        replay = await a.client.post(f"/v1/webhooks/deliveries/{raw}/replay")
        assert_problem(replay, 404, "not_found")
    for params in ({"limit": 0}, {"limit": 10**30}, {"limit": "x"}, {"failed": "maybe"}):
        answer = await a.client.get("/v1/webhooks/deliveries", params=params)
        assert_problem(answer, 422, "invalid_request")
    messages_cursor = "bToxMjM"  # "m:123": a cursor of /v1/messages
    for cursor in ("nonsense", "%00", "ZDo", "ZDp4", "ZDo5OTk5OTk5OTk5OTk5OTk5", messages_cursor):
        answer = await a.client.get("/v1/webhooks/deliveries", params={"cursor": cursor})
        assert_problem(answer, 400, "invalid_cursor")
    assert_problem(await a.client.put("/v1/webhooks/deliveries"), 405, "method_not_allowed")
    assert_problem(await a.client.get("/v1/webhooks/"), 404, "not_found")


async def test_every_webhook_route_wants_a_key(tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    endpoint = await add(a)
    routes = [
        ("GET", "/v1/webhooks"),
        ("POST", "/v1/webhooks"),
        ("GET", f"/v1/webhooks/{endpoint['id']}"),
        ("DELETE", f"/v1/webhooks/{endpoint['id']}"),
        ("POST", f"/v1/webhooks/{endpoint['id']}/test"),
        ("GET", "/v1/webhooks/deliveries"),
        ("GET", "/v1/webhooks/deliveries/1"),
        ("POST", "/v1/webhooks/deliveries/1/replay"),
    ]
    for method, path in routes:
        for headers in ({"Authorization": ""}, {"Authorization": "Bearer sg_nope_nope"}):
            answer = await a.client.request(method, path, headers=headers, json={"url": "x"})
            assert_problem(answer, 401, "unauthorised")
    assert (await a.client.get(f"/v1/webhooks/{endpoint['id']}")).status_code == 200


async def test_openapi_documents_the_webhook_routes(tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    spec = (await a.client.get("/openapi.json")).json()
    paths = spec["paths"]
    assert {
        path: {method: min(op["responses"]) for method, op in ops.items()}
        for path, ops in paths.items()
        if path.startswith("/v1/webhooks")
    } == {
        "/v1/webhooks": {"get": "200", "post": "201"},
        "/v1/webhooks/{endpoint_id}": {"get": "200", "delete": "204"},
        "/v1/webhooks/{endpoint_id}/test": {"post": "202"},
        "/v1/webhooks/deliveries": {"get": "200"},
        "/v1/webhooks/deliveries/{delivery_id}": {"get": "200"},
        "/v1/webhooks/deliveries/{delivery_id}/replay": {"post": "202"},
    }
    assert "404" in paths["/v1/webhooks/{endpoint_id}"]["get"]["responses"]
    assert "422" in paths["/v1/webhooks"]["post"]["responses"]
    schemas = spec["components"]["schemas"]
    assert "secret" in schemas["NewEndpointResource"]["properties"]
    assert "secret" not in schemas["EndpointResource"]["properties"]
