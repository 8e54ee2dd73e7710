"""The WhatCounts REST door with stand-in collaborators: routing, status codes, the JSON
shapes, what reaches the accepter and the opt-out list, and that no password is echoed."""

import base64
import json
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import REGISTRY

from smsgate.domain.model import Message, Outcome, SenderCode
from smsgate.http.whatcounts_rest import WhatCountsRest
from smsgate.ids import new_message_id
from smsgate.services.optouts import Stopping
from smsgate.services.sending import Sending
from smsgate.store.errors import StoreUnavailable
from tests.fakes.stores import MemoryOptOuts
from tests.unit.http.test_api_web import PASSWORD, FakeAccepter, FakeAuth, call
from tests.unit.http.test_api_web import make_app as make_api_web

SENDER = SenderCode(realm_id=1, code="55501", connection=None, max_tps=None, id=42)
OTHER = SenderCode(realm_id=2, code="66601", connection=None, max_tps=None, id=43)
SEND = "/rest/sms/sendMessageToPhone/Hello+there%21/2065551212/55501"
STOP = "/rest/sms/stopSubscriberSend/2065551212/55501"


class FakeSenders:
    async def get(self, code: str) -> SenderCode | None:
        return {s.code: s for s in (SENDER, OTHER)}.get(code)


def auth_header(realm: str = "acme", password: str = PASSWORD) -> tuple[bytes, bytes]:
    return (b"authorization", b"Basic " + base64.b64encode(f"{realm}:{password}".encode()))


class Door:
    def __init__(
        self,
        accepter: FakeAccepter | None = None,
        optouts: MemoryOptOuts | None = None,
        auth: FakeAuth | None = None,
    ) -> None:
        self.auth = auth or FakeAuth()
        self.accepter = accepter or FakeAccepter()
        self.optouts = optouts or MemoryOptOuts()
        sending = Sending(FakeSenders(), self.accepter, default_region="US", new_id=new_message_id)
        stopping = Stopping(FakeSenders(), self.optouts, default_region="US")
        self.app = WhatCountsRest(self.auth, sending, stopping)

    async def __call__(
        self,
        path: str,
        *,
        method: str = "POST",
        headers: list[tuple[bytes, bytes]] | None = None,
    ) -> tuple[int, dict[bytes, bytes], Any]:
        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        async def receive() -> dict[str, Any]:
            raise AssertionError("the REST door never reads a body")

        scope = {
            "type": "http",
            "method": method,
            "path": path,  # as uvicorn gives it: decoded (the door reads raw_path)
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": [auth_header()] if headers is None else headers,
            "client": ("192.0.2.7", 40000),
        }
        await self.app(scope, receive, send)
        start, body = sent
        response_headers = dict(start["headers"])
        assert response_headers[b"content-type"] == b"application/json"
        assert int(response_headers[b"content-length"]) == len(body["body"])
        assert PASSWORD.encode() not in body["body"]
        return start["status"], response_headers, json.loads(body["body"])


def error(status: int, phrase: str, reason: str) -> dict[str, Any]:
    return {"error": reason, "status": phrase, "statusCode": status}


async def test_send_accepts_and_answers_in_whatcounts_shape() -> None:
    door = Door()
    status, _, body = await door(SEND)
    assert status == 200
    [message] = door.accepter.accepted
    assert isinstance(message, Message)
    assert (message.realm_id, message.phone, message.sender_code) == (1, "12065551212", "55501")
    assert message.text == "Hello there!"
    millis = round(message.created_at * 1000)
    assert body == [
        {
            "success": True,
            "messageId": message.id,
            "phone": "12065551212",
            "realmId": 1,
            "smsSenderId": 42,
            "partSent": 1,
            "totalParts": 1,
            "status": "0",
            "createDate": millis,
            "updatedDate": millis,
        }
    ]
    assert door.auth.calls == [("acme", PASSWORD, "192.0.2.7")]


async def test_text_may_hold_an_encoded_slash_and_plus() -> None:
    door = Door()
    status, _, body = await door("/rest/sms/sendMessageToPhone/1%2F2+%2B+%C3%A9/2065551212/55501/")
    assert status == 200
    assert door.accepter.accepted[0].text == "1/2 + \u00e9"
    assert body[0]["totalParts"] == 1


