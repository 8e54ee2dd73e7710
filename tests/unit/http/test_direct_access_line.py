"""The access line of a direct api_web GET (`direct.access_message`, written by
`FastAccessLog.add`): the same text as uvicorn's call scrubbed, the same line as the ASGI path."""

import io
import logging
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from uvicorn.protocols.utils import get_client_addr, get_path_with_query_string

from smsgate.http.direct import ACCESS_FORMAT, access_message
from smsgate.http.log_batch import FastAccessLog, access_logger
from smsgate.http.log_scrub import scrub
from tests.unit.http.test_api_web import PASSWORD, VALID, make_app
from tests.unit.http.test_direct import answered, both, get
from tests.unit.http.test_log_batch import batched

# the characters that matter to the scrub and to uvicorn's quoting, and then anything
_TRICKY = "pPwWdD%57046=&?;'\" \t\x1cx"
queries = st.text(alphabet=st.sampled_from(_TRICKY), max_size=40) | st.text(
    alphabet=st.characters(max_codepoint=127), max_size=40
)
paths = st.text(alphabet=st.sampled_from(_TRICKY + "/ab\xa0\xe9"), max_size=20) | st.text(
    alphabet=st.characters(max_codepoint=255), max_size=20
)
clients = st.none() | st.tuples(
    st.sampled_from(["127.0.0.1", "::1", "192.0.2.1", "fe80::1%p=x"]),
    st.integers(0, 65535),
)


@settings(max_examples=1000, deadline=None)
@given(clients, st.sampled_from(["GET", "POST"]), paths, queries, st.sampled_from(["1.1", "1.0"]))
def test_the_message_is_uvicorns_scrubbed(
    client: tuple[str, int] | None, method: str, path: str, query: str, version: str
) -> None:
    scope: dict[str, Any] = {
        "client": client,
        "method": method,
        "raw_path": path.encode("latin1"),
        "query_string": query.encode("ascii"),
        "http_version": version,
    }
    for status in (200, 500):
        uvicorn_args = (
            get_client_addr(scope),  # type: ignore[arg-type]
            method,
            get_path_with_query_string(scope),  # type: ignore[arg-type]
            version,
            status,
        )
        expected = scrub(ACCESS_FORMAT % uvicorn_args)
        assert access_message(get_client_addr(scope), scope, status) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("version", [b"1.1", b"1.0"])
async def test_the_same_lines_as_the_asgi_path(version: bytes) -> None:
    """A direct GET's lines through `FastAccessLog.add`, an ASGI GET's through uvicorn's
    `info` call: the same, password scrubbed, the client's text following the client."""
    requests = [
        get(VALID).replace(b"HTTP/1.1", b"HTTP/" + version),
        get(VALID.replace(b"hello", b'say%20"hi"'), b"/api_web/"),
    ]
    lines = []
    now = time.time()
    for protocol, _ in both(make_app()[0]):
        stream = io.StringIO()
        logger = logging.Logger("uvicorn.access", logging.INFO)
        handler = batched(logger, stream)
        fast = access_logger(logger)
        assert type(fast) is FastAccessLog
        protocol.access_log, protocol.access_logger = True, fast  # type: ignore[assignment]
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(time, "time", lambda: now)
            for count, request_ in enumerate(requests, 1):
                if count == 2:  # another client (as a proxy's header could make it)
                    protocol.client = ("198.51.100.7", 1234)
                protocol.data_received(request_)
                await answered(protocol, count)
                if version == b"1.0":
                    break  # the connection is closed after the reply
        handler.flush()
        logger.removeHandler(handler)
        handler.close()
        lines.append(stream.getvalue().splitlines())
    direct, asgi = lines
    assert direct == asgi
    assert all(PASSWORD not in line and "p=***&" in line for line in direct)
    assert '192.0.2.1:40000 - "GET /bin/api_web?' in direct[0]
    assert direct[0].endswith(f' HTTP/{version.decode()}" 200')
    if version == b"1.1":
        assert '198.51.100.7:1234 - "GET /api_web/?' in direct[1]
        assert "say%20%22hi%22" in direct[1]


async def test_no_line_while_the_level_refuses_it() -> None:
    protocol, _ = next(both(make_app()[0]))
    stream = io.StringIO()
    logger = logging.Logger("uvicorn.access", logging.INFO)
    handler = batched(logger, stream)
    protocol.access_log, protocol.access_logger = True, access_logger(logger)  # type: ignore[assignment]
    # an operator's change, after the connection was made (outside the manager, a logger's
    # cache of levels is not cleared by setLevel)
    logger.setLevel(logging.WARNING)
    logger._cache.clear()
    protocol.data_received(get(VALID))
    await answered(protocol, 1)
    logger.setLevel(logging.INFO)
    logger._cache.clear()
    protocol.data_received(get(VALID))
    await answered(protocol, 2)
    handler.flush()
    assert len(stream.getvalue().splitlines()) == 1
    logger.removeHandler(handler)
    handler.close()
