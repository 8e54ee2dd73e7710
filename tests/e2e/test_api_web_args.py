"""How arguments arrive: GET, POST form, both; long, short and mixed-case names; extras."""

import httpx
import pytest

from tests.e2e.support import ALPHA, BETA, SUCCESS, Server, next_phone, reply, send_args, stored

NO_MATCH = "FAILURE: Realm and password do not match"


async def _texts(server: Server, phone: str) -> list[tuple[str, str]]:
    return [(m["realm"], m["text"]) for m in await stored(server, "1" + phone)]


@pytest.mark.parametrize("path", ["/api_web", "/bin/api_web"])
async def test_get_and_post_form(
    client: httpx.AsyncClient, shared_server: Server, path: str
) -> None:
    by_get = send_args(message_text="by get")
    by_post = send_args(message_text="by post")
    assert reply(await client.get(path, params=by_get)) == SUCCESS
    assert reply(await client.post(path, data=by_post)) == SUCCESS
    assert await _texts(shared_server, by_get["phone"]) == [(ALPHA.name, "by get")]
    assert await _texts(shared_server, by_post["phone"]) == [(ALPHA.name, "by post")]


async def test_body_wins_over_query_string(
    client: httpx.AsyncClient, shared_server: Server
) -> None:
    body = send_args(message_text="from the body")
    query = {**body, "message_text": "from the query", "p": "wrong", "sender_code": "0"}
    assert reply(await client.post("/api_web", params=query, data=body)) == SUCCESS
    assert await _texts(shared_server, body["phone"]) == [(ALPHA.name, "from the body")]


async def test_body_wins_even_when_the_body_is_wrong(client: httpx.AsyncClient) -> None:
    query = send_args()
    body = {"p": "not the password"}
    assert reply(await client.post("/api_web", params=query, data=body)) == NO_MATCH


async def test_body_and_query_string_are_merged_field_by_field(
    client: httpx.AsyncClient, shared_server: Server
) -> None:
    args = send_args(message_text="merged")
    body = {k: v for k, v in args.items() if k in ("p", "message_text")}
    query = {k: v for k, v in args.items() if k not in body}
    assert reply(await client.post("/api_web", params=query, data=body)) == SUCCESS
    assert await _texts(shared_server, args["phone"]) == [(ALPHA.name, "merged")]


async def test_a_body_that_is_not_a_form_is_ignored(
    client: httpx.AsyncClient, shared_server: Server
) -> None:
    query = send_args(message_text="from the query")
    other = send_args(message_text="from the json body")
    response = await client.post("/api_web", params=query, json=other)
    assert reply(response) == SUCCESS
    assert await _texts(shared_server, query["phone"]) == [(ALPHA.name, "from the query")]
    assert await _texts(shared_server, other["phone"]) == []


@pytest.mark.parametrize(
    "names",
    [
        ("cmd", "realm", "pwd"),
        ("c", "r", "p"),
        ("cmd", "r", "pwd"),
        ("c", "realm", "p"),
        ("CMD", "Realm", "P"),
        ("C", "R", "PWD"),
    ],
    ids="-".join,
)
async def test_long_short_and_mixed_case_names(
    client: httpx.AsyncClient, shared_server: Server, names: tuple[str, str, str]
) -> None:
    command, realm, password = names
    phone = next_phone()
    params = (
        (command, "smssendmessagetophone"),
        (realm, ALPHA.name),
        (password, ALPHA.password),
        ("Phone", phone),
        ("SENDER_CODE", ALPHA.senders[1]),
        ("Message_Text", "named"),
    )
    assert reply(await client.get("/api_web", params=params)) == SUCCESS
    [row] = await stored(shared_server, "1" + phone)
    assert (row["realm"], row["sender_code"], row["text"]) == (
        ALPHA.name,
        ALPHA.senders[1],
        "named",
    )


async def test_unknown_arguments_are_ignored(
    client: httpx.AsyncClient, shared_server: Server
) -> None:
    args = send_args(message_text="extras")
    query = httpx.QueryParams(args).merge({"output_format": "xml", "version": "", "headers": "1"})
    assert reply(await client.get("/api_web", params=query)) == SUCCESS
    url = "/api_web?output_format=xml&version=&headers=1&" + str(httpx.QueryParams(send_args()))
    assert reply(await client.get(url)) == SUCCESS
    assert await _texts(shared_server, args["phone"]) == [(ALPHA.name, "extras")]


async def test_first_occurrence_wins(client: httpx.AsyncClient, shared_server: Server) -> None:
    args = send_args(message_text="first")
    params = (
        *args.items(),
        ("realm", BETA.name),
        ("pwd", BETA.password),
        ("message_text", "second"),
    )
    assert reply(await client.get("/api_web", params=params)) == SUCCESS
    assert await _texts(shared_server, args["phone"]) == [(ALPHA.name, "first")]
