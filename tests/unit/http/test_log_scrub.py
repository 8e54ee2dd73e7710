"""Passwords never survive a log line, however the client spelled the argument name."""

import logging
import sys
from urllib.parse import parse_qsl, quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate.http.api_args import api_args
from smsgate.http.log_scrub import ScrubSecrets, logging_config, scrub


def _spellings(letter: str) -> st.SearchStrategy[str]:
    """Every way a client can write one letter of an argument name that decodes to it."""
    forms = {letter.lower(), letter.upper()}
    for ch in (letter.lower(), letter.upper()):
        forms |= {f"%{ord(ch):02X}", f"%{ord(ch):02x}"}
    return st.sampled_from(sorted(forms))


password_names = st.sampled_from(["p", "pwd"]).flatmap(
    lambda name: st.tuples(*(_spellings(c) for c in name)).map("".join)
)


@given(password_names, st.text(min_size=1))
def test_any_spelling_of_the_password_argument_is_masked(name: str, secret: str) -> None:
    value = quote("SECRET" + secret, safe="")
    assert dict(parse_qsl(f"{name}={value}"))  # what api_web decodes the name to ...
    assert next(iter(dict(parse_qsl(f"{name}=x")))).lower() in ("p", "pwd")  # ... a password
    line = f'127.0.0.1:5000 - "GET /api_web?r=acme&{name}={value}&c=x HTTP/1.1" 200'
    scrubbed = scrub(line)
    assert "SECRET" not in scrubbed
    assert f"&{name}=***&c=x HTTP/1.1" in scrubbed  # only the value goes


@pytest.mark.parametrize(
    "query",
    [
        "app=1&sp=2&p2=3&pw=4&pwdx=5&r=6",  # look-alike names are not passwords
        "phone=12065551212&sender_code=55501",
        "message_text=p%3Dnot+a+password",  # 'p=' inside a value, encoded
    ],
)
def test_other_arguments_are_left_alone(query: str) -> None:
    line = f'"GET /api_web?{query} HTTP/1.1" 200'
    assert scrub(line) == line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("p=abc", "p=***"),
        ("?pwd=abc&r=x", "?pwd=***&r=x"),
        ("r=x;p=abc", "r=x;p=***"),
        ("form p=abc seen", "form p=*** seen"),
        ("'p=abc'", "'p=***"),  # a quote may be part of the password
        ("&p=&r=x", "&p=***&r=x"),
    ],
)
def test_boundaries(text: str, expected: str) -> None:
    assert scrub(text) == expected


def test_filter_rewrites_the_formatted_record_and_its_traceback() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s"',
        ("1.2.3.4", "GET", "/a?p=pw1", "1.1"),
        None,
    )
    try:
        raise ValueError("bad request /a?PWD=pw2")
    except ValueError:
        record.exc_info = sys.exc_info()
    assert ScrubSecrets().filter(record) is True
    assert record.getMessage() == '1.2.3.4 - "GET /a?p=*** HTTP/1.1"'
    assert record.exc_text is not None
    assert "pw2" not in record.exc_text and "PWD=***" in record.exc_text


def test_logging_config_installs_the_filter_on_the_handler() -> None:
    config = logging_config("debug", access_log=False)
    assert config["handlers"]["default"]["filters"] == ["scrub"]
    assert config["filters"]["scrub"]["()"] is ScrubSecrets
    assert config["loggers"]["uvicorn.access"]["level"] == "WARNING"
    assert config["root"]["level"] == "DEBUG"


# Characters a client may leave raw in a query value (browsers' encodeURIComponent leaves
# !'()*-._~ alone; the others pass the HTTP parser unencoded too). '&', '+', '%', '#' and
# space cannot be raw: they would end the value, mean a space, start an escape or a fragment.
RAW_SAFE = "!\"$'()*,-./:;<=>?@[\\]^_`{|}~"
# any printable character, with the ones that matter to a query string drawn often
printable_passwords = st.text(
    alphabet=st.sampled_from(RAW_SAFE + "&+%# =")
    | st.characters(categories=("L", "M", "N", "P", "S", "Zs")),
    min_size=4,
    max_size=40,
)

# which of them a client leaves raw: all (as often as not), or some
raw_safe_subsets = st.just(RAW_SAFE) | st.sets(st.sampled_from(RAW_SAFE)).map("".join)


def wire_form(password: str, safe: str) -> str:
    """The password as it goes on the wire, with the characters in `safe` left raw."""
    return quote(password, safe=safe)


def grams(text: str, n: int = 4) -> set[str]:
    return {text[i : i + n] for i in range(len(text) - n + 1)}


def assert_no_password_fragment(logged: str, without_password: str, *forms: str) -> None:
    """No 4-character piece of any form of the password is in `logged`, unless that piece is
    also in the same text without the password (a piece such as 'HTTP' or 'api_'). The scrub's
    own mask (`=***`) is no piece of the password: a password holding "=***" matched it."""
    logged = logged.replace("=***", "=\0")
    for form in forms:
        for gram in grams(form):
            assert gram not in logged or gram in without_password, (gram, logged)


def access_line(client: str, method: str, target: str) -> str:
    """The access log line uvicorn writes for a request (its format string)."""
    return '%s - "%s %s HTTP/%s" %d' % (client, method, target, "1.1", 200)  # noqa: UP031


@settings(max_examples=300)
@given(
    password_names,
    printable_passwords,
    raw_safe_subsets,
    st.sampled_from(["first", "middle", "last"]),
    st.sampled_from(["GET", "POST"]),
)
def test_no_piece_of_any_printable_password_survives(
    name: str, password: str, safe: str, where: str, method: str
) -> None:
    value = wire_form(password, safe)
    assert api_args(b"", f"{name}={value}".encode()).password == password
    others = ["r=acme", "c=smssendmessagetophone", "message_text=hi+there"]
    position = {"first": 0, "middle": 1, "last": len(others)}[where]
    with_password = [*others[:position], f"{name}={value}", *others[position:]]
    line = access_line("127.0.0.1:5000", method, "/api_web?" + "&".join(with_password))
    baseline = access_line("127.0.0.1:5000", method, "/api_web?" + "&".join(others))
    assert_no_password_fragment(scrub(line), baseline, password, value)


@pytest.mark.parametrize(
    "password", ["ab'cdSECRETQ", 'ab"cd"SECRETQ', "x;SECRET;y", "SECRET)(*!~", "a<SECRET>b"]
)
def test_quotes_and_punctuation_do_not_end_the_value(password: str) -> None:
    line = access_line("1.2.3.4:5", "GET", f"/api_web?r=a&p={password}")
    assert scrub(line) == access_line("1.2.3.4:5", "GET", "/api_web?r=a&p=***")
