"""The rules of `smssendmessagetophone`: argument folding, the failure table, the reply line."""

from dataclasses import asdict, replace

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from smsgate.constants import MAX_MESSAGE_CHARS, SUCCESS_REPLY
from smsgate.domain import send
from smsgate.domain.model import SenderCode
from smsgate.domain.phone import PHONE_NOT_DIGITS, PHONE_REQUIRED, PHONE_TOO_LONG
from smsgate.domain.send import SendArgs, Valid, failure, parse_args, validate

REALM_ID = 7
SENDER = SenderCode(realm_id=REALM_ID, code="55501", connection=None, max_tps=None)
OTHER_REALMS_SENDER = SenderCode(realm_id=8, code="55502", connection=None, max_tps=None)
GOOD = SendArgs(
    command="smssendmessagetophone",
    realm="acme",
    password="pw",
    phone="12065551212",
    sender_code="55501",
    message_text="hello",
)
PREFIX = "FAILURE: "


# --- parse_args --------------------------------------------------------------------------


def test_every_documented_alias() -> None:
    long_names = [
        ("cmd", "x"),
        ("realm", "r1"),
        ("pwd", "p1"),
        ("phone", "1"),
        ("sender_code", "2"),
        ("message_text", "t"),
    ]
    short_names = [("c", "x"), ("r", "r1"), ("p", "p1"), ("phone", "1"), ("sender_code", "2")]
    expected = SendArgs("x", "r1", "p1", "1", "2", "t")
    assert parse_args(long_names) == expected
    assert parse_args([*short_names, ("message_text", "t")]) == expected


def test_mixed_long_and_short_names() -> None:
    pairs = [("r", "acme"), ("pwd", "pw"), ("cmd", "c1"), ("P", "ignored"), ("realm", "other")]
    assert parse_args(pairs) == SendArgs(command="c1", realm="acme", password="pw")


@pytest.mark.parametrize(
    ("pairs", "realm"),
    [
        ([("r", "first"), ("realm", "second")], "first"),
        ([("realm", "first"), ("r", "second")], "first"),
        ([("r", "first"), ("r", "second")], "first"),
        ([("R", "first"), ("REALM", "second")], "first"),
        ([("r", ""), ("realm", "second")], ""),  # an empty value is an occurrence too
    ],
)
def test_first_occurrence_wins_whatever_the_alias(pairs: list[tuple[str, str]], realm: str) -> None:
    assert parse_args(pairs).realm == realm


def test_earlier_source_wins_field_by_field() -> None:
    body = [("p", "from-body"), ("message_text", "body text")]
    query = [("pwd", "from-query"), ("r", "acme"), ("message_text", "query text")]
    args = parse_args(body, query)
    assert args.password == "from-body"
    assert args.message_text == "body text"
    assert args.realm == "acme"  # absent from the body: taken from the query string
    assert parse_args([("p", "")], [("p", "q")]).password == ""  # the body's empty value wins


def test_unknown_names_are_ignored() -> None:
    pairs = [
        ("output_format", "xml"),
        ("version", ""),
        ("headers", "1"),
        ("realm_name", "x"),
        ("pass", "x"),
        (" r", "x"),
        ("r ", "x"),
        ("", "x"),
    ]
    assert parse_args(pairs) == SendArgs()
    assert parse_args() == SendArgs()


@pytest.mark.parametrize(
    "name", ["C", "Cmd", "CMD", "R", "Realm", "P", "PWD", "Phone", "SENDER_CODE", "Message_Text"]
)
def test_names_are_case_insensitive(name: str) -> None:
    field = send.ALIASES[name.lower()]
    assert getattr(parse_args([(name, "v")]), field) == "v"


def test_bytes_that_were_not_utf8_read_as_replacement_characters_but_in_the_text() -> None:
    bad = "a\udcffb"
    pairs = [(name, bad) for name in ("c", "r", "p", "phone", "sender_code", "message_text")]
    assert parse_args(pairs) == SendArgs(*(["a\ufffdb"] * 5), message_text=bad)


def test_values_are_kept_verbatim() -> None:
    args = parse_args([("message_text", "  two  spaces : colon\n"), ("phone", " 1 ")])
    assert args.message_text == "  two  spaces : colon\n"
    assert args.phone == " 1 "


names = st.sampled_from([*send.ALIASES, *(n.upper() for n in send.ALIASES), "x", "output"])
pairs_lists = st.lists(st.tuples(names, st.text(max_size=5)), max_size=12)


@given(st.lists(pairs_lists, max_size=3))
def test_parse_args_matches_a_simple_model(sources: list[list[tuple[str, str]]]) -> None:
    expected: dict[str, str] = {}
    for pairs in sources:
        for name, value in pairs:
            field = send.ALIASES.get(name.lower())
            if field is not None and field not in expected:
                expected[field] = value
    assert asdict(parse_args(*sources)) == {**asdict(SendArgs()), **expected}


# --- validate ----------------------------------------------------------------------------


def test_good_request_is_valid() -> None:
    assert validate(GOOD, REALM_ID, SENDER) == Valid(
        phone="12065551212", sender=SENDER, text="hello"
    )


