"""`SMSGATE_LOG_FORMAT=json`: one JSON object per line with the named fields and the extras,
and, as in the text format, no piece of a password in any field (the scrubber's properties,
through the JSON handler of `logging_config`)."""

import io
import json
import logging
import sys
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate.http.log_scrub import logging_config
from tests.unit.http.test_log_scrub import (
    assert_no_password_fragment,
    password_names,
    printable_passwords,
    raw_safe_subsets,
    wire_form,
)

ACCESS_FORMAT = '%s - "%s %s HTTP/%s" %d'  # uvicorn's access log format string


def json_handler() -> tuple[logging.Handler, io.StringIO]:
    """The handler `logging_config(log_format="json")` describes, writing to a buffer."""
    config = logging_config("info", log_format="json")
    described = config["handlers"]["default"]
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    for name in described["filters"]:
        handler.addFilter(config["filters"][name]["()"]())
    handler.setFormatter(config["formatters"][described["formatter"]]["()"]())
    return handler, out


def emit(record: logging.LogRecord) -> tuple[str, dict[str, Any]]:
    handler, out = json_handler()
    handler.handle(record)
    text = out.getvalue()
    assert text.endswith("\n") and text.count("\n") == 1, text  # one line per record
    return text, json.loads(text)


def record(
    name: str, msg: str, args: tuple[Any, ...] | None = None, **extra: Any
) -> logging.LogRecord:
    made = logging.LogRecord(name, logging.INFO, __file__, 1, msg, args, None)
    made.__dict__.update(extra)
    return made


def test_text_stays_the_default() -> None:
    config = logging_config()
    assert config["handlers"]["default"]["formatter"] == "plain"
    assert "json" not in config["formatters"]


def test_a_line_has_time_level_logger_message_and_the_extras() -> None:
    _, line = emit(record("smsgate.delivery.link", "%s: bound", ("carrier",), connection="carrier"))
    assert list(line)[:4] == ["time", "level", "logger", "message"]
    assert line["level"] == "INFO" and line["logger"] == "smsgate.delivery.link"
    assert line["message"] == "carrier: bound"
    assert line["connection"] == "carrier"
    assert line["time"].endswith("Z") and "T" in line["time"]


def test_an_access_line_has_its_fields_with_the_password_scrubbed() -> None:
    args = ("1.2.3.4:5", "GET", "/api_web?r=a&p=hunter2&c=x", "1.1", 200)
    text, line = emit(record("uvicorn.access", ACCESS_FORMAT, args))
    assert "hunter2" not in text
    assert line["path"] == "/api_web?r=a&p=***&c=x"
    assert (line["client"], line["method"], line["status"]) == ("1.2.3.4:5", "GET", 200)
    assert line["message"] == '1.2.3.4:5 - "GET /api_web?r=a&p=***&c=x HTTP/1.1" 200'


def test_extras_and_tracebacks_are_scrubbed_too() -> None:
    made = record("smsgate.x", "failed", query="r=a&pwd=hunter2", parts=["p=hunter3"])
    try:
        raise ValueError("bad request /a?PWD=hunter4")
    except ValueError:
        made.exc_info = sys.exc_info()
    text, line = emit(made)
    assert "hunter" not in text
    assert line["query"] == "r=a&pwd=***" and line["parts"] == ["p=***"]
    assert "PWD=***" in line["exc_info"]


@settings(max_examples=200)
@given(
    password_names,
    printable_passwords,
    raw_safe_subsets,
    st.sampled_from(["GET", "POST"]),
)
def test_no_piece_of_any_printable_password_survives_in_json(
    name: str, password: str, safe: str, method: str
) -> None:
    value = wire_form(password, safe)
    others = "r=acme&c=smssendmessagetophone"
    target = f"/api_web?{name}={value}&{others}"
    with_password = record("uvicorn.access", ACCESS_FORMAT, access_args(method, target))
    without = record("uvicorn.access", ACCESS_FORMAT, access_args(method, f"/api_web?{others}"))
    without.created = with_password.created  # the same time field
    text, line = emit(with_password)
    baseline_text, baseline = emit(without)
    for field in ("message", "path"):  # the decoded values ...
        assert_no_password_fragment(line[field], baseline[field], password, value)
    # ... and the line as written (JSON escapes: a quote in the password becomes \")
    escaped = [json.dumps(form, ensure_ascii=False)[1:-1] for form in (password, value)]
    assert_no_password_fragment(text, baseline_text, *escaped)


def access_args(method: str, target: str) -> tuple[Any, ...]:
    return ("127.0.0.1:5000", method, target, "1.1", 200)
