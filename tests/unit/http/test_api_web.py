"""The api_web ASGI endpoint with stand-in collaborators: what reaches the accepter, and what
the client hears when a collaborator fails."""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from smsgate.auth.authenticator import RealmCredential
from smsgate.domain.model import NewMessage, SenderCode
from smsgate.http.api_web import MAX_BODY_BYTES, ApiWeb
from smsgate.store.accept import Outcome
from smsgate.store.errors import StoreUnavailable

PASSWORD = "s3cret-pw"
CREDENTIAL = RealmCredential(realm_id=1, name="acme", password_hash="x", version=1)
SENDER = SenderCode(realm_id=1, code="55501", connection=None, max_tps=None)
VALID = (
    b"r=acme&p=s3cret-pw&c=smssendmessagetophone&phone=2065551212&sender_code=55501"
    b"&message_text=hello"
)
SUCCESS = "SUCCESS: Sending message to phone was successful"
UNAVAILABLE = "FAILURE: Temporarily unable to accept messages, try again later"


class FakeAuth:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.calls: list[tuple[str, str | None, str | None]] = []

    async def authenticate(
        self, realm: str, password: str | None, client: str | None
    ) -> RealmCredential | None:
        self.calls.append((realm, password, client))
        if self.error is not None:
            raise self.error
        return CREDENTIAL if (realm, password) == ("acme", PASSWORD) else None


class FakeSenders:
    async def get(self, code: str) -> SenderCode | None:
        return SENDER if code == SENDER.code else None


class FakeAccepter:
    def __init__(self, outcome: Outcome | Exception = Outcome.ACCEPTED) -> None:
        self.outcome = outcome
        self.accepted: list[NewMessage] = []

    async def accept(self, message: NewMessage) -> Outcome:
        if isinstance(self.outcome, Exception):
            raise self.outcome
        self.accepted.append(message)
        return self.outcome


Receive = Callable[[], Awaitable[dict[str, Any]]]


def body_chunks(*chunks: bytes, disconnect: bool = False) -> Receive:
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": chunk, "more_body": i + 1 < len(chunks) or disconnect}
        for i, chunk in enumerate(chunks)
    ]
    if disconnect:
        messages.append({"type": "http.disconnect"})

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    return receive


async def call(
    app: ApiWeb,
    *,
    method: str = "GET",
    query: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
    receive: Receive | None = None,
) -> tuple[int, dict[bytes, bytes], str]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": "/api_web",
        "query_string": query,
        "headers": headers or [],
        "client": ("192.0.2.7", 40000),
    }
    await app(scope, receive or body_chunks(b""), send)
    start, body = sent
    assert start["type"] == "http.response.start" and body["type"] == "http.response.body"
    response_headers = dict(start["headers"])
    assert int(response_headers[b"content-length"]) == len(body["body"])
    return start["status"], response_headers, body["body"].decode()


def make_app(
    auth: FakeAuth | None = None, accepter: FakeAccepter | None = None
) -> tuple[ApiWeb, FakeAuth, FakeAccepter]:
    auth = auth or FakeAuth()
    accepter = accepter or FakeAccepter()
    app = ApiWeb(auth, FakeSenders(), accepter, default_region="US")  # type: ignore[arg-type]
    return app, auth, accepter


FORM = [(b"content-type", b"application/x-www-form-urlencoded")]


async def test_accepted_message_is_normalised_and_segmented() -> None:
    app, auth, accepter = make_app()
    status, headers, text = await call(
        app, query=VALID.replace(b"hello", b"h%C3%A9llo+%F0%9F%98%80")
    )
    assert (status, headers[b"content-type"], text) == (200, b"text/plain; charset=utf-8", SUCCESS)
    [message] = accepter.accepted
    assert (message.realm_id, message.sender_code, message.phone) == (1, "55501", "12065551212")
    assert (message.text, message.encoding, message.parts) == ("héllo 😀", "ucs2", 1)
    assert len(message.id) == 26
    assert auth.calls == [("acme", PASSWORD, "192.0.2.7")]  # the peer address, for lockout


async def test_chunked_form_body() -> None:
    app, _, accepter = make_app()
    half = len(VALID) // 2
    receive = body_chunks(VALID[:half], VALID[half:])
    assert (await call(app, method="POST", headers=FORM, receive=receive))[2] == SUCCESS
    assert accepter.accepted[0].text == "hello"


async def test_a_body_over_the_limit_is_ignored() -> None:
    app, _, accepter = make_app()
    padding = b"&x=" + b"y" * MAX_BODY_BYTES
    receive = body_chunks(VALID.replace(b"hello", b"from+the+body"), padding)
    query = VALID.replace(b"hello", b"from+the+query")
    assert (await call(app, method="POST", query=query, headers=FORM, receive=receive))[2] == (
        SUCCESS
    )
    assert accepter.accepted[0].text == "from the query"


@pytest.mark.parametrize(
    "content_type", [b"application/json", b"multipart/form-data; boundary=x", b"text/plain"]
)
async def test_a_body_that_is_not_a_form_is_ignored(content_type: bytes) -> None:
    app, _, accepter = make_app()
    receive = body_chunks(VALID)
    status, _, text = await call(
        app, method="POST", headers=[(b"content-type", content_type)], receive=receive
    )
    assert (status, text) == (200, "FAILURE: Unable to determine customer account (realm)")
    assert accepter.accepted == []


async def test_a_client_that_disconnects_mid_body_queues_nothing() -> None:
    app, _, accepter = make_app()
    receive = body_chunks(VALID.replace(b"hello", b"hello+world+and+more")[:-8], disconnect=True)
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api_web",
        "query_string": b"",
        "headers": FORM,
        "client": ("192.0.2.7", 40000),
    }
    await app(scope, receive, send)
    assert accepter.accepted == []
    assert sent == []  # nobody is listening for a reply


@pytest.mark.parametrize(
    ("accepter", "auth"),
    [
        (FakeAccepter(StoreUnavailable("database is locked")), None),
        (FakeAccepter(RuntimeError(f"boom p={PASSWORD}")), None),
        (None, FakeAuth(OSError("connection refused"))),
    ],
    ids=["store unavailable", "unexpected error", "realm lookup fails"],
)
async def test_failing_collaborators_give_the_retry_text(
    accepter: FakeAccepter | None, auth: FakeAuth | None, caplog: pytest.LogCaptureFixture
) -> None:
    app, _, _ = make_app(auth, accepter)
    with caplog.at_level(logging.ERROR):
        status, _, text = await call(app, query=VALID)
    assert (status, text) == (200, UNAVAILABLE)


async def test_opted_out_reply_names_the_phone_as_sent() -> None:
    app, _, _ = make_app(accepter=FakeAccepter(Outcome.OPTED_OUT))
    text = (await call(app, query=VALID))[2]
    assert text == "FAILURE: Phone 2065551212 has opted out of sender code 55501"
