"""Delivery from outside: `smsgate serve` on its embedded defaults (the built-in SMSC simulator),
a message through api_web to `delivered`, and a STOP through `smsgate simulate mo`."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.support import SUCCESS, Cli, Server, make_client, reply, stored
from tests.support.waiting import eventually

REALM, PASSWORD, CODE = "shop", "shop-pass", "45678"
PHONE = "2065550177"  # national; stored as 1 + it
DELIVERY_TIMEOUT = 30.0  # a bound for a loaded machine; it takes well under a second


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    """`smsgate serve` with the dispatcher and simulator, on a realm made with the CLI."""
    data_dir = tmp_path / "data"
    await asyncio.to_thread(
        Cli(data_dir).run_batch,
        ("realm", "add", REALM, "--password", PASSWORD),
        ("sender", "add", REALM, CODE),
    )
    running = Server(data_dir, tmp_path / "server.log", dispatch=True)
    await asyncio.to_thread(running.start)
    try:
        yield running
    finally:
        await asyncio.to_thread(running.stop)


def args(phone: str, text: str) -> dict[str, str]:
    return {
        "cmd": "smssendmessagetophone",
        "realm": REALM,
        "pwd": PASSWORD,
        "phone": phone,
        "sender_code": CODE,
        "message_text": text,
    }


async def wait_for_status(server: Server, text: str, status: str) -> None:
    """Until the newest message starting with `text` has `status` (read from the server's
    database: nothing signals a status change to the outside)."""
    found: list[str] = []

    async def reached() -> bool:
        found[:] = [m["status"] for m in await stored(server) if m["text"].startswith(text)]
        return bool(found) and found[-1] == status

    await eventually(
        reached,
        timeout=DELIVERY_TIMEOUT,
        what=f"{text!r} to be {status}",
        describe=lambda: f"it is {found or 'not stored'}",
    )


async def listed(server: Server, text: str) -> dict[str, Any]:
    """The newest message starting with `text` as `smsgate messages list --json` shows it."""
    return next(m for m in await server.cli.messages(REALM) if m["text"].startswith(text))


async def test_api_web_to_delivered_then_stop_by_sms(server: Server) -> None:
    async with make_client(server) as http:
        response = await http.get("/api_web", params=args(PHONE, "Your order has shipped"))
        assert reply(response) == SUCCESS
        await wait_for_status(server, "Your order has shipped", "delivered")
        message = await listed(server, "Your order has shipped")
        assert (message["status"], message["phone"], message["sender_code"]) == (
            "delivered",
            "1" + PHONE,
            CODE,
        )
        assert message["error"] is None

        handset = ("--from", "1" + PHONE, "--to", CODE)
        mo = await server.cli("simulate", "mo", "--url", server.url, *handset, "--text", "STOP")
        assert "delivered MO" in mo.ok()

        response = await http.get("/api_web", params=args(PHONE, "One more offer"))
        assert reply(response) == f"FAILURE: Phone {PHONE} has opted out of sender code {CODE}"

    await wait_for_status(server, "You have been unsubscribed", "delivered")  # the confirmation
    assert "One more offer" not in {m["text"] for m in await stored(server)}
