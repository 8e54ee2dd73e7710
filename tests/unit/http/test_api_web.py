"""The api_web ASGI endpoint with stand-in collaborators: what reaches the accepter, and what
the client hears when a collaborator fails."""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from smsgate.auth.authenticator import RealmCredential
from smsgate.constants import MAX_REQUEST_BODY_BYTES
from smsgate.domain.model import Message, Outcome, SenderCode
from smsgate.http.api_web import ApiWeb
from smsgate.ids import new_message_id
from smsgate.services.optouts import Stopping
from smsgate.services.sending import Sending
from smsgate.store.errors import StoreUnavailable
from tests.fakes.stores import MemoryOptOuts

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

    def known(self, realm: str, password: str | None, client: str | None) -> None:
        return None  # never at hand: every request awaits `authenticate`


class FakeSenders:
    async def get(self, code: str) -> SenderCode | None:
        return SENDER if code == SENDER.code else None


class FakeAccepter:
    def __init__(self, outcome: Outcome | Exception = Outcome.ACCEPTED) -> None:
        self.outcome = outcome
        self.accepted: list[Message] = []

    async def accept(self, message: Message) -> Outcome:
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
    sending = Sending(FakeSenders(), accepter, default_region="US", new_id=new_message_id)
    stopping = Stopping(FakeSenders(), MemoryOptOuts(), default_region="US")
    app = ApiWeb(auth, sending, stopping)  # type: ignore[arg-type]
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
    assert auth.calls == [("acme", PASSWORD, "192.0.2.7")]  # the peer address, for throttling


async def test_chunked_form_body() -> None:
    app, _, accepter = make_app()
    half = len(VALID) // 2
    receive = body_chunks(VALID[:half], VALID[half:])
    assert (await call(app, method="POST", headers=FORM, receive=receive))[2] == SUCCESS
    assert accepter.accepted[0].text == "hello"


TOO_LARGE = "FAILURE: Request too large"


async def test_a_body_over_the_limit_is_refused_and_not_read_further() -> None:
    app, auth, accepter = make_app()
    chunk = b"&x=" + b"y" * 4093  # 4 KiB
    chunks = [VALID, *([chunk] * 100)]  # 400 KiB in all
    served = 0
    receive_chunks = body_chunks(*chunks)

    async def receive() -> dict[str, Any]:
        nonlocal served
        served += 1
        return await receive_chunks()

    status, _, text = await call(app, method="POST", query=VALID, headers=FORM, receive=receive)
    assert (status, text) == (200, TOO_LARGE)
    assert served == MAX_REQUEST_BODY_BYTES // 4096 + 1  # stopped at the first chunk past it
    assert (accepter.accepted, auth.calls) == ([], [])


async def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    app, _, accepter = make_app()

    async def receive() -> dict[str, Any]:
        raise AssertionError("the body was read")

    length = [(b"content-length", str(MAX_REQUEST_BODY_BYTES + 1).encode())]
    for declared in (length, [(b"content-length", b"9" * 30)]):
        status, _, text = await call(
            app, method="POST", query=VALID, headers=FORM + declared, receive=receive
        )
        assert (status, text) == (200, TOO_LARGE)
    assert accepter.accepted == []


async def test_a_body_at_the_limit_is_read() -> None:
    app, _, accepter = make_app()
    body = VALID + b"&x=" + b"y" * (MAX_REQUEST_BODY_BYTES - len(VALID) - 3)
    assert len(body) == MAX_REQUEST_BODY_BYTES
    declared = [(b"content-length", str(len(body)).encode())]
    status, _, text = await call(
        app, method="POST", headers=FORM + declared, receive=body_chunks(body)
    )
    assert (status, text) == (200, SUCCESS)
    assert len(accepter.accepted) == 1


@pytest.mark.parametrize("method", ["HEAD", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"])
async def test_methods_other_than_get_and_post_send_nothing(method: str) -> None:
    app, auth, accepter = make_app()
    status, headers, text = await call(
        app, method=method, query=VALID, headers=FORM, receive=body_chunks(VALID)
    )
    assert (status, headers[b"allow"], text) == (405, b"GET, POST", "FAILURE: Method not allowed")
    assert (accepter.accepted, auth.calls) == ([], [])


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
