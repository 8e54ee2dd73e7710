"""api_web's `smsstopsubscribersend` with stand-in collaborators: what reaches the opt-out
list, the reply lines, and that a stop never sends."""

import pytest

from smsgate.http.api_web import ApiWeb
from smsgate.ids import new_message_id
from smsgate.services.optouts import Stopping
from smsgate.services.sending import Sending
from smsgate.store.errors import StoreUnavailable
from tests.fakes.stores import MemoryOptOuts
from tests.unit.http.test_api_web import (
    PASSWORD,
    FakeAccepter,
    FakeAuth,
    FakeSenders,
    body_chunks,
    call,
)

STOPPED = "SUCCESS: Stopping message to phone was successful"
STOP = b"r=acme&p=s3cret-pw&c=smsstopsubscribersend&phone=2065551212&sender_code=55501"


def make_app(
    optouts: MemoryOptOuts | None = None,
) -> tuple[ApiWeb, MemoryOptOuts, FakeAccepter]:
    optouts = optouts or MemoryOptOuts()
    accepter = FakeAccepter()
    sending = Sending(FakeSenders(), accepter, default_region="US", new_id=new_message_id)
    stopping = Stopping(FakeSenders(), optouts, default_region="US")
    app = ApiWeb(FakeAuth(), sending, stopping)  # type: ignore[arg-type]
    return app, optouts, accepter


async def test_stop_opts_the_normalised_phone_out() -> None:
    app, optouts, accepter = make_app()
    for _ in range(2):  # idempotent: the second stop is answered alike
        status, headers, text = await call(app, query=STOP)
        assert (status, headers[b"content-type"], text) == (
            200,
            b"text/plain; charset=utf-8",
            STOPPED,
        )
    assert list(optouts.rows) == [(1, "12065551212", "55501")]
    assert optouts.ledger == [(1, "12065551212", "55501", "out", "api")] * 2
    assert accepter.accepted == []


async def test_long_names_any_case_and_a_post_body() -> None:
    app, optouts, _ = make_app()
    body = (
        b"realm=acme&pwd=s3cret-pw&cmd=SMSStopSubscriberSend&phone=12065551212"
        b"&sender_code=55501&message_text=ignored"
    )
    receive_headers = [(b"content-type", b"application/x-www-form-urlencoded")]
    status, _, text = await call(
        app, method="POST", headers=receive_headers, receive=body_chunks(body)
    )
    assert (status, text) == (200, STOPPED)
    assert list(optouts.rows) == [(1, "12065551212", "55501")]


@pytest.mark.parametrize(
    ("query", "line"),
    [
        (
            b"c=smsstopsubscribersend&phone=1&sender_code=55501",
            "FAILURE: Unable to determine customer account (realm)",
        ),
        (STOP.replace(b"s3cret-pw", b"wrong"), "FAILURE: Realm and password do not match"),
        (STOP.replace(b"phone=2065551212&", b""), "FAILURE: Phone number is required"),
        (
            STOP.replace(b"2065551212", b"206-555-1212"),
            "FAILURE: Phone number must contain digits only",
        ),
        (STOP.replace(b"&sender_code=55501", b""), "FAILURE: Sender code is required"),
        (STOP.replace(b"55501", b"77777"), "FAILURE: Sender code 77777 not found in realm"),
        (STOP.replace(b"55501", PASSWORD.encode()), "FAILURE: Sender code not found in realm"),
        (
            STOP.replace(b"smsstopsubscribersend", b"smsstopsubscriber"),
            "FAILURE: Unsupported command smsstopsubscriber",
        ),
    ],
)
async def test_failure_lines(query: bytes, line: str) -> None:
    app, optouts, accepter = make_app()
    status, _, text = await call(app, query=query)
    assert (status, text) == (200, line)
    assert optouts.ledger == [] and accepter.accepted == []


async def test_store_failure_is_temporarily_unavailable() -> None:
    optouts = MemoryOptOuts()
    optouts.fail = StoreUnavailable("disk full")
    app, _, _ = make_app(optouts)
    _, _, text = await call(app, query=STOP)
    assert text == "FAILURE: Temporarily unable to accept messages, try again later"
