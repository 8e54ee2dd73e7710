"""The console's pages through its ASGI app (httpx, no browser): search, timeline, opt-outs,
imports, API keys, the overview, and realm isolation."""

import re
import time
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import insert
from ulid_transform import ulid_at_time

from smsgate.bootstrap import Gateway
from smsgate.bootstrap.app import gateway_app
from smsgate.domain.model import Outcome
from smsgate.store import schema
from tests.integration.console.conftest import Console, anonymous, csrf_of
from tests.integration.store.support import new_message
from tests.support.waiting import eventually


async def _send(gateway: Gateway, realm_id: int, code: str, phone: str, text: str) -> str:
    message = new_message(realm_id, code, phone, text)
    assert await gateway.accepter.accept(message) is Outcome.ACCEPTED
    return message.id


async def test_message_search_and_timeline(
    gateway: Gateway, console: Console, realms: dict[str, int]
) -> None:
    mine = await _send(gateway, realms["north"], "11111", "12065550111", "find me")
    await _send(gateway, realms["north"], "11111", "12065550112", "not me")
    client = await console(None, "olga")
    found = await client.get("/console/messages", params={"phone": "2065550111"})
    assert mine in found.text and "not me" not in found.text
    by_id = await client.get("/console/messages", params={"id": mine})
    assert "find me" in by_id.text
    bad = await client.get("/console/messages", params={"status": "lost"})
    assert "unknown status lost" in bad.text
    queued = await client.get("/console/messages", params={"status": "queued"})
    assert mine in queued.text
    timeline = await client.get(f"/console/messages/{mine}")
    assert timeline.status_code == 200 and "accepted" in timeline.text
    assert "north" in timeline.text
    assert (await client.get("/console/messages/01J000000000000000000000X")).status_code == 404


async def test_cursor_pagination(
    gateway: Gateway, console: Console, realms: dict[str, int]
) -> None:
    ids = [
        await _send(gateway, realms["south"], "22222", "12065550120", f"m{i}") for i in range(55)
    ]
    client = await console(None, "olga")
    first = (await client.get("/console/messages", params={"sender_code": "22222"})).text
    assert ids[-1] in first and ids[5] in first and ids[4] not in first
    assert f"before={ids[5]}" in first
    second = (await client.get("/console/messages", params={"before": ids[5]})).text
    assert all(i in second for i in ids[:5]) and ids[5] not in second


async def test_realm_user_sees_only_their_realm(
    gateway: Gateway, console: Console, realms: dict[str, int]
) -> None:
    ours = await _send(gateway, realms["north"], "11111", "12065550130", "ours")
    theirs = await _send(gateway, realms["south"], "22222", "12065550130", "theirs")
    await gateway.optouts.add(realms["south"], "12065550131", source="cli")
    client = await console("north", "ann")

    assert (await client.get(f"/console/messages/{ours}")).status_code == 200
    assert (await client.get(f"/console/messages/{theirs}")).status_code == 404
    by_id = await client.get("/console/messages", params={"id": theirs})
    assert "theirs" not in by_id.text
    by_phone = await client.get("/console/messages", params={"phone": "2065550130"})
    assert ours in by_phone.text and theirs not in by_phone.text
    everything = await client.get("/console/messages")
    assert ours in everything.text and theirs not in everything.text
    assert (await client.get("/console/optouts.csv?realm=south")).text.splitlines() == [
        "phone,sender_code,source,created_at"
    ]  # a realm user's export is always their own realm
    search = await client.get("/console/optouts?phone=2065550131")
    assert "12065550131" in search.text and "Not opted out." in search.text
    assert (await client.get("/console/overview/throughput.json")).status_code == 404
    realms_page = (await client.get("/console/realms")).text
    assert "north" in realms_page and "south" not in realms_page and "22222" not in realms_page
    overview = (await client.get("/console/")).text
    assert 'data-realm="north"' in overview and 'data-realm="south"' not in overview

    page = await client.get("/console/optouts")
    form = {"realm": "south", "phone": "2065550132", "csrf": csrf_of(page.text)}
    await client.post("/console/optouts", data=form)  # the realm asked for is ignored
    assert [o.phone for o in await gateway.optouts.list(realms["south"])] == ["12065550131"]
    assert [o.phone for o in await gateway.optouts.list(realms["north"])] == ["12065550132"]


async def test_overview_counts_today(
    gateway: Gateway, console: Console, realms: dict[str, int]
) -> None:
    client = await console(None, "olga")
    before = (await client.get("/console/overview/figures")).text
    assert 'id="today-accepted">0<' in before
    await _send(gateway, realms["north"], "11111", "12065550140", "one")
    await _send(gateway, realms["south"], "22222", "12065550141", "two")
    figures = ""

    async def counted() -> bool:  # a count is reused for 10x the time it took (constants.py)
        nonlocal figures
        figures = (await client.get("/console/overview/figures")).text
        return 'id="today-accepted">2<' in figures

    await eventually(counted, timeout=10, what="the new messages counted", describe=lambda: figures)
    assert 'id="waiting-queued">2<' in figures
    rates = (await client.get("/console/overview/throughput.json")).json()
    assert set(rates) == {"t", "accepted", "submitted", "delivered", "failed"}


