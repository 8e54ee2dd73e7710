"""/console/webhooks through the console's ASGI app (httpx): endpoints added (the secret shown
once), refused, tested and removed behind a confirmation; deliveries by page, failed only, and
replayed; every POST answered by a redirect and refused without its CSRF token; a realm user
sees 404 for another realm's endpoint or delivery; the overview's webhook backlog."""

import re
import time
from urllib.parse import parse_qs, urlsplit

import httpx

from smsgate.bootstrap import Gateway
from smsgate.domain.webhook import AttemptResult, EventType, NewEvent, event_body
from smsgate.store import webhook_outbox as outbox
from smsgate.store.webhooks import WebhookStore
from tests.integration.console.conftest import Console, csrf_of

PUBLIC = "http://93.184.215.14/hooks"  # an address literal: no DNS in the tests
ALL = ["message.status", "message.inbound", "optout.changed"]


async def _csrf(client: httpx.AsyncClient) -> str:
    return csrf_of((await client.get("/console/webhooks")).text)


async def _add(client: httpx.AsyncClient, url: str = PUBLIC, **form: object) -> httpx.Response:
    data = {"csrf": await _csrf(client), "url": url, "events": ALL, **form}
    return await client.post("/console/webhooks", data=data)


async def _added(client: httpx.AsyncClient, url: str = PUBLIC, **form: object) -> str:
    """Add an endpoint through the page; its id."""
    answer = await _add(client, url, **form)
    assert answer.status_code == 303, answer.text
    shown = await client.get(answer.headers["location"])
    found = re.search(r"Webhook endpoint (ep_[0-9a-f]+) added", shown.text)
    assert found is not None, shown.text
    return found.group(1)


async def _events(gateway: Gateway, realm_id: int, endpoint_id: str, n: int) -> list[int]:
    """`n` deliveries to the endpoint (opt-out events), oldest first."""
    now = time.time()
    kind = EventType.OPTOUT_CHANGED
    events = [NewEvent(realm_id, kind, event_body(kind, now, {"n": i})) for i in range(n)]
    store = WebhookStore(gateway.db)
    assert await store.enqueue(events, now, endpoint_id=endpoint_id) == n
    return sorted(d.id for d in await store.deliveries(realm_id, limit=n))


async def _fail(gateway: Gateway, endpoint_id: str, *delivery_ids: int) -> None:
    """Record a last failed attempt (no retry left) for each delivery."""
    results = [
        AttemptResult(i, endpoint_id, time.time(), False, 503, None, "down", None)
        for i in delivery_ids
    ]
    await gateway.transactions.run(lambda tx: outbox.record(tx, results))


async def test_add_shows_the_secret_once(
    gateway: Gateway, console: Console, realms: dict[str, int]
) -> None:
    client = await console("north", "ann")
    page = await client.get("/console/webhooks")
    assert page.status_code == 200 and 'id="add-endpoint"' in page.text
    assert '<label for="endpoint-url">' in page.text and 'for="event-1"' in page.text
    answer = await _add(client, events=["message.status", "optout.changed"])
    assert answer.status_code == 303
    location = answer.headers["location"]
    (token,) = parse_qs(urlsplit(location).query)["added"]
    (endpoint,) = await WebhookStore(gateway.db).list(realms["north"])
    assert endpoint.secret not in location and token not in endpoint.secret
    assert [e.value for e in endpoint.events] == ["message.status", "optout.changed"]

    shown = await client.get(location)
    assert f'id="new-secret">{endpoint.secret}<' in shown.text
    assert f'data-endpoint="{endpoint.id}"' in shown.text and PUBLIC in shown.text
    again = await client.get(location)  # reloaded: the secret is not shown again
    assert again.status_code == 200 and endpoint.secret not in again.text
    assert f'data-endpoint="{endpoint.id}"' in again.text

    # an operator chooses the realm; another session cannot take the token
    olga = await console(None, "olga")
    assert endpoint.secret not in (await olga.get(location)).text
    south = await _added(olga, realm="south")
    assert [e.id for e in await WebhookStore(gateway.db).list(realms["south"])] == [south]
    listed = await olga.get("/console/webhooks", params={"realm": "south"})
    assert south in listed.text and endpoint.id not in listed.text
    first = await olga.get("/console/webhooks")  # by default the first realm by name
    assert endpoint.id in first.text and "<option selected>north</option>" in first.text


