"""`Stopping`, the use case behind WhatCounts' stop commands: api_web's rules and reasons, the
opt-out and its ledger row (source `api`), idempotence, and a store that cannot commit."""

import pytest

from smsgate.domain import send
from smsgate.domain.model import SenderCode
from smsgate.services.optouts import Stopped, Stopping
from smsgate.services.sending import Cause, Refused
from smsgate.store.errors import StoreUnavailable
from tests.fakes.stores import MemoryOptOuts

SENDER = SenderCode(realm_id=1, code="55501", connection=None, max_tps=None, id=7)
OTHER = SenderCode(realm_id=2, code="55502", connection=None, max_tps=None, id=8)


class Senders:
    async def get(self, code: str) -> SenderCode | None:
        return {s.code: s for s in (SENDER, OTHER)}.get(code)


def stop_args(**changes: str | None) -> send.SendArgs:
    fields: dict[str, str | None] = {
        "command": "smsstopsubscribersend",
        "phone": "2065551212",
        "sender_code": "55501",
    }
    fields.update(changes)
    return send.SendArgs(**fields)  # type: ignore[arg-type]


def stopping(store: MemoryOptOuts) -> Stopping:
    return Stopping(Senders(), store, default_region="US")


async def test_a_stop_opts_the_normalised_phone_out_of_the_sender_code() -> None:
    store = MemoryOptOuts()
    result = await stopping(store).stop(1, stop_args())
    assert result == Stopped(phone="12065551212", sender=SENDER, changed=True)
    assert store.scopes(1, "12065551212") == {"55501"}
    assert store.ledger == [(1, "12065551212", "55501", "out", "api")]


async def test_a_second_stop_changes_nothing_but_is_recorded() -> None:
    store = MemoryOptOuts()
    service = stopping(store)
    await service.stop(1, stop_args())
    again = await service.stop(1, stop_args(phone="12065551212"))  # another spelling
    assert again == Stopped(phone="12065551212", sender=SENDER, changed=False)
    assert len(store.rows) == 1 and len(store.ledger) == 2


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"phone": None}, "Phone number is required"),
        ({"phone": "206555121x"}, "Phone number must contain digits only"),
        ({"sender_code": None}, "Sender code is required"),
        ({"sender_code": "99999"}, "Sender code 99999 not found in realm"),
        ({"sender_code": "55502"}, "Sender code 55502 not found in realm"),  # realm 2's
    ],
)
async def test_refusals_use_api_webs_reasons(changes: dict[str, str | None], reason: str) -> None:
    store = MemoryOptOuts()
    assert await stopping(store).stop(1, stop_args(**changes)) == Refused(reason, Cause.BAD_REQUEST)
    assert store.rows == {} and store.ledger == []


async def test_a_store_that_cannot_commit_is_unavailable() -> None:
    store = MemoryOptOuts()
    store.fail = StoreUnavailable("database is locked")
    result = await stopping(store).stop(1, stop_args())
    assert result == Refused(send.TEMPORARILY_UNAVAILABLE, Cause.UNAVAILABLE)