@pytest.mark.parametrize(
    ("changes", "sender", "reason"),
    [
        ({"command": None}, SENDER, "Unsupported command"),
        ({"command": ""}, SENDER, "Unsupported command"),
        ({"command": "smssendmessage"}, SENDER, "Unsupported command smssendmessage"),
        ({"phone": None}, SENDER, PHONE_REQUIRED),
        ({"phone": ""}, SENDER, PHONE_REQUIRED),
        ({"phone": "   "}, SENDER, PHONE_REQUIRED),
        ({"phone": "206-555-1212"}, SENDER, PHONE_NOT_DIGITS),
        ({"phone": "+12065551212"}, SENDER, PHONE_NOT_DIGITS),
        ({"phone": "1" * 16}, SENDER, PHONE_TOO_LONG),
        ({"sender_code": None}, SENDER, send.SENDER_REQUIRED),
        ({"sender_code": " "}, None, send.SENDER_REQUIRED),
        ({"sender_code": "404"}, None, "Sender code 404 not found in realm"),
        ({"sender_code": "55502"}, OTHER_REALMS_SENDER, "Sender code 55502 not found in realm"),
        ({"sender_code": " 55502 "}, OTHER_REALMS_SENDER, "Sender code 55502 not found in realm"),
        ({"message_text": None}, SENDER, send.TEXT_EMPTY),
        ({"message_text": ""}, SENDER, send.TEXT_EMPTY),
        ({"message_text": " \t\n "}, SENDER, send.TEXT_EMPTY),
        ({"message_text": "x" * (MAX_MESSAGE_CHARS + 1)}, SENDER, send.TEXT_TOO_LONG),
        # bytes that were not UTF-8 arrive as lone surrogates (surrogateescape)
        ({"message_text": "\udcff\udcfe"}, SENDER, send.TEXT_NOT_UTF8),  # %FF%FE
        ({"message_text": "caf\udcc3"}, SENDER, send.TEXT_NOT_UTF8),  # truncated é
        ({"message_text": "\udced\udca0\udc80"}, SENDER, send.TEXT_NOT_UTF8),  # U+D800
        ({"message_text": "\ud83d"}, SENDER, send.TEXT_NOT_UTF8),  # any surrogate
        ({"message_text": "\x00"}, SENDER, send.TEXT_CONTROL),
        ({"message_text": "hi\x00"}, SENDER, send.TEXT_CONTROL),
        ({"message_text": "\x1b[31mred"}, SENDER, send.TEXT_CONTROL),
        ({"message_text": "bell\x07"}, SENDER, send.TEXT_CONTROL),
        ({"message_text": "del\x7f"}, SENDER, send.TEXT_CONTROL),
        ({"message_text": "next\x85line"}, SENDER, send.TEXT_CONTROL),  # C1
        ({"message_text": "form\x0cfeed"}, SENDER, send.TEXT_CONTROL),
        ({"message_text": "\x0b\x1c"}, SENDER, send.TEXT_EMPTY),  # str.strip() white space
    ],
)
def test_each_failure_row(
    changes: dict[str, str | None], sender: SenderCode | None, reason: str
) -> None:
    assert validate(replace(GOOD, **changes), REALM_ID, sender) == reason


def test_failure_texts_are_the_documented_ones() -> None:
    assert send.REALM_MISSING == "Unable to determine customer account (realm)"
    assert send.NO_MATCH == "Realm and password do not match"
    assert send.SENDER_REQUIRED == "Sender code is required"
    assert send.TEXT_EMPTY == "Message text cannot be empty."
    assert send.TEXT_TOO_LONG == "Message text cannot be more than 160 characters long"
    assert send.TEXT_NOT_UTF8 == "Message text is not valid UTF-8"
    assert send.TEXT_CONTROL == "Message text contains control characters"
    assert send.REQUEST_TOO_LARGE == "Request too large"
    assert send.TEMPORARILY_UNAVAILABLE == "Temporarily unable to accept messages, try again later"
    assert send.opted_out_reason("2065551212", "55501") == (
        "Phone 2065551212 has opted out of sender code 55501"
    )


def test_the_first_failing_row_wins() -> None:
    """Start with everything wrong and fix one argument at a time, in the documented order."""
    args = SendArgs(
        command="nope", phone="12-34", sender_code="55502", message_text="\x00\udcff" + "x" * 200
    )
    steps: list[tuple[dict[str, str], SenderCode | None, str]] = [
        ({}, OTHER_REALMS_SENDER, "Unsupported command nope"),
        ({"command": "SmsSendMessageToPhone"}, OTHER_REALMS_SENDER, PHONE_NOT_DIGITS),
        ({"phone": "2065551212"}, OTHER_REALMS_SENDER, "Sender code 55502 not found in realm"),
        ({"sender_code": "55501"}, SENDER, send.TEXT_NOT_UTF8),
        ({"message_text": "\x00" + "x" * 200}, SENDER, send.TEXT_CONTROL),
        ({"message_text": "x" * 200}, SENDER, send.TEXT_TOO_LONG),
    ]
    for changes, sender, reason in steps:
        args = replace(args, **changes)
        assert validate(args, REALM_ID, sender) == reason
    args = replace(args, message_text="x" * MAX_MESSAGE_CHARS)
    assert isinstance(validate(args, REALM_ID, SENDER), Valid)


