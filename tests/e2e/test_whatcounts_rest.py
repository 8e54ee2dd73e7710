"""WhatCounts' REST door through the real server: byte-exact answers, statuses, realm
isolation, the password never echoed, and the wrong-password throttle it shares with api_web."""

import asyncio
import base64
from urllib.parse import quote

import httpx
import pytest

from tests.e2e.doors_support import (
    VENDOR,
    basic,
    compact,
    error,
    opt_outs,
    send_path,
    stop_path,
    throttled,
)
from tests.e2e.support import (
    ALPHA,
    BETA,
    QUOTED,
    VAULT,
    RealmSpec,
    Server,
    ServerFactory,
    make_client,
    next_phone,
    reply,
    send_args,
    stored,
)


async def test_rest_send_is_committed_and_answered_byte_for_byte(
    client: httpx.AsyncClient, shared_server: Server
) -> None:
    phone = next_phone()
    path = send_path("One+time+message%20for+you%2E%F0%9F%98%80", phone, ALPHA.senders[0])
    response = await client.post(path, auth=basic(ALPHA), headers=VENDOR)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    [row] = await stored(shared_server, "1" + phone)
    assert (row["realm"], row["text"]) == (ALPHA.name, "One time message for you.\U0001f600")
    millis = round(row["created_at"] * 1000)
    assert response.content == compact(
        [
            {
                "success": True,
                "messageId": row["id"],
                "phone": "1" + phone,
                "realmId": row["realm_id"],
                "smsSenderId": response.json()[0]["smsSenderId"],
                "partSent": 1,
                "totalParts": 1,
                "status": "0",
                "createDate": millis,
                "updatedDate": millis,
            }
        ]
    )
    assert isinstance(response.json()[0]["smsSenderId"], int)


async def test_rest_accepts_plain_json_and_a_post_with_a_body(client: httpx.AsyncClient) -> None:
    path = send_path("hi", next_phone(), ALPHA.senders[0])
    response = await client.post(
        path, auth=basic(ALPHA), headers={"accept": "application/json"}, json={"ignored": 1}
    )
    assert response.status_code == 200 and response.json()[0]["success"] is True


@pytest.mark.parametrize(
    ("text", "phone", "reason"),
    [
        ("hi", "206-555", "Phone number must contain digits only"),
        ("hi", "1" * 16, "Phone number is too long"),
        ("%20", None, "Message text cannot be empty."),
        ("caf%C3", None, "Message text is not valid UTF-8"),
        ("x" * 161, None, "Message text cannot be more than 160 characters long"),
    ],
)
async def test_rest_bad_arguments_are_400(
    client: httpx.AsyncClient, shared_server: Server, text: str, phone: str | None, reason: str
) -> None:
    phone = phone or next_phone()
    response = await client.post(send_path(text, phone, ALPHA.senders[0]), auth=basic(ALPHA))
    assert response.status_code == 400
    assert response.content == error(400, "Bad Request", reason)


async def test_rest_opted_out_phone_is_409(
    client: httpx.AsyncClient, shared_server: Server
) -> None:
    phone = next_phone()
    code = ALPHA.senders[0]
    stopped = await client.post(stop_path(phone, code), auth=basic(ALPHA), headers=VENDOR)
    assert stopped.status_code == 200
    assert stopped.content == compact(
        {
            "success": True,
            "message": "Stopping message to phone was successful",
            "phone": "1" + phone,
            "senderCode": code,
            "realmId": stopped.json()["realmId"],
            "smsSenderId": stopped.json()["smsSenderId"],
        }
    )
    again = await client.post(stop_path(phone, code), auth=basic(ALPHA))
    assert again.content == stopped.content  # idempotent
    assert await opt_outs(shared_server, "1" + phone) == [(ALPHA.name, code, "api")]
    response = await client.post(send_path("hi", phone, code), auth=basic(ALPHA))
    assert response.status_code == 409
    reason = f"Phone {phone} has opted out of sender code {code}"
    assert response.content == error(409, "Conflict", reason)
    assert await stored(shared_server, "1" + phone) == []


# --- auth, isolation, secrets --------------------------------------------------------------


@pytest.mark.parametrize("realm", [VAULT, QUOTED])
async def test_rest_never_echoes_the_password(
    client: httpx.AsyncClient, shared_server: Server, realm: RealmSpec
) -> None:
    """Not in a reply, even when a client put it in the path by mistake; not in the log when
    it came in `Authorization` only (a path is logged as sent, like any URL)."""
    start = shared_server.line_count
    phone = next_phone()
    secret = realm.password
    wrong = await client.post(send_path("hi", phone, realm.senders[0]), auth=basic(realm, "x"))
    assert wrong.status_code == 401
    right = await client.post(send_path("hi", phone, realm.senders[0]), auth=basic(realm))
    assert right.status_code == 200
    marker = "rest-secrets-" + realm.name
    assert (await client.get("/healthz", params={"marker": marker})).text == "ok"
    await asyncio.to_thread(shared_server.wait_for_line, marker, start=start)
    log = "".join(shared_server.log_text().splitlines(keepends=True)[start:])
    encoded = base64.b64encode(f"{realm.name}:{secret}".encode()).decode()
    assert "POST /rest/sms/sendMessageToPhone" in log
    assert secret not in log and encoded not in log
    mistakes = [
        send_path("hi", phone, quote(secret, safe="")),
        send_path(quote(secret, safe=""), secret, realm.senders[0]),
        stop_path(phone, quote(secret, safe="")),
    ]
    for response in [wrong, right] + [await client.post(p, auth=basic(realm)) for p in mistakes]:
        assert response.status_code in (200, 400, 401), response.text
        assert secret not in response.text
        assert all(secret not in value for value in response.headers.values())