async def test_a_refused_url_is_an_error_on_the_form(
    gateway: Gateway, console: Console, realms: dict[str, int]
) -> None:
    client = await console("north", "ann")
    for url, reason in [
        ("http://127.0.0.1:9/x", "refused: 127.0.0.1 is a loopback address"),
        ("http://169.254.169.254/latest", "metadata"),
        ("ftp://93.184.215.14/x", "only http and https"),
        ("not a url", "spaces"),
    ]:
        answer = await _add(client, url)
        assert answer.status_code == 400, url
        assert 'role="alert"' in answer.text and reason in answer.text, answer.text
        assert f'value="{url}"' in answer.text  # the form as typed
    none_checked = await _add(client, events=[])
    assert none_checked.status_code == 400 and "choose at least one event type" in none_checked.text
    assert await WebhookStore(gateway.db).list(realms["north"]) == []


async def test_send_a_test_and_remove_with_a_confirmation(
    gateway: Gateway, console: Console, realms: dict[str, int]
) -> None:
    client = await console("north", "ann")
    endpoint_id = await _added(client)
    csrf = await _csrf(client)
    tested = await client.post(
        f"/console/webhooks/north/endpoints/{endpoint_id}/test", data={"csrf": csrf}
    )
    assert tested.status_code == 303
    page = await client.get(tested.headers["location"])
    assert f"queued for {endpoint_id}" in page.text
    (delivery,) = await WebhookStore(gateway.db).deliveries(realms["north"])
    assert delivery.event_type == "webhook.test"
    assert f'data-delivery="{delivery.id}"' in page.text and "webhook.test" in page.text

    remove = f"/console/webhooks/north/endpoints/{endpoint_id}/remove"
    asked = await client.get(remove)
    assert asked.status_code == 200 and f"Remove webhook endpoint {endpoint_id}" in asked.text
    assert 'name="confirm" value="yes"' in asked.text and PUBLIC in asked.text
    assert 'href="/console/webhooks?realm=north">Cancel<' in asked.text
    unconfirmed = await client.post(remove, data={"csrf": csrf})
    assert unconfirmed.status_code == 200 and 'name="confirm"' in unconfirmed.text
    assert (await client.post(remove, data={"confirm": "yes"})).status_code == 403
    assert len(await WebhookStore(gateway.db).list(realms["north"])) == 1
    removed = await client.post(remove, data={"csrf": csrf, "confirm": "yes"})
    assert removed.status_code == 303
    after = await client.get(removed.headers["location"])
    assert f"Webhook endpoint {endpoint_id} removed." in after.text
    assert f'data-endpoint="{endpoint_id}"' not in after.text
    assert await WebhookStore(gateway.db).list(realms["north"]) == []
    assert "cancelled" in after.text and "(removed)" in after.text  # its pending test
    assert (await client.get(remove)).status_code == 404


async def test_deliveries_by_page_failed_only_and_replayed(
    gateway: Gateway, console: Console, realms: dict[str, int]
) -> None:
    client = await console("north", "ann")
    endpoint_id = await _added(client)
    ids = await _events(gateway, realms["north"], endpoint_id, 60)
    await _fail(gateway, endpoint_id, ids[3], ids[55])

    first = await client.get("/console/webhooks")
    shown = [int(i) for i in re.findall(r'data-delivery="(\d+)"', first.text)]
    assert shown == ids[::-1][:50]  # newest first, 50 a page
    more = re.search(r'rel="next" href="([^"]+)"', first.text)
    assert more is not None
    second = await client.get(more.group(1).replace("&amp;", "&"))
    assert [int(i) for i in re.findall(r'data-delivery="(\d+)"', second.text)] == ids[::-1][50:]
    assert 'rel="next"' not in second.text

    failed = await client.get("/console/webhooks", params={"failed": "1"})
    assert [int(i) for i in re.findall(r'data-delivery="(\d+)"', failed.text)] == [
        ids[55],
        ids[3],
    ]
    assert 'id="failed-only" name="failed" value="1" checked' in failed.text

    csrf = await _csrf(client)
    replayed = await client.post(
        f"/console/webhooks/north/deliveries/{ids[3]}/replay", data={"csrf": csrf}
    )
    assert replayed.status_code == 303
    page = await client.get(replayed.headers["location"])
    found = re.search(rf"Delivery {ids[3]} replayed as delivery (\d+)\.", page.text)
    assert found is not None
    assert re.findall(r'data-delivery="(\d+)"', page.text)[0] == found.group(1)
    replay = f"/console/webhooks/north/deliveries/{ids[3]}/replay"
    assert (await client.post(replay, data={})).status_code == 403


