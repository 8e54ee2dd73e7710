"""Passwords never survive a log line, however the client spelled the argument name."""

import logging
import sys
from urllib.parse import parse_qsl, quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
        ("'p=abc'", "'p=***'"),
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
        '%s - "%s %s"',
        ("1.2.3.4", "GET", "/a?p=pw1"),
        None,
    )
    try:
        raise ValueError("bad request /a?PWD=pw2")
    except ValueError:
        record.exc_info = sys.exc_info()
    assert ScrubSecrets().filter(record) is True
    assert record.getMessage() == '1.2.3.4 - "GET /a?p=***"'
    assert record.exc_text is not None
    assert "pw2" not in record.exc_text and "PWD=***" in record.exc_text


def test_logging_config_installs_the_filter_on_the_handler() -> None:
    config = logging_config("debug", access_log=False)
    assert config["handlers"]["default"]["filters"] == ["scrub"]
    assert config["filters"]["scrub"]["()"] is ScrubSecrets
    assert config["loggers"]["uvicorn.access"]["level"] == "WARNING"
    assert config["root"]["level"] == "DEBUG"
