"""/v1/webhooks/deliveries on both databases: pages with a cursor, newest first, the `failed`
filter, one delivery, replay (202, a new delivery of the same event), and realm isolation by
guessed ids. Attempts' results are written as the sender writes them (store/webhook_outbox.py):
these gateways do not dispatch, so nothing else touches the deliveries."""

import time
from typing import Any

from smsgate.bootstrap import Gateway
from smsgate.domain.webhook import AttemptResult
from smsgate.store import webhook_outbox as outbox
from tests.integration.http.conftest import Tenant
from tests.integration.http.test_v1_webhooks import add, assert_problem

LEASE = 60.0


async def queue_tests(tenant: Tenant, endpoint_id: object, n: int) -> list[str]:
    """`n` test events for the endpoint: their event ids, oldest first."""
    ids = []
    for _ in range(n):
        queued = await tenant.client.post(f"/v1/webhooks/{endpoint_id}/test")
        assert queued.status_code == 202, queued.text
        ids.append(queued.json()["event_id"])
    return ids


async def attempt_all(gateway: Gateway, *, give_up: set[str], retry: set[str]) -> None:
    """One attempt of every due delivery: those of the `give_up` events fail for good, those of
    `retry` fail and are due again later, the rest are delivered."""
    now = time.time()
    due = await gateway.transactions.run(lambda tx: outbox.claim_due(tx, now, 100, LEASE))
    results = []
    for d in due:
        if d.event_id in give_up or d.event_id in retry:
            later = now + 3600 if d.event_id in retry else None
            results.append(
                AttemptResult(d.id, d.endpoint_id, now, False, 500, "HTTP 500", "", later)
            )
        else:
            results.append(AttemptResult(d.id, d.endpoint_id, now, True, 204, None, "", None))
    await gateway.transactions.run(lambda tx: outbox.record(tx, results))


async def every_page(tenant: Tenant, **params: Any) -> list[list[dict[str, Any]]]:
    pages: list[list[dict[str, Any]]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        answer = await tenant.client.get("/v1/webhooks/deliveries", params=query)
        assert answer.status_code == 200, answer.text
        pages.append(answer.json()["data"])
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            return pages


async def test_pages_newest_first_and_the_failed_filter(
    gateway: Gateway, tenants: tuple[Tenant, Tenant]
) -> None:
    a, _ = tenants
    endpoint = await add(a)
    events = await queue_tests(a, endpoint["id"], 7)
    await attempt_all(gateway, give_up={events[1], events[4]}, retry={events[5]})

    pages = await every_page(a, limit=3)
    assert [len(p) for p in pages] == [3, 3, 1]
    listed = [d for page in pages for d in page]
    assert [d["event_id"] for d in listed] == events[::-1]
    ids = [d["id"] for d in listed]
    assert ids == sorted(ids, reverse=True)
    by_event = {d["event_id"]: d for d in listed}
    assert by_event[events[0]]["status"] == "delivered"
    assert by_event[events[0]]["delivered_at"].endswith("Z")
    failed = by_event[events[1]]
    assert (failed["status"], failed["attempts"], failed["last_status"]) == ("failed", 1, 500)
    assert (failed["last_error"], failed["next_attempt_at"]) == ("HTTP 500", None)
    retrying = by_event[events[5]]
    assert (retrying["status"], retrying["attempts"]) == ("pending", 1)
    assert retrying["next_attempt_at"] is not None

    failing = await every_page(a, failed="true", limit=2)
    assert [[d["event_id"] for d in page] for page in failing] == [
        [events[5], events[4]],
        [events[1]],
    ]
    exact = await every_page(a, failed="true", limit=3)
    assert [len(p) for p in exact] == [3]  # a full last page has no next cursor
    default = (await a.client.get("/v1/webhooks/deliveries")).json()
    assert len(default["data"]) == 7 and default["next_cursor"] is None

    one = await a.client.get(f"/v1/webhooks/deliveries/{failed['id']}")
    assert one.status_code == 200 and one.json() == failed


async def test_replay_makes_a_new_delivery_of_the_same_event(
    gateway: Gateway, tenants: tuple[Tenant, Tenant]
) -> None:
    a, _ = tenants
    endpoint = await add(a)
    (event_id,) = await queue_tests(a, endpoint["id"], 1)
    await attempt_all(gateway, give_up={event_id}, retry=set())
    (failed,) = (await a.client.get("/v1/webhooks/deliveries", params={"failed": True})).json()[
        "data"
    ]

    replayed = await a.client.post(f"/v1/webhooks/deliveries/{failed['id']}/replay")
    assert replayed.status_code == 202, replayed.text
    new_id = replayed.json()["delivery_id"]
    assert new_id > failed["id"]
    assert replayed.headers["location"] == f"/v1/webhooks/deliveries/{new_id}"
    fresh = (await a.client.get(f"/v1/webhooks/deliveries/{new_id}")).json()
    assert (fresh["event_id"], fresh["endpoint_id"], fresh["status"], fresh["attempts"]) == (
        event_id,
        endpoint["id"],
        "pending",
        0,
    )
    listed = (await a.client.get("/v1/webhooks/deliveries")).json()["data"]
    assert [d["id"] for d in listed] == [new_id, failed["id"]]
    assert listed[1]["status"] == "failed"  # the old one stays as it was

    await attempt_all(gateway, give_up=set(), retry=set())
    delivered = (await a.client.get(f"/v1/webhooks/deliveries/{new_id}")).json()
    assert delivered["status"] == "delivered"

    # the endpoint removed: nothing to replay to
    assert (await a.client.delete(f"/v1/webhooks/{endpoint['id']}")).status_code == 204
    gone = await a.client.post(f"/v1/webhooks/deliveries/{new_id}/replay")
    assert_problem(gone, 404, "not_found")


async def test_guessed_delivery_ids_of_another_realm_are_not_found(
    gateway: Gateway, tenants: tuple[Tenant, Tenant]
) -> None:
    a, b = tenants
    mine = await add(a)
    theirs = await add(b)
    await queue_tests(a, mine["id"], 2)
    await queue_tests(b, theirs["id"], 3)
    await attempt_all(gateway, give_up=set(), retry=set())
    own = {d["id"] for d in (await a.client.get("/v1/webhooks/deliveries")).json()["data"]}
    their_ids = {d["id"] for d in (await b.client.get("/v1/webhooks/deliveries")).json()["data"]}
    assert len(own) == 2 and len(their_ids) == 3 and not own & their_ids

    guesses = range(1, max(own | their_ids) + 5)
    for guess in guesses:
        got = await a.client.get(f"/v1/webhooks/deliveries/{guess}")
        if guess in own:
            assert got.status_code == 200 and got.json()["endpoint_id"] == mine["id"]
        else:
            assert_problem(got, 404, "not_found")
    for guess in set(guesses) - own:
        replay = await a.client.post(f"/v1/webhooks/deliveries/{guess}/replay")
        assert_problem(replay, 404, "not_found")
    # B's deliveries are as they were (none replayed by A), and A's listing is A's only
    assert len((await b.client.get("/v1/webhooks/deliveries")).json()["data"]) == 3
    a_pages = await every_page(a, limit=1)
    assert sorted(d["id"] for page in a_pages for d in page) == sorted(own)
