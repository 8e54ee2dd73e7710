"""api_web's `smsstopsubscribersend` through the real server, byte for byte; and both
WhatCounts doors in `serve --api-workers`, where the worker checks and the core commits."""

import httpx
import pytest

from tests.e2e.doors_support import (
    STOPPED,
    basic,
    opt_outs,
    send_path,
    stop_path,
    stop_reply,
)
from tests.e2e.support import (
    ALPHA,
    BETA,
    SUCCESS,
    Server,
    ServerFactory,
    make_client,
    next_phone,
    reply,
    send_args,
    stored,
)


async def test_api_web_stop_then_send_is_refused(
    client: httpx.AsyncClient, shared_server: Server
) -> None:
    args = send_args(c="smsstopsubscribersend", message_text=None)
    for _ in range(2):  # idempotent: the same answer, one opt-out
        response = await client.get("/bin/api_web", params=args)
        assert stop_reply(response) == STOPPED
    phone = "1" + args["phone"]
    assert await opt_outs(shared_server, phone) == [(ALPHA.name, ALPHA.senders[0], "api")]
    refused = send_args(phone=args["phone"])
    line = f"FAILURE: Phone {args['phone']} has opted out of sender code {ALPHA.senders[0]}"
    assert reply(await client.get("/bin/api_web", params=refused)) == line
    other_code = send_args(phone=args["phone"], sender_code=ALPHA.senders[1])
    assert reply(await client.get("/bin/api_web", params=other_code)) == SUCCESS
    assert [m["sender_code"] for m in await stored(shared_server, phone)] == [ALPHA.senders[1]]


async def test_api_web_stop_of_a_phone_never_sent_to_by_post_with_long_names(
    client: httpx.AsyncClient, shared_server: Server
) -> None:
    phone = next_phone()
    form = {
        "realm": BETA.name,
        "pwd": BETA.password,
        "cmd": "SMSStopSubscriberSend",
        "phone": "1" + phone,
        "sender_code": BETA.senders[0],
    }
    assert stop_reply(await client.post("/api_web", data=form)) == STOPPED
    assert await opt_outs(shared_server, "1" + phone) == [(BETA.name, BETA.senders[0], "api")]


@pytest.mark.parametrize(
    ("overrides", "line"),
    [
        ({"r": None}, "FAILURE: Unable to determine customer account (realm)"),
        ({"p": "wrong"}, "FAILURE: Realm and password do not match"),
        ({"phone": None}, "FAILURE: Phone number is required"),
        ({"phone": "206-555"}, "FAILURE: Phone number must contain digits only"),
        ({"sender_code": None}, "FAILURE: Sender code is required"),
        (
            {"sender_code": BETA.senders[0]},
            f"FAILURE: Sender code {BETA.senders[0]} not found in realm",
        ),
    ],
)
async def test_api_web_stop_failures(
    client: httpx.AsyncClient, shared_server: Server, overrides: dict[str, str | None], line: str
) -> None:
    args = send_args(c="smsstopsubscribersend", message_text=None, **overrides)
    response = await client.get("/bin/api_web", params=args)
    assert reply(response) == line and response.content == line.encode()
    if args.get("phone", "").isdigit():
        assert await opt_outs(shared_server, "1" + args["phone"]) == []


# --- serve --api-workers: the doors in a worker, the writes in the core ---------------------


@pytest.mark.slow
async def test_the_doors_work_in_api_workers(server_factory: ServerFactory) -> None:
    server = await server_factory(
        ("realm", "add", ALPHA.name, "--password", ALPHA.password),
        ("sender", "add", ALPHA.name, ALPHA.senders[0]),
        dispatch=True,
        extra_args=("--api-workers", "1"),
        ready_line="smsgate core: 1 API workers on",
    )
    code = ALPHA.senders[0]
    stopped_by_api_web, stopped_by_rest, sent = next_phone(), next_phone(), next_phone()
    async with make_client(server) as client:
        args = send_args(c="smsstopsubscribersend", message_text=None, phone=stopped_by_api_web)
        assert stop_reply(await client.get("/bin/api_web", params=args)) == STOPPED
        response = await client.post(stop_path(stopped_by_rest, code), auth=basic(ALPHA))
        assert response.status_code == 200 and response.json()["success"] is True
        response = await client.post(send_path("hi", sent, code), auth=basic(ALPHA))
        assert response.status_code == 200
        [row] = await stored(server, "1" + sent)
        assert response.json()[0]["messageId"] == row["id"]
        refused = await client.post(send_path("hi", stopped_by_rest, code), auth=basic(ALPHA))
        assert refused.status_code == 409
    for phone in (stopped_by_api_web, stopped_by_rest):
        assert await opt_outs(server, "1" + phone) == [(ALPHA.name, code, "api")]