@pytest.mark.parametrize(
    "command",
    [
        "smssendmessagetophone",
        "SMSSENDMESSAGETOPHONE",
        "SmsSendMessageToPhone",
        " smssendmessagetophone ",
    ],
)
def test_command_is_case_insensitive(command: str) -> None:
    assert isinstance(validate(replace(GOOD, command=command), REALM_ID, SENDER), Valid)


@pytest.mark.parametrize(
    "text",
    [
        "x" * MAX_MESSAGE_CHARS,
        "é" * MAX_MESSAGE_CHARS,
        "x" * (MAX_MESSAGE_CHARS - 1) + "\U0001f600",  # the limit counts characters, not units
        " leading and trailing spaces are kept ",
        "tab\tCR\rLF\nare allowed",
        "\ufffd is a character like any other",
    ],
)
def test_accepted_texts_are_kept_verbatim(text: str) -> None:
    valid = validate(replace(GOOD, message_text=text), REALM_ID, SENDER)
    assert isinstance(valid, Valid) and valid.text == text


def test_valid_phone_is_stripped_but_not_normalised() -> None:
    valid = validate(replace(GOOD, phone=" 2065551212 "), REALM_ID, SENDER)
    assert isinstance(valid, Valid) and valid.phone == "2065551212"
    valid = validate(replace(GOOD, phone="1" * 15), REALM_ID, SENDER)
    assert isinstance(valid, Valid)


# --- the reply line ----------------------------------------------------------------------


def test_success_line() -> None:
    assert send.success() == SUCCESS_REPLY == "SUCCESS: Sending message to phone was successful"


@pytest.mark.parametrize(
    ("reason", "password", "line"),
    [
        ("Realm and password do not match", None, "FAILURE: Realm and password do not match"),
        ("Unsupported command a:b", None, "FAILURE: Unsupported command a b"),
        ("two\nlines\r\nhere", None, "FAILURE: two lines here"),
        ("  spaced   out\t", None, "FAILURE: spaced out"),
        (
            "Sender code hunter2 not found in realm",
            "hunter2",
            "FAILURE: Sender code not found in realm",  # removed, not masked
        ),
        ("x" * 500, None, "FAILURE: " + "x" * send.MAX_REASON_CHARS),
        ("", None, "FAILURE: "),
    ],
)
def test_failure_line_examples(reason: str, password: str | None, line: str) -> None:
    assert failure(reason, password) == line


@given(st.text(), st.none() | st.text())
@example("a:b:c\u2028d\x85e\x00", None)
def test_failure_is_one_line_with_one_colon(reason: str, password: str | None) -> None:
    line = failure(reason, password)
    assert line.startswith(PREFIX)
    assert line.count(":") == 1
    assert line.isprintable()  # no control, line or paragraph separators
    assert len(line.splitlines()) == 1
    text = line.removeprefix(PREFIX)
    assert len(text) <= send.MAX_REASON_CHARS
    assert text == " ".join(text.split())  # no leading, trailing or repeated whitespace


# What is true about the password: it never survives in the reason, in its own spelling or
# in the cleaned one (':' and white space folded), for any password with a printable
# character. The fixed prefix can of course contain it (password "FAIL"). The strategy below
# keeps to passwords without '*', ':' or white space; `test_failure_never_contains_any_password`
# covers the rest.
safe_passwords = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp", "Cf", "Co", "Cn")),
    min_size=1,
).filter(
    lambda p: "*" not in p and ":" not in p and p.isprintable() and not any(c.isspace() for c in p)
)


@given(st.text(), safe_passwords)
@example("aab", "ab")
@example("abab", "bab")
def test_failure_never_contains_the_password(reason: str, password: str) -> None:
    assert password not in failure(reason, password).removeprefix(PREFIX)


@given(st.text(), safe_passwords, st.integers(min_value=0), st.integers(min_value=1, max_value=3))
@example("Sender code  not found in realm", "hunter2", 12, 2)
def test_failure_masks_the_password_wherever_the_reason_repeats_it(
    reason: str, password: str, position: int, copies: int
) -> None:
    at = position % (len(reason) + 1)
    reason = reason[:at] + password * copies + reason[at:]
    assert password not in failure(reason, password).removeprefix(PREFIX)


@given(st.text(), st.text(min_size=1))
@example("Unsupported command my:pass", "my pass")
@example("Unsupported command **", "*")
@example("Phone number is required", " ")
def test_failure_never_contains_any_password(reason: str, password: str) -> None:
    text = failure(reason, password).removeprefix(PREFIX)
    for spelling in {password, send._one_line(password)}:
        if spelling.strip():
            assert spelling not in text


def test_failure_masks_a_password_that_cleaning_reassembles() -> None:
    assert "my pass" not in failure("Unsupported command my:pass", "my pass")


def test_failure_with_an_empty_password_masks_nothing() -> None:
    assert failure("Phone number is required", "") == "FAILURE: Phone number is required"
