"""Every row of the failure table, with its exact text, over real HTTP."""

from pathlib import Path
from urllib.parse import urlencode

import aiosqlite
import httpx
import pytest

from tests.e2e.support import (
    ALPHA,
    BETA,
    SUCCESS,
    Cli,
    RealmSpec,
    Server,
    next_phone,
    reply,
    send_args,
    stored,
)

NO_MATCH = "FAILURE: Realm and password do not match"
DIGITS_ONLY = "FAILURE: Phone number must contain digits only"

ROWS = [
    ("realm missing", {"r": None}, "FAILURE: Unable to determine customer account (realm)"),
    ("realm empty", {"r": ""}, "FAILURE: Unable to determine customer account (realm)"),
    ("realm blank", {"r": "  "}, "FAILURE: Unable to determine customer account (realm)"),
    ("realm unknown", {"r": "nosuchrealm"}, NO_MATCH),
    ("password wrong", {"p": "alpha+pass&2"}, NO_MATCH),
    ("password missing", {"p": None}, NO_MATCH),
    ("realm of another password", {"r": BETA.name}, NO_MATCH),
    ("command missing", {"c": None}, "FAILURE: Unsupported command"),
    ("command unsupported", {"c": "smssendmessagetocontact"}, (
        "FAILURE: Unsupported command smssendmessagetocontact"
    )),
    ("phone missing", {"phone": None}, "FAILURE: Phone number is required"),
    ("phone empty", {"phone": ""}, "FAILURE: Phone number is required"),
    ("phone with dashes", {"phone": "206-555-1212"}, DIGITS_ONLY),
    ("phone with letters", {"phone": "20655512l2"}, DIGITS_ONLY),
    ("phone 16 digits", {"phone": "1234567890123456"}, "FAILURE: Phone number is too long"),
    ("sender code missing", {"sender_code": None}, "FAILURE: Sender code is required"),
    ("sender code blank", {"sender_code": " "}, "FAILURE: Sender code is required"),
    ("sender code unknown", {"sender_code": "12345"}, (
        "FAILURE: Sender code 12345 not found in realm"
    )),
    ("sender code of another realm", {"sender_code": BETA.senders[0]}, (
        f"FAILURE: Sender code {BETA.senders[0]} not found in realm"
    )),
    ("text missing", {"message_text": None}, "FAILURE: Message text cannot be empty."),
    ("text empty", {"message_text": ""}, "FAILURE: Message text cannot be empty."),
    ("text blank", {"message_text": "   "}, "FAILURE: Message text cannot be empty."),
    ("text 161 chars", {"message_text": "x" * 161}, (
        "FAILURE: Message text cannot be more than 160 characters long"
    )),
    ("text 161 chars with an emoji", {"message_text": "x" * 160 + "\U0001f600"}, (
        "FAILURE: Message text cannot be more than 160 characters long"
    )),
    # Several problems: the first row of the table wins.
    ("command and phone bad", {"c": "x", "phone": "x"}, "FAILURE: Unsupported command x"),
    ("phone and sender bad", {"phone": "x", "sender_code": None}, DIGITS_ONLY),
    ("sender and text bad", {"sender_code": "0", "message_text": ""}, (
        "FAILURE: Sender code 0 not found in realm"
    )),
    ("realm missing beats all", {"r": None, "p": None, "c": None, "phone": None}, (
        "FAILURE: Unable to determine customer account (realm)"
    )),
]  # fmt: skip


