"""Batched log lines and the fast access line: the same bytes as logging, no password, and
nothing left behind at shutdown."""

import io
import logging
import logging.config
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate.http.log_batch import BatchedStreamHandler, FastAccessLog, access_logger
from smsgate.http.log_scrub import PLAIN_FORMAT, ScrubSecrets, logging_config, scrub
from tests.unit.http.test_log_scrub import (
    assert_no_password_fragment,
    password_names,
    printable_passwords,
    raw_safe_subsets,
)

ACCESS_FORMAT = '%s - "%s %s HTTP/%s" %d'
# the scrub pattern as it was written before it was spelled for speed
OLD_SECRET = re.compile(r"(?i)((?:^|[?&;\s\"'])(?:p|%[57]0)(?:(?:w|%[57]7)(?:d|%[46]4))?=)[^&\s]*")


class Written(io.StringIO):
    """A stream that tells when something was written to it."""

    def __init__(self) -> None:
        super().__init__()
        self.wrote = threading.Event()

    def write(self, text: str) -> int:
        self.wrote.set()
        return super().write(text)


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    """A logger of its own, outside the hierarchy (pytest attaches its capture handlers to
    every registered logger that does not propagate)."""
    log = logging.Logger("test.log_batch.access", logging.INFO)
    yield log
    for handler in log.handlers[:]:
        log.removeHandler(handler)
        handler.close()


def batched(
    log: logging.Logger, stream: io.StringIO, interval: float = 3600
) -> BatchedStreamHandler:
    handler = BatchedStreamHandler(stream, interval=interval)
    handler.setFormatter(logging.Formatter(PLAIN_FORMAT))
    handler.addFilter(ScrubSecrets())
    log.addHandler(handler)
    return handler


def access_args(name: str, password: str, safe: str) -> tuple[object, ...]:
    path = f"/bin/api_web?r=acme&{name}={quote(password, safe=safe)}&c=x"
    return ("127.0.0.1:5000", "GET", path, "1.1", 200)


pieces = st.text(
    alphabet=st.sampled_from("pPwWdD%57046=&?;'\" \tx\u212a\u017f\u2003\x1c\x85"), max_size=30
)


@settings(max_examples=1000, deadline=None)
@given(pieces | st.text(max_size=30))
def test_the_scrub_pattern_matches_as_it_did(text: str) -> None:
    assert scrub(text) == OLD_SECRET.sub(r"\1***", text)


@settings(max_examples=200, deadline=None)  # a loaded machine: ~1 ms, once 318 ms
@given(password_names, printable_passwords, raw_safe_subsets)
def test_the_fast_line_is_the_line_logging_writes(name: str, password: str, safe: str) -> None:
    args = access_args(name, password, safe)
    logger = logging.Logger("test.log_batch.same", logging.INFO)
    stream = io.StringIO()
    handler = batched(logger, stream)
    fast = access_logger(logger)
    assert isinstance(fast, FastAccessLog)
    now = time.time()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(time, "time", lambda: now)  # LogRecord and the fast line read this clock
        logger.info(ACCESS_FORMAT, *args)
        fast.info(ACCESS_FORMAT, *args)
    handler.flush()
    slow_line, fast_line = stream.getvalue().splitlines()
    assert fast_line == slow_line
    assert f"{name}=***&c=x" in fast_line
    assert_no_password_fragment(fast_line, fast_line.replace(f"{name}=***", ""), password)
    logger.removeHandler(handler)
    handler.close()


@settings(max_examples=100, deadline=None)
@given(password_names, printable_passwords, raw_safe_subsets)
def test_no_password_in_a_batch(name: str, password: str, safe: str) -> None:
    stream = io.StringIO()
    log = logging.Logger("test.log_batch.many", logging.INFO)
    handler = batched(log, stream)
    fast = access_logger(log)
    for _ in range(3):
        fast.info(ACCESS_FORMAT, *access_args(name, password, safe))
        log.info(ACCESS_FORMAT, *access_args(name, password, safe))
    assert stream.getvalue() == ""  # still waiting in the batch
    log.removeHandler(handler)
    handler.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 6
    for line in lines:
        assert f"{name}=***&c=x" in line
        assert_no_password_fragment(line, line.replace(f"{name}=***", ""), password)


def test_lines_leave_within_the_interval(logger: logging.Logger) -> None:
    stream = Written()
    batched(logger, stream, interval=0.01)
    logger.info("one line")
    assert stream.wrote.wait(timeout=10)
    assert stream.getvalue().endswith(" INFO test.log_batch.access one line\n")