async def test_long_text_counts_its_parts() -> None:
    door = Door()
    status, _, body = await door(
        f"/rest/sms/sendMessageToPhone/{'%E2%82%AC' * 100}/2065551212/55501"
    )
    assert status == 200
    assert (body[0]["partSent"], body[0]["totalParts"]) == (2, 2)


async def test_opted_out_is_409() -> None:
    door = Door(FakeAccepter(Outcome.OPTED_OUT))
    status, _, body = await door(SEND)
    assert (status, body) == (
        409,
        error(409, "Conflict", "Phone 2065551212 has opted out of sender code 55501"),
    )


async def test_store_unavailable_is_503_and_nothing_succeeds() -> None:
    status, _, body = await Door(FakeAccepter(StoreUnavailable("disk")))(SEND)
    assert (status, body["statusCode"]) == (503, 503)
    assert body["error"] == "Temporarily unable to accept messages, try again later"


async def test_an_unexpected_error_is_503_without_a_traceback() -> None:
    status, _, body = await Door(FakeAccepter(RuntimeError("boom")))(SEND)
    assert status == 503 and "boom" not in json.dumps(body)


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/rest/sms/sendMessageToPhone/hi/206-555/55501", "Phone number must contain digits only"),
        (
            "/rest/sms/sendMessageToPhone/hi/2065551212/99999",
            "Sender code 99999 not found in realm",
        ),
        (
            "/rest/sms/sendMessageToPhone/hi/2065551212/66601",
            "Sender code 66601 not found in realm",
        ),
        ("/rest/sms/sendMessageToPhone/hi/2065551212/%20", "Sender code is required"),
        ("/rest/sms/sendMessageToPhone/+/2065551212/55501", "Message text cannot be empty."),
        ("/rest/sms/sendMessageToPhone/a%FFb/2065551212/55501", "Message text is not valid UTF-8"),
        (
            "/rest/sms/sendMessageToPhone/a%00b/2065551212/55501",
            "Message text contains control characters",
        ),
        (
            f"/rest/sms/sendMessageToPhone/{'x' * 161}/2065551212/55501",
            "Message text cannot be more than 160 characters long",
        ),
        ("/rest/sms/stopSubscriberSend/x1/55501", "Phone number must contain digits only"),
        ("/rest/sms/stopSubscriberSend/2065551212/66601", "Sender code 66601 not found in realm"),
    ],
)
async def test_bad_arguments_are_400(path: str, reason: str) -> None:
    door = Door()
    status, _, body = await door(path)
    assert (status, body) == (400, error(400, "Bad Request", reason))
    assert door.accepter.accepted == [] and door.optouts.ledger == []


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ([], "Unable to determine customer account (realm)"),
        ([(b"authorization", b"Basic !!")], "Unable to determine customer account (realm)"),
        ([auth_header(realm=" ")], "Unable to determine customer account (realm)"),
        ([auth_header(password="wrong")], "Realm and password do not match"),
        ([auth_header(password="")], "Realm and password do not match"),
        ([auth_header(realm="other")], "Realm and password do not match"),
    ],
)
async def test_credentials_are_401_with_a_challenge(
    headers: list[tuple[bytes, bytes]], reason: str
) -> None:
    door = Door()
    for path in (SEND, STOP):
        status, response_headers, body = await door(path, headers=headers)
        assert (status, body) == (401, error(401, "Unauthorized", reason))
        assert response_headers[b"www-authenticate"].startswith(b"Basic ")
    assert door.accepter.accepted == [] and door.optouts.ledger == []


async def test_a_reason_never_holds_the_password() -> None:
    door = Door()
    path = f"/rest/sms/sendMessageToPhone/hi/2065551212/{PASSWORD}"
    status, _, body = await door(path)  # Door() asserts the password is not in the body
    assert status == 400 and body["error"] == "Sender code not found in realm"


async def test_auth_lookup_failure_is_503() -> None:
    door = Door(auth=FakeAuth(error=OSError("db down")))
    status, _, _ = await door(SEND)
    assert status == 503


