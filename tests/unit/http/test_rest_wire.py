"""WhatCounts REST wire details: Basic credentials, Accept, path segments, the error object."""

import base64
import json
from urllib.parse import quote, unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.http.rest_wire import (
    BasicCredentials,
    acceptable,
    basic_credentials,
    error_body,
    json_bytes,
    path_segments,
    response_start,
)


def basic(raw: bytes, scheme: bytes = b"Basic") -> list[tuple[bytes, bytes]]:
    return [(b"authorization", scheme + b" " + base64.b64encode(raw))]


def test_realm_and_password() -> None:
    assert basic_credentials(basic(b"myrealm:mypass")) == BasicCredentials("myrealm", "mypass")


def test_the_realm_ends_at_the_first_colon() -> None:
    found = basic_credentials(basic(b"acme:pa:ss:"))
    assert found == BasicCredentials("acme", "pa:ss:")


def test_utf8_and_any_case_of_the_scheme() -> None:
    raw = "r\u00e9alm:p\u00e4ss \U0001f600".encode()
    assert basic_credentials(basic(raw, b"bAsIc")) == BasicCredentials(
        "r\u00e9alm", "p\u00e4ss \U0001f600"
    )


def test_empty_realm_and_password_are_returned_for_the_caller_to_refuse() -> None:
    assert basic_credentials(basic(b":")) == BasicCredentials("", "")


@pytest.mark.parametrize(
    "headers",
    [
        [],
        [(b"authorization", b"")],
        [(b"authorization", b"Basic")],
        [(b"authorization", b"Bearer " + base64.b64encode(b"a:b"))],
        [(b"authorization", b"Basic not*base64")],
        [(b"authorization", b"Basic " + base64.b64encode(b"no colon"))],
        [(b"authorization", b"Basic " + base64.b64encode(b"\xff\xfe:pw"))],
        [(b"x-authorization", b"Basic " + base64.b64encode(b"a:b"))],
    ],
)
def test_missing_or_malformed_is_none(headers: list[tuple[bytes, bytes]]) -> None:
    assert basic_credentials(headers) is None


def test_the_password_stays_out_of_repr() -> None:
    found = basic_credentials(basic(b"acme:hunter2-secret"))
    assert found is not None
    assert "hunter2" not in repr(found) and "acme" in repr(found)


@given(st.text(alphabet=st.characters(exclude_characters=":"), max_size=20), st.text(max_size=40))
def test_any_encoded_pair_comes_back(realm: str, password: str) -> None:
    raw = f"{realm}:{password}".encode("utf-8", "surrogatepass")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return  # lone surrogates: not UTF-8, refused above
    assert basic_credentials(basic(raw)) == BasicCredentials(realm, password)


@pytest.mark.parametrize(
    "accept",
    [
        None,
        b"application/vnd.whatcounts-v1+json",
        b"application/json",
        b"APPLICATION/JSON",
        b"text/html, application/json;q=0.5",
        b"*/*",
        b"application/*",
        b"text/plain, application/vnd.whatcounts-v1+json; q=0.1",
    ],
)
def test_acceptable(accept: bytes | None) -> None:
    headers = [] if accept is None else [(b"accept", accept)]
    assert acceptable(headers)


@pytest.mark.parametrize(
    "accept",
    [b"text/html", b"text/plain, text/html", b"application/json;q=0", b"application/xml", b""],
)
def test_not_acceptable(accept: bytes) -> None:
    assert not acceptable([(b"accept", accept)])


def test_segments_decode_like_a_form_value() -> None:
    raw = b"/rest/sms/sendMessageToPhone/One+time%20message%2Ffor+you%2B%C3%A9/2065559696/55501/"
    assert path_segments(raw, b"/rest/sms/") == [
        "sendMessageToPhone",
        "One time message/for you+\u00e9",
        "2065559696",
        "55501",
    ]


def test_bytes_that_are_not_utf8_become_surrogates() -> None:
    assert path_segments(b"/p/a%FFb", b"/p/") == ["a\udcffb"]


def test_other_prefix_is_none() -> None:
    assert path_segments(b"/rest/other/x", b"/rest/sms/") is None


@given(st.lists(st.text(max_size=10), min_size=1, max_size=4))
def test_segments_decode_as_form_values_do(values: list[str]) -> None:
    encoded = [quote(v, safe="", errors="surrogatepass") for v in values]
    if encoded[-1] == "" and len(encoded) > 1:
        return  # a trailing empty segment reads as a trailing slash
    raw = ("/x/" + "/".join(encoded)).encode()
    expected = [unquote(e, errors="surrogateescape") for e in encoded]
    assert path_segments(raw, b"/x/") == expected


def test_error_body_never_holds_the_password() -> None:
    body = error_body(400, "Sender code hunter2x not found in realm", "hunter2x")
    assert body == {
        "error": "Sender code not found in realm",
        "status": "Bad Request",
        "statusCode": 400,
    }


@pytest.mark.parametrize(
    ("status", "phrase"),
    [(401, "Unauthorized"), (409, "Conflict"), (503, "Service Unavailable"), (404, "Not Found")],
)
def test_error_body_status_phrases(status: int, phrase: str) -> None:
    assert error_body(status, "x: y")["status"] == phrase
    assert error_body(status, "x: y")["error"] == "x y"  # one line, no colon, like api_web


def test_json_is_compact_utf8() -> None:
    body = json_bytes({"a": "\u00e9\U0001f600", "b": [1, True]})
    assert body == '{"a":"\u00e9\U0001f600","b":[1,true]}'.encode()
    assert json.loads(body) == {"a": "\u00e9\U0001f600", "b": [1, True]}


def test_response_start() -> None:
    start = response_start(409, 12, [(b"x-a", b"1")])
    assert start == {
        "type": "http.response.start",
        "status": 409,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", b"12"),
            (b"x-a", b"1"),
        ],
    }