def test_a_warning_writes_the_batch_at_once_in_order(logger: logging.Logger) -> None:
    stream = io.StringIO()
    batched(logger, stream)
    access_logger(logger).info("first")
    logger.info("second")
    assert stream.getvalue() == ""
    logger.warning("third")
    assert [line.split(" ", 4)[-1] for line in stream.getvalue().splitlines()] == [
        "first",
        "second",
        "third",
    ]


def test_a_full_batch_leaves_at_once(logger: logging.Logger) -> None:
    from smsgate.http.log_batch import MAX_PENDING

    stream = io.StringIO()
    batched(logger, stream)
    for n in range(MAX_PENDING):
        logger.info("line %d", n)
    assert len(stream.getvalue().splitlines()) == MAX_PENDING


class Writes(io.StringIO):
    """A stream that keeps each write apart."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


def test_a_batch_leaves_in_whole_lines_of_at_most_pipe_buf_bytes(logger: logging.Logger) -> None:
    """Processes sharing a pipe never tear each other's lines: a pipe keeps a write of up to
    PIPE_BUF bytes whole."""
    from smsgate.http.log_batch import WRITE_BYTES

    stream = Writes()
    handler = batched(logger, stream)
    lines = [f"{n} " + ("x" * (n * 37 % 300) if n % 7 else "é€😀" * 100) for n in range(300)]
    for line in lines:
        logger.info(line)
    logger.info("y" * 3 * WRITE_BYTES)  # longer than a write can be: alone, whole
    handler.flush()
    assert len(stream.writes) > 1
    for text in stream.writes:
        assert text.endswith("\n")
        assert len(text.encode()) <= WRITE_BYTES or text.count("\n") == 1
    written = [line.split(" ", 4)[-1] for line in stream.getvalue().splitlines()]
    assert written == [*lines, "y" * 3 * WRITE_BYTES]


def test_disabled_access_lines_are_not_written(logger: logging.Logger) -> None:
    stream = io.StringIO()
    handler = batched(logger, stream)
    logger.setLevel(logging.WARNING)
    access_logger(logger).info("not wanted")
    handler.flush()
    assert stream.getvalue() == ""


def test_any_other_setup_keeps_the_logger(logger: logging.Logger) -> None:
    assert access_logger(logger) is logger  # no handler
    handler = batched(logger, io.StringIO())
    handler.setFormatter(logging.Formatter("%(message)s"))
    assert access_logger(logger) is logger  # another format
    handler.setFormatter(logging.Formatter(PLAIN_FORMAT))
    second = logging.StreamHandler(io.StringIO())
    logger.addHandler(second)
    assert access_logger(logger) is logger  # a second handler
    logger.removeHandler(second)
    logger.addFilter(lambda record: True)
    assert access_logger(logger) is logger  # a filter on the way
    logger.filters.clear()
    assert isinstance(access_logger(logger), FastAccessLog)


def test_json_lines_keep_the_logger() -> None:
    config = logging_config("info", log_format="json")
    config["handlers"]["default"]["stream"] = io.StringIO()
    root = logging.getLogger()
    names = ("uvicorn", "uvicorn.error", "uvicorn.access")
    saved = (root.handlers[:], root.level, [logging.getLogger(n).level for n in names])
    logging.config.dictConfig(config)
    try:
        log = logging.getLogger("uvicorn.access")
        assert access_logger(log) is log
    finally:  # as it was: a scrubbing handler left on the root rewrote later tests' records
        for handler in root.handlers:
            if handler not in saved[0]:
                handler.close()
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        for name, level in zip(names, saved[2], strict=True):
            logging.getLogger(name).setLevel(level)


SHUTDOWN_SCRIPT = """
import logging, logging.config, sys
from smsgate.http.log_batch import access_logger
from smsgate.http.log_scrub import logging_config
config = logging_config("info")
config["handlers"]["default"]["interval"] = 3600  # no timed batch: only the exit writes them
logging.config.dictConfig(config)
log = logging.getLogger("uvicorn.access")
fast = access_logger(log)
assert fast is not log
for n in range(int(sys.argv[1])):
    fast.info('%s - "%s %s HTTP/%s" %d', '127.0.0.1:1', 'GET', f'/?p=pw{n}&n={n}', '1.1', 200)
"""


def test_the_batch_is_written_when_the_process_exits() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SHUTDOWN_SCRIPT, "100"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = done.stderr.splitlines()
    assert [line.rsplit("n=", 1)[1].split(" ")[0] for line in lines] == [str(n) for n in range(100)]
    assert all("p=***&" in line and "pw" not in line for line in lines)