@pytest.mark.parametrize(
    "path",
    [
        "/rest/sms/sendMessageToPhone/2065551212/55501",  # the text is missing
        "/rest/sms/sendMessageToPhone/a/b/2065551212/55501",  # a raw slash splits the text
        "/rest/sms/stopSubscriberSend/2065551212",
        "/rest/sms/sendmessagetophone/hi/2065551212/55501",
        "/rest/sms/",
        "/rest/other",
        "/rest",
    ],
)
async def test_unknown_routes_are_404(path: str) -> None:
    door = Door()
    status, _, body = await door(path)
    assert (status, body) == (404, error(404, "Not Found", "No such command"))


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "HEAD"])
async def test_only_post(method: str) -> None:
    door = Door()
    status, headers, body = await door(SEND, method=method)
    assert (status, headers[b"allow"], body["statusCode"]) == (405, b"POST", 405)
    assert door.accepter.accepted == []


async def test_an_accept_without_json_is_406() -> None:
    door = Door()
    status, _, body = await door(SEND, headers=[auth_header(), (b"accept", b"text/html")])
    assert (status, body["statusCode"]) == (406, 406)
    assert door.accepter.accepted == []


@pytest.mark.parametrize("accept", [b"application/vnd.whatcounts-v1+json", b"application/json"])
async def test_both_json_types_are_accepted(accept: bytes) -> None:
    status, _, _ = await Door()(SEND, headers=[auth_header(), (b"accept", accept)])
    assert status == 200


async def test_stop_opts_out_with_source_api() -> None:
    door = Door()
    status, _, body = await door(STOP)
    assert status == 200
    assert door.optouts.ledger == [(1, "12065551212", "55501", "out", "api")]
    assert body == {
        "success": True,
        "message": "Stopping message to phone was successful",
        "phone": "12065551212",
        "senderCode": "55501",
        "realmId": 1,
        "smsSenderId": 42,
    }
    assert door.accepter.accepted == []


async def test_stop_store_failure_is_503() -> None:
    optouts = MemoryOptOuts()
    optouts.fail = StoreUnavailable("disk")
    door = Door(optouts=optouts)
    status, _, body = await door(STOP)
    assert (status, body["statusCode"]) == (503, 503)


async def test_requests_are_counted_by_command_and_status() -> None:
    def count(command: str, status: str) -> float:
        value = REGISTRY.get_sample_value(
            "smsgate_rest_requests_total", {"command": command, "status": status}
        )
        return value or 0.0

    before = (count("sendMessageToPhone", "200"), count("stopSubscriberSend", "401"))
    before_other = count("other", "404")
    door = Door()
    await door(SEND)
    await door(STOP, headers=[])
    await door("/rest/sms/nothing/x")
    assert count("sendMessageToPhone", "200") == before[0] + 1
    assert count("stopSubscriberSend", "401") == before[1] + 1
    assert count("other", "404") == before_other + 1


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(max_size=170),
    phone=st.sampled_from(["2065551212", "", " ", "206-555", "1" * 16, "+12065551212"]),
    code=st.sampled_from(["55501", "66601", "99999", " "]),
)
async def test_rest_and_api_web_answer_alike(text: str, phone: str, code: str) -> None:
    """Whatever the arguments, the REST door refuses exactly what api_web refuses, with the
    same reason, and accepts the same message."""
    door = Door()
    path = "/rest/sms/sendMessageToPhone/" + "/".join(
        quote(value, safe="", errors="surrogatepass") for value in (text, phone, code)
    )
    status, _, body = await door(path)
    api_web, _, accepter = make_api_web()
    query = urlencode(
        {"r": "acme", "p": PASSWORD, "c": "smssendmessagetophone", "phone": phone,
         "sender_code": code, "message_text": text},
        quote_via=quote,
        errors="surrogatepass",
    ).encode()  # fmt: skip
    _, _, line = await call(api_web, query=query)
    if status == 200:
        assert line == "SUCCESS: Sending message to phone was successful"
        assert [m.text for m in accepter.accepted] == [m.text for m in door.accepter.accepted]
    else:
        assert (status, line) == (400, f"FAILURE: {body['error']}")
