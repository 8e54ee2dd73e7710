"""WhatCounts' stop commands' use case on real SQLite and PostgreSQL: the opt-out and its
ledger row are committed, a second stop changes nothing, and the send path honours it."""

from collections.abc import Awaitable, Callable

from sqlalchemy import select

from smsgate.bootstrap import Gateway
from smsgate.domain import send
from smsgate.services.optouts import Stopped
from smsgate.services.sending import Accepted, Cause, Refused
from smsgate.store import schema as s


def stop_args(phone: str, code: str) -> send.SendArgs:
    return send.SendArgs(command="smsstopsubscribersend", phone=phone, sender_code=code)


async def test_a_stop_is_committed_once_and_honoured(
    gateway_factory: Callable[..., Awaitable[Gateway]],
    add_realm: Callable[..., Awaitable[int]],
    add_sender: Callable[..., Awaitable[None]],
) -> None:
    gateway = await gateway_factory()
    acme = await add_realm(gateway, "acme")
    other = await add_realm(gateway, "other")
    await add_sender(gateway, "acme", "55501")
    await add_sender(gateway, "other", "66601")

    first = await gateway.stopping.stop(acme, stop_args("2065551212", "55501"))
    assert isinstance(first, Stopped) and first.changed
    assert (first.phone, first.sender.code, first.sender.realm_id) == ("12065551212", "55501", acme)
    stored = await gateway.realms.sender("55501")
    assert stored is not None and first.sender.id == stored.id is not None
    again = await gateway.stopping.stop(acme, stop_args("12065551212", "55501"))
    assert isinstance(again, Stopped) and not again.changed

    assert [(o.phone, o.sender_code, o.source) for o in await gateway.optouts.list(acme)] == [
        ("12065551212", "55501", "api")
    ]
    async with gateway.db.reader.connect() as conn:
        ledger = (
            await conn.execute(
                select(s.opt_out_events.c.realm_id, s.opt_out_events.c.action)
                .where(s.opt_out_events.c.phone == "12065551212")
                .order_by(s.opt_out_events.c.id)
            )
        ).all()
    assert [tuple(row) for row in ledger] == [(acme, "out"), (acme, "out")]

    message = send.SendArgs(
        command="smssendmessagetophone", phone="2065551212", sender_code="55501", message_text="hi"
    )
    refused = await gateway.sending.send(acme, message)
    assert isinstance(refused, Refused) and refused.cause is Cause.OPTED_OUT

    # another realm can neither stop with acme's code nor is it stopped by acme's opt-out
    assert await gateway.stopping.stop(other, stop_args("2065551212", "55501")) == Refused(
        "Sender code 55501 not found in realm", Cause.BAD_REQUEST
    )
    theirs = send.SendArgs(
        command="smssendmessagetophone", phone="2065551212", sender_code="66601", message_text="hi"
    )
    assert isinstance(await gateway.sending.send(other, theirs), Accepted)
    assert await gateway.optouts.list(other) == []
