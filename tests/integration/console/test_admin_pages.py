"""Operators' changes on /console/realms through the console's ASGI app (httpx): realms and their
passwords, sender codes (removal behind a confirmation), API key rotation; realm users get 404,
and every POST needs the CSRF token."""

import re

from smsgate.auth.passwords import verify_password
from smsgate.bootstrap import Gateway
from tests.integration.console.conftest import Console, csrf_of


async def _password_works(gateway: Gateway, realm: str, password: str) -> bool:
    found = await gateway.realms.credential(realm)
    assert found is not None
    return verify_password(found.password_hash, password)


async def test_create_realm_and_change_its_password(gateway: Gateway, console: Console) -> None:
    client = await console(None, "olga")
    csrf = csrf_of((await client.get("/console/realms")).text)

    given = await client.post(
        "/console/realms", data={"csrf": csrf, "name": "east", "password": "s3cret pass"}
    )
    assert given.status_code == 200 and "Realm east created." in given.text
    assert 'id="new-password"' not in given.text  # the operator's own password is not echoed
    assert await _password_works(gateway, "east", "s3cret pass")

    made = await client.post("/console/realms", data={"csrf": csrf, "name": "west"})
    shown = re.search(r'id="new-password">([^<]+)<', made.text)
    assert made.status_code == 200 and shown is not None
    assert await _password_works(gateway, "west", shown.group(1))
    assert shown.group(1) not in (await client.get("/console/realms")).text  # shown once

    again = await client.post("/console/realms", data={"csrf": csrf, "name": "east"})
    assert again.status_code == 400 and "Realm not created" in again.text
    long_name = await client.post("/console/realms", data={"csrf": csrf, "name": "r" * 65})
    assert long_name.status_code == 400 and "at most 64 characters" in long_name.text

    changed = await client.post(
        "/console/realms/east/password", data={"csrf": csrf, "password": "another one"}
    )
    assert changed.status_code == 200 and "Password of east changed." in changed.text
    assert await _password_works(gateway, "east", "another one")
    assert not await _password_works(gateway, "east", "s3cret pass")
    generated = await client.post("/console/realms/east/password", data={"csrf": csrf})
    new = re.search(r'id="new-password">([^<]+)<', generated.text)
    assert new is not None and await _password_works(gateway, "east", new.group(1))
    missing = await client.post("/console/realms/nowhere/password", data={"csrf": csrf})
    assert missing.status_code == 404


async def test_sender_codes_added_changed_removed_with_confirmation(
    gateway: Gateway, console: Console, realms: dict[str, int]
) -> None:
    client = await console(None, "olga")
    csrf = csrf_of((await client.get("/console/realms")).text)
    form = {
        "csrf": csrf,
        "code": "33333",
        "connection": "smsc-a",
        "max_tps": "2.5",
        "stop_reply": "Bye from north",
        "help_reply": "",
    }
    added = await client.post("/console/realms/north/senders", data=form)
    assert added.status_code == 200 and "Sender code 33333 added to north." in added.text
    stored = {s.code: s for s in await gateway.realms.list_senders("north")}["33333"]
    assert (stored.connection, stored.max_tps) == ("smsc-a", 2.5)
    assert (stored.stop_reply, stored.help_reply) == ("Bye from north", None)

    taken = await client.post("/console/realms/north/senders", data={**form, "code": "22222"})
    assert taken.status_code == 400 and "not added" in taken.text
    bad_rate = await client.post("/console/realms/north/senders", data={**form, "max_tps": "0"})
    assert bad_rate.status_code == 400 and "more than 0" in bad_rate.text
    too_long = {**form, "code": "33334", "connection": "c" * 65}  # the column holds 64
    assert (await client.post("/console/realms/north/senders", data=too_long)).status_code == 400

    page = await client.get("/console/realms/north/senders/33333")
    assert page.status_code == 200 and 'value="Bye from north"' in page.text
    assert (await client.get("/console/realms/south/senders/33333")).status_code == 404
    changed = await client.post(
        "/console/realms/north/senders/33333", data={"csrf": csrf, "max_tps": "7"}
    )
    assert changed.status_code == 200 and "Sender code 33333 changed." in changed.text
    stored = {s.code: s for s in await gateway.realms.list_senders("north")}["33333"]
    assert (stored.connection, stored.max_tps) == ("smsc-a", 7.0)
    assert stored.stop_reply == "Bye from north"  # empty fields: unchanged

    remove = "/console/realms/north/senders/33333/remove"
    asked = await client.get(remove)
    assert asked.status_code == 200 and "Remove sender code 33333 from realm north?" in asked.text
    assert 'name="confirm" value="yes"' in asked.text
    unconfirmed = await client.post(remove, data={"csrf": csrf})
    assert unconfirmed.status_code == 200 and "Remove sender code 33333" in unconfirmed.text
    assert "33333" in {s.code for s in await gateway.realms.list_senders("north")}
    no_csrf = await client.post(remove, data={"confirm": "yes"})
    assert no_csrf.status_code == 403
    removed = await client.post(remove, data={"csrf": csrf, "confirm": "yes"})
    assert removed.status_code == 200 and "Sender code 33333 removed from north." in removed.text
    assert {s.code for s in await gateway.realms.list_senders("north")} == {"11111"}
    assert (await client.get(remove)).status_code == 404