async def test_rest_missing_or_malformed_credentials_are_401(client: httpx.AsyncClient) -> None:
    path = send_path("hi", next_phone(), ALPHA.senders[0])
    missing = error(401, "Unauthorized", "Unable to determine customer account (realm)")
    for headers in ({}, {"authorization": "Basic %%%"}, {"authorization": "Bearer x"}):
        response = await client.post(path, headers=headers)
        assert (response.status_code, response.content) == (401, missing)
        assert response.headers["www-authenticate"].startswith("Basic ")
    wrong = await client.post(path, auth=httpx.BasicAuth("nosuchrealm", "x"))
    assert wrong.content == error(401, "Unauthorized", "Realm and password do not match")


async def test_realms_are_isolated(client: httpx.AsyncClient, shared_server: Server) -> None:
    """BETA can neither send from nor stop ALPHA's sender code, and BETA's opt-out of a phone
    does not stop ALPHA's messages to it."""
    phone = next_phone()
    code = ALPHA.senders[0]
    reason = f"Sender code {code} not found in realm"
    for path in (send_path("hi", phone, code), stop_path(phone, code)):
        response = await client.post(path, auth=basic(BETA))
        assert response.content == error(400, "Bad Request", reason)
    stop = send_args(BETA, c="smsstopsubscribersend", phone=phone, sender_code=code)
    assert reply(await client.get("/api_web", params=stop)) == f"FAILURE: {reason}"
    beta_stop = await client.post(stop_path(phone, BETA.senders[0]), auth=basic(BETA))
    assert beta_stop.status_code == 200
    assert await opt_outs(shared_server, "1" + phone) == [(BETA.name, BETA.senders[0], "api")]
    sent = await client.post(send_path("hi", phone, code), auth=basic(ALPHA))
    assert sent.status_code == 200
    assert [m["realm"] for m in await stored(shared_server, "1" + phone)] == [ALPHA.name]


# --- routing -------------------------------------------------------------------------------


async def test_rest_routing(client: httpx.AsyncClient) -> None:
    path = send_path("hi", next_phone(), ALPHA.senders[0])
    for method in ("GET", "PUT", "DELETE"):
        response = await client.request(method, path, auth=basic(ALPHA))
        assert response.status_code == 405 and response.headers["allow"] == "POST"
        assert response.content == error(405, "Method Not Allowed", "Method not allowed")
    for unknown in ("/rest/sms/nothing/x", "/rest/sms/stopSubscriberSend/1", "/rest/"):
        response = await client.post(unknown, auth=basic(ALPHA))
        assert response.content == error(404, "Not Found", "No such command")
    html = await client.post(path, auth=basic(ALPHA), headers={"accept": "text/html"})
    assert html.status_code == 406 and html.json()["statusCode"] == 406


async def test_rest_and_api_web_share_the_wrong_password_throttle(
    server_factory: ServerFactory,
) -> None:
    """Wrong passwords through REST count against the same (realm, address) as api_web's:
    after the five free ones by REST, three more at once by api_web are slowed down (the
    first may still find its delay over on a slow machine, then the second waits and the
    third is refused unchecked), where with a count of their own all three would be free.
    The right password still works: nobody is locked out."""
    server = await server_factory(
        ("realm", "add", ALPHA.name, "--password", ALPHA.password),
        ("sender", "add", ALPHA.name, ALPHA.senders[0]),
    )
    path = send_path("hi", next_phone(), ALPHA.senders[0])
    no_match = error(401, "Unauthorized", "Realm and password do not match")
    async with make_client(server) as guesser:
        for n in range(5):
            response = await guesser.post(path, auth=basic(ALPHA, f"guess-{n}"))
            assert (response.status_code, response.content) == (401, no_match)
        before = (await guesser.get("/metrics")).text
        guesses = [guesser.get("/api_web", params=send_args(p=f"guess-{n}")) for n in (5, 6, 7)]
        for response in await asyncio.gather(*guesses):
            assert reply(response) == "FAILURE: Realm and password do not match"
        after = (await guesser.get("/metrics")).text
        right = await guesser.post(path, auth=basic(ALPHA))
        assert right.status_code == 200
    slowed = sum(throttled(after, o) - throttled(before, o) for o in ("delayed", "refused"))
    assert slowed >= 2