async def test_forms_without_the_csrf_token_are_refused(
    gateway: Gateway, console: Console, realms: dict[str, int]
) -> None:
    client = await console(None, "olga")
    endpoint_id = await _added(client, realm="north")
    (delivery_id,) = await _events(gateway, realms["north"], endpoint_id, 1)
    for path, form in [
        ("/console/webhooks", {"url": PUBLIC, "events": ALL, "realm": "north"}),
        ("/console/webhooks", {"csrf": "forged", "url": PUBLIC, "realm": "north"}),
        (f"/console/webhooks/north/endpoints/{endpoint_id}/test", {}),
        (f"/console/webhooks/north/endpoints/{endpoint_id}/remove", {"confirm": "yes"}),
        (f"/console/webhooks/north/deliveries/{delivery_id}/replay", {}),
    ]:
        answer = await client.post(path, data=form)
        assert answer.status_code == 403, path
        assert "CSRF token is missing or wrong" in answer.text
    assert len(await WebhookStore(gateway.db).list(realms["north"])) == 1
    assert len(await WebhookStore(gateway.db).deliveries(realms["north"])) == 1


async def test_a_realm_user_gets_404_for_another_realms_endpoint_or_delivery(
    gateway: Gateway, console: Console, realms: dict[str, int]
) -> None:
    olga = await console(None, "olga")
    theirs = await _added(olga, "http://93.184.215.14/south-only", realm="south")
    (their_delivery,) = await _events(gateway, realms["south"], theirs, 1)
    ann = await console("north", "ann")
    ours = await _added(ann)
    csrf = await _csrf(ann)

    for realm in ("north", "south"):  # by the realm in the URL, or by guessing the id
        remove = f"/console/webhooks/{realm}/endpoints/{theirs}/remove"
        assert (await ann.get(remove)).status_code == 404
        assert (await ann.post(remove, data={"csrf": csrf, "confirm": "yes"})).status_code == 404
        test = f"/console/webhooks/{realm}/endpoints/{theirs}/test"
        assert (await ann.post(test, data={"csrf": csrf})).status_code == 404
        replay = f"/console/webhooks/{realm}/deliveries/{their_delivery}/replay"
        assert (await ann.post(replay, data={"csrf": csrf})).status_code == 404
    south_page = await ann.get("/console/webhooks", params={"realm": "south"})
    assert ours in south_page.text and "south-only" not in south_page.text  # their own realm
    added = await ann.post(
        "/console/webhooks",
        data={"csrf": csrf, "realm": "south", "url": PUBLIC + "/2", "events": ALL},
    )
    assert added.status_code == 303  # the realm asked for is ignored: added to north
    assert len(await WebhookStore(gateway.db).list(realms["north"])) == 2
    assert [e.id for e in await WebhookStore(gateway.db).list(realms["south"])] == [theirs]
    assert len(await WebhookStore(gateway.db).deliveries(realms["south"])) == 1
    assert (await olga.get("/console/webhooks", params={"realm": "nowhere"})).status_code == 404


async def test_the_overview_shows_the_webhook_backlog(
    gateway: Gateway, console: Console, realms: dict[str, int]
) -> None:
    olga = await console(None, "olga")
    north = await _added(olga, realm="north")
    south = await _added(olga, realm="south")
    north_ids = await _events(gateway, realms["north"], north, 3)
    await _events(gateway, realms["south"], south, 4)
    await _fail(gateway, north, north_ids[0])  # given up: not in the backlog
    ann = await console("north", "ann")
    assert 'id="webhook-backlog">6<' in (await olga.get("/console/overview/figures")).text
    assert 'id="webhook-backlog">2<' in (await ann.get("/console/overview/figures")).text
    assert 'id="webhook-backlog">2<' in (await ann.get("/console/")).text


async def test_a_notice_shows_only_in_the_session_that_made_it(
    console: Console, realms: dict[str, int]
) -> None:
    client = await console("north", "ann")
    endpoint_id = await _added(client)
    tested = await client.post(
        f"/console/webhooks/north/endpoints/{endpoint_id}/test", data={"csrf": await _csrf(client)}
    )
    location = tested.headers["location"]
    query = parse_qs(urlsplit(location).query)
    assert set(query) == {"realm", "notice", "nsig"}
    assert f"queued for {endpoint_id}" in (await client.get(location)).text

    # the same signed URL in another session (another user of the realm): no notice
    other = await console("north", "bob")
    assert f"queued for {endpoint_id}" not in (await other.get(location)).text
    # a link with any text of someone else's choosing: the page, without it
    forged = "/console/webhooks?realm=north&notice=Your+account+is+locked&nsig=00"
    for forger in ("/console/webhooks?realm=north&notice=Your+account+is+locked", forged):
        page = await client.get(forger)
        assert page.status_code == 200 and "account is locked" not in page.text