async def test_api_key_rotated_with_confirmation(
    gateway: Gateway, console: Console, realms: dict[str, int]
) -> None:
    old = await gateway.api_keys.create("north", "shop")
    client = await console(None, "olga")
    csrf = csrf_of((await client.get("/console/realms")).text)
    rotate = f"/console/realms/north/keys/{old.key.id}/rotate"

    asked = await client.get(rotate)
    assert asked.status_code == 200 and f"Rotate API key {old.key.id}" in asked.text
    unconfirmed = await client.post(rotate, data={"csrf": csrf})
    assert unconfirmed.status_code == 200 and 'name="confirm"' in unconfirmed.text
    assert await gateway.api_keys.authenticate(old.plaintext) is not None
    assert (await client.post(rotate, data={"confirm": "yes"})).status_code == 403

    rotated = await client.post(rotate, data={"csrf": csrf, "confirm": "yes"})
    found = re.search(r'id="new-key">([^<]+)<', rotated.text)
    assert rotated.status_code == 200 and found is not None
    assert await gateway.api_keys.authenticate(old.plaintext) is None
    owner = await gateway.api_keys.authenticate(found.group(1))
    assert owner is not None and owner.realm == "north"
    names = {k.id: k.name for k in await gateway.api_keys.list("north")}
    assert names[owner.key_id] == "shop"

    again = await client.post(rotate, data={"csrf": csrf, "confirm": "yes"})
    assert again.status_code == 404  # a revoked key is not rotated twice
    assert (await client.get(rotate)).status_code == 404
    assert len(await gateway.api_keys.list("north")) == 2
    other_realm = f"/console/realms/south/keys/{owner.key_id}/rotate"
    elsewhere = await client.post(other_realm, data={"csrf": csrf, "confirm": "yes"})
    assert elsewhere.status_code == 404


async def test_realm_user_gets_404_for_every_change(
    gateway: Gateway, console: Console, realms: dict[str, int]
) -> None:
    key = await gateway.api_keys.create("north", "shop")
    client = await console("north", "ann")
    page = await client.get("/console/realms")
    assert "New realm" not in page.text and "Add a sender code" not in page.text
    csrf = csrf_of(page.text)
    posts = {
        "/console/realms": {"name": "mine"},
        "/console/realms/north/password": {"password": "x"},
        "/console/realms/north/senders": {"code": "44444"},
        "/console/realms/north/senders/11111": {"max_tps": "9"},
        "/console/realms/north/senders/11111/remove": {"confirm": "yes"},
        f"/console/realms/north/keys/{key.key.id}/rotate": {"confirm": "yes"},
    }
    for url, data in posts.items():
        assert (await client.post(url, data={"csrf": csrf, **data})).status_code == 404, url
    for url in list(posts)[3:]:
        assert (await client.get(url)).status_code == 404, url
    assert [r.name for r in await gateway.realms.list_realms()] == ["north", "south"]
    assert {s.code for s in await gateway.realms.list_senders("north")} == {"11111"}
    assert await gateway.api_keys.authenticate(key.plaintext) is not None


async def test_every_change_without_the_csrf_token_is_refused(
    gateway: Gateway, console: Console, realms: dict[str, int]
) -> None:
    key = await gateway.api_keys.create("north", "shop")
    client = await console(None, "olga")
    posts = {
        "/console/realms": {"name": "east", "password": "pw"},
        "/console/realms/north/password": {"password": "x"},
        "/console/realms/north/senders": {"code": "44444"},
        "/console/realms/north/senders/11111": {"max_tps": "9"},
        "/console/realms/north/senders/11111/remove": {"confirm": "yes"},
        f"/console/realms/north/keys/{key.key.id}/rotate": {"confirm": "yes"},
    }
    for url, data in posts.items():
        for csrf in ({}, {"csrf": "not the token"}):
            answer = await client.post(url, data={**data, **csrf})
            assert answer.status_code == 403, url
    assert [r.name for r in await gateway.realms.list_realms()] == ["north", "south"]
    senders = await gateway.realms.list_senders("north")
    assert [(s.code, s.max_tps) for s in senders] == [("11111", None)]
    assert await gateway.api_keys.authenticate(key.plaintext) is not None
