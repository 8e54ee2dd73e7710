"""Delivery from outside: `smsgate serve` on its embedded defaults (the built-in SMSC simulator),
a message through api_web to `delivered`, and a STOP through `smsgate simulate mo`."""

import asyncio
import time
from typing import Any

from tests.e2e.conftest import ServerFactory
from tests.e2e.support import SUCCESS, Server, make_client, reply

REALM, PASSWORD, CODE = "shop", "shop-pass", "45678"
PHONE = "2065550177"  # national; stored as 1 + it
DELIVERY_TIMEOUT = 10.0


def args(phone: str, text: str) -> dict[str, str]:
    return {
        "cmd": "smssendmessagetophone",
        "realm": REALM,
        "pwd": PASSWORD,
        "phone": phone,
        "sender_code": CODE,
        "message_text": text,
    }


async def wait_for_message(server: Server, text: str, status: str) -> dict[str, Any]:
    """The newest message starting with `text` once it has `status`, polling `smsgate messages
    list` (the operator's view; nothing signals a status change)."""
    deadline = time.monotonic() + DELIVERY_TIMEOUT
    while True:
        found = [m for m in await server.cli.messages(REALM) if m["text"].startswith(text)]
        if found and found[0]["status"] == status:
            return found[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} is {found or 'not stored'}, waited for {status}")
        await asyncio.sleep(0.1)


async def test_api_web_to_delivered_then_stop_by_sms(server_factory: ServerFactory) -> None:
    server = await server_factory(
        ("realm", "add", REALM, "--password", PASSWORD),
        ("sender", "add", REALM, CODE),
        dispatch=True,
    )
    async with make_client(server) as http:
        response = await http.get("/api_web", params=args(PHONE, "Your order has shipped"))
        assert reply(response) == SUCCESS

        message = await wait_for_message(server, "Your order has shipped", "delivered")
        assert (message["phone"], message["sender_code"], message["error"]) == (
            "1" + PHONE,
            CODE,
            None,
        )

        mo = await server.cli(
            "simulate",
            "mo",
            "--url",
            server.url,
            "--from",
            "1" + PHONE,
            "--to",
            CODE,
            "--text",
            "STOP",
        )
        assert "delivered MO" in mo.ok()

        response = await http.get("/api_web", params=args(PHONE, "One more offer"))
        assert reply(response) == f"FAILURE: Phone {PHONE} has opted out of sender code {CODE}"

    confirmation = await wait_for_message(server, "You have been unsubscribed", "delivered")
    assert confirmation["phone"] == "1" + PHONE
    assert "One more offer" not in {m["text"] for m in await server.cli.messages(REALM)}