@pytest.mark.parametrize(("overrides", "expected"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
async def test_failure_row(
    client: httpx.AsyncClient,
    shared_server: Server,
    overrides: dict[str, str | None],
    expected: str,
) -> None:
    args = send_args(ALPHA, **overrides)
    assert reply(await client.get("/api_web", params=args)) == expected
    if "phone" in args and args["phone"].isdigit():
        assert await stored(shared_server, "1" + args["phone"]) == []


@pytest.mark.parametrize(
    "command", ["SMSSENDMESSAGETOPHONE", "SmsSendMessageToPhone", "smssendmessagetophone"]
)
async def test_command_is_case_insensitive(client: httpx.AsyncClient, command: str) -> None:
    assert reply(await client.get("/api_web", params=send_args(c=command))) == SUCCESS


@pytest.mark.parametrize(
    "phone", ["2065551212", "12065551212", "123456789012345", " 2065551212 "], ids=str.strip
)
async def test_accepted_phones(client: httpx.AsyncClient, phone: str) -> None:
    """10 and 11 digits, 15 digits (the E.164 maximum), and a leading '+' sent unencoded
    (a query-string '+' is a space)."""
    assert reply(await client.get("/api_web", params=send_args(phone=phone))) == SUCCESS


async def test_a_plus_sign_sent_encoded_is_not_a_digit(client: httpx.AsyncClient) -> None:
    args = send_args(phone="+12065551212")  # httpx encodes '+' as %2B
    assert reply(await client.get("/api_web", params=args)) == DIGITS_ONLY
    raw = "/api_web?r=alpha&p=alpha%2Bpass%261&c=smssendmessagetophone&sender_code=55501"
    phone = next_phone()
    response = await client.get(f"{raw}&message_text=x&phone=+1{phone}")
    assert reply(response) == SUCCESS


async def test_opted_out_phones_are_refused_in_either_spelling(
    client: httpx.AsyncClient, cli: Cli, shared_server: Server, tmp_path: Path
) -> None:
    realm_wide_10, realm_wide_11 = next_phone(), next_phone()
    only_first_10, only_first_11 = next_phone(), next_phone()
    first, second = ALPHA.senders
    opt_outs = tmp_path / "optouts.csv"
    opt_outs.write_text(
        "phone,sender_code\n"
        f"{realm_wide_10},\n"  # 10 digits, every sender code of the realm
        f"1{realm_wide_11},\n"  # 11 digits
        f"{only_first_10},{first}\n"  # only the first sender code
        f"1{only_first_11},{first}\n"
    )
    assert (await cli("optout", "import", ALPHA.name, str(opt_outs))).ok() == (
        "4 opt-outs added, 0 already present\n"
    )

    async def send(phone: str, code: str, realm: RealmSpec = ALPHA) -> str:
        args = send_args(realm, phone=phone, sender_code=code)
        return reply(await client.get("/api_web", params=args))

    def opted_out(phone: str, code: str) -> str:
        return f"FAILURE: Phone {phone} has opted out of sender code {code}"

    # Added as 10 digits, sent as 11 and as 10; realm-wide covers both sender codes.
    assert await send(f"1{realm_wide_10}", first) == opted_out(f"1{realm_wide_10}", first)
    assert await send(realm_wide_10, second) == opted_out(realm_wide_10, second)
    # Added as 11 digits, sent as 10.
    assert await send(realm_wide_11, first) == opted_out(realm_wide_11, first)
    assert await send(realm_wide_11, second) == opted_out(realm_wide_11, second)
    # Sender-specific: refused from that code only.
    assert await send(f"1{only_first_10}", first) == opted_out(f"1{only_first_10}", first)
    assert await send(only_first_11, first) == opted_out(only_first_11, first)
    assert await send(only_first_10, second) == SUCCESS
    assert await send(f"1{only_first_11}", second) == SUCCESS
    # Another realm's opt-outs do not apply.
    assert await send(realm_wide_10, BETA.senders[0], BETA) == SUCCESS

    rows = [
        (m["realm"], m["sender_code"], m["phone"])
        for phone in (realm_wide_10, realm_wide_11, only_first_10, only_first_11)
        for m in await stored(shared_server, "1" + phone)
    ]
    assert sorted(rows) == sorted(
        [
            (ALPHA.name, second, f"1{only_first_10}"),
            (ALPHA.name, second, f"1{only_first_11}"),
            (BETA.name, BETA.senders[0], f"1{realm_wide_10}"),
        ]
    )


async def test_password_in_another_argument_is_left_out_of_the_reply(
    client: httpx.AsyncClient,
) -> None:
    args = send_args(sender_code=ALPHA.password)
    line = reply(await client.get("/api_web", params=args))
    assert line == "FAILURE: Sender code not found in realm"  # the password is left out


async def test_store_failure_is_temporarily_unable_and_stores_nothing(
    client: httpx.AsyncClient, shared_server: Server
) -> None:
    """Someone takes the messages table away under the running server: the commit fails
    for real, the client hears the retry text, and nothing is stored."""
    database = shared_server.data_dir / "smsgate.db"
    before, during, after = send_args(), send_args(), send_args()
    assert reply(await client.get("/api_web", params=before)) == SUCCESS
    async with aiosqlite.connect(database) as db:
        await db.execute("ALTER TABLE messages RENAME TO messages_away")
        await db.commit()
        try:
            response = await client.get("/api_web", params=during)
            assert reply(response) == (
                "FAILURE: Temporarily unable to accept messages, try again later"
            )
            response = await client.post("/api_web", data=during)
            assert reply(response) == (
                "FAILURE: Temporarily unable to accept messages, try again later"
            )
        finally:
            await db.execute("ALTER TABLE messages_away RENAME TO messages")
            await db.commit()
    assert await stored(shared_server, "1" + during["phone"]) == []
    assert len(await stored(shared_server, "1" + before["phone"])) == 1
    assert reply(await client.get("/api_web", params=after)) == SUCCESS  # and it recovers
    assert len(await stored(shared_server, "1" + after["phone"])) == 1


NOT_UTF8 = "FAILURE: Message text is not valid UTF-8"
CONTROL = "FAILURE: Message text contains control characters"


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ("%FF%FE", NOT_UTF8),
        ("caf%C3", NOT_UTF8),  # a truncated sequence
        ("%E2%82", NOT_UTF8),
        ("%ED%A0%80", NOT_UTF8),  # an encoded surrogate (U+D800)
        ("%C0%AF", NOT_UTF8),  # an overlong '/'
        ("%F4%90%80%80", NOT_UTF8),  # past U+10FFFF
        ("%00", CONTROL),
        ("hi%00there", CONTROL),
        ("%1B%5B31mred", CONTROL),
        ("%7F", CONTROL),
        ("a%C2%85b", CONTROL),  # NEL, a C1 control
        ("tab%09CR%0DLF%0Aok", SUCCESS),
    ],
)
async def test_text_that_is_not_utf8_or_has_control_characters(
    client: httpx.AsyncClient, shared_server: Server, wire: str, expected: str
) -> None:
    args = send_args(ALPHA, message_text=None)
    response = await client.get(f"/api_web?{urlencode(args)}&message_text={wire}")
    assert reply(response) == expected
    rows = await stored(shared_server, "1" + args["phone"])
    assert len(rows) == (1 if expected == SUCCESS else 0)


async def test_a_form_body_that_is_not_utf8(
    client: httpx.AsyncClient, shared_server: Server
) -> None:
    args = send_args(ALPHA, message_text=None)
    response = await client.post(
        "/api_web",
        content=urlencode(args).encode() + b"&message_text=caf\xe9",  # Latin-1, not UTF-8
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert reply(response) == NOT_UTF8
    assert await stored(shared_server, "1" + args["phone"]) == []


async def test_a_realm_that_is_not_utf8_is_no_match(client: httpx.AsyncClient) -> None:
    args = send_args(ALPHA, r=None)
    response = await client.get(f"/api_web?{urlencode(args)}&r=alpha%FF")
    assert reply(response) == NO_MATCH  # not a store error: it is looked up as "alpha\ufffd"