async def test_static_files_are_served(gateway: Gateway) -> None:
    async with anonymous(gateway_app(gateway)) as client:
        for path in ("vendor/htmx-2.0.11.min.js", "vendor/uPlot-1.6.32.iife.min.js", "console.css"):
            assert (await client.get(f"/console/static/{path}")).status_code == 200


async def test_csv_import(gateway: Gateway, console: Console, realms: dict[str, int]) -> None:
    client = await console("north", "ann")
    page = await client.get("/console/optouts")
    csv_text = "phone,sender_code\n2065550150,\n+12065550151,11111\nnot a phone\n2065550150\n"
    files = {"file": ("list.csv", csv_text.encode(), "text/csv")}
    data = {"csrf": csrf_of(page.text), "realm": "south"}  # a realm user imports into their own
    started = await client.post("/console/optouts/import", data=data, files=files)
    assert started.status_code == 303
    job = started.headers["location"]
    assert job.startswith("/console/optouts/import/")
    shown = ""

    async def finished() -> bool:
        nonlocal shown
        shown = (await client.get(f"{job}/progress")).text
        return 'id="import-result"' in shown

    await eventually(finished, timeout=20, what="the import done", describe=lambda: shown)
    assert "Done: 2 opt-outs added, 1 already present, 1 bad rows not imported." in shown
    assert "line 4: Phone number must contain digits only: &#39;not a phone&#39;" in shown
    assert 'value="100"' in shown and "hx-get" not in shown  # no more polling
    north = await gateway.optouts.list(realms["north"])
    assert sorted((o.phone, o.sender_code) for o in north) == [
        ("12065550150", ""),
        ("12065550151", "11111"),
    ]
    assert await gateway.optouts.list(realms["south"]) == []
    assert "Importing opt-outs into north" in (await client.get(job)).text

    operator = await console(None, "olga")  # someone else's import is not found
    assert (await operator.get(job)).status_code == 404
    forged = await client.post("/console/optouts/import", data={"realm": "north"}, files=files)
    assert forged.status_code == 403


async def test_api_keys_created_once_and_revoked(
    gateway: Gateway, console: Console, realms: dict[str, int]
) -> None:
    client = await console("north", "ann")
    page = await client.get("/console/realms")
    csrf = csrf_of(page.text)
    made = await client.post("/console/realms/north/keys", data={"csrf": csrf, "name": "shop"})
    found = re.search(r'id="new-key">(sg_([0-9a-f]{12})_[^<]+)<', made.text)
    assert made.status_code == 200 and found is not None
    key, key_id = found.group(1), found.group(2)
    owner = await gateway.api_keys.authenticate(key)
    assert owner is not None and owner.realm == "north"
    assert key not in (await client.get("/console/realms")).text  # shown once

    other = await client.post("/console/realms/south/keys", data={"csrf": csrf})
    assert other.status_code == 404
    assert await gateway.api_keys.list("south") == []
    no_csrf = await client.post(f"/console/realms/north/keys/{key_id}/revoke")
    assert no_csrf.status_code == 403
    revoked = await client.post(f"/console/realms/north/keys/{key_id}/revoke", data={"csrf": csrf})
    assert revoked.status_code == 200 and f"API key {key_id} revoked." in revoked.text
    assert await gateway.api_keys.authenticate(key) is None


async def test_messages_by_time(gateway: Gateway, console: Console, realms: dict[str, int]) -> None:
    now = time.time()
    old = replace(
        new_message(realms["north"], "11111", "12065550160", "two hours ago"),
        id=ulid_at_time(now - 7200),
        created_at=now - 7200,
    )
    assert await gateway.accepter.accept(old) is Outcome.ACCEPTED
    recent = await _send(gateway, realms["north"], "11111", "12065550161", "just now")
    client = await console(None, "olga")

    def at(epoch: float) -> str:
        return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M")

    since = (await client.get("/console/messages", params={"since": at(now - 3600)})).text
    assert recent in since and old.id not in since
    until = (await client.get("/console/messages", params={"until": at(now - 3600)})).text
    assert old.id in until and recent not in until
    window = {"since": at(now - 3 * 3600), "until": at(now - 3600), "phone": "2065550160"}
    assert old.id in (await client.get("/console/messages", params=window)).text
    bad = await client.get("/console/messages", params={"since": "yesterday"})
    assert "not a date and time: yesterday" in bad.text


async def test_bind_leases_of_every_node(gateway: Gateway, console: Console) -> None:
    async with gateway.db.write_engine.begin() as conn:
        await conn.execute(
            insert(schema.nodes).values(
                node_id="node-a",
                role="dispatch",
                hostname="host-a",
                pid=1,
                started_at=0,
                heartbeat_at=0,
            )
        )
        await conn.execute(
            insert(schema.smpp_binds).values(
                [
                    {"connection": "carrier", "slot": 0, "owner": "node-a", "lease_until": 0},
                    {"connection": "carrier", "slot": 1, "owner": None, "lease_until": 0},
                ]
            )
        )
    figures = (await (await console(None, "olga")).get("/console/overview/figures")).text
    assert "node-a (host-a)" in figures and ">free<" in figures
