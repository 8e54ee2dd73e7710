"""No piece of a password reaches the server's log, through the real logging configuration and
uvicorn's real access log lines: any printable password, raw characters left in the query,
any spelling of the argument's name, GET and POST."""

import asyncio
import uuid
from urllib.parse import quote, urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.support import (
    QUOTED,
    SUCCESS,
    Server,
    ServerFactory,
    exchange,
    next_phone,
    send_args,
)
from tests.unit.http.test_log_scrub import (
    assert_no_password_fragment,
    password_names,
    printable_passwords,
    raw_safe_subsets,
)


def request(method: str, target: str, body: bytes = b"") -> bytes:
    head = f"{method} {target} HTTP/1.1\r\nHost: smsgate\r\nConnection: close\r\n"
    if method == "POST":
        head += "Content-Type: application/x-www-form-urlencoded\r\n"
        head += f"Content-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


def access_line(server: Server, marker: str, start: int) -> str:
    return server.wait_for_line(f"marker={marker}", start=start)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    name=password_names,
    password=printable_passwords,
    safe=raw_safe_subsets,
    method=st.sampled_from(["GET", "POST"]),
)
def test_no_piece_of_a_password_is_logged(
    shared_server: Server, name: str, password: str, safe: str, method: str
) -> None:
    value = quote(password, safe=safe)
    marker = uuid.uuid4().hex
    # no realm: the request fails before authentication, so no throttling state piles up
    others = f"c=smssendmessagetophone&marker={marker}"
    body = f"{name}={value}&phone=12065551212".encode() if method == "POST" else b""
    start = shared_server.line_count
    response = exchange(shared_server, request(method, f"/api_web?{name}={value}&{others}", body))
    assert response.endswith(b"FAILURE: Unable to determine customer account (realm)"), response
    line = access_line(shared_server, marker, start)
    assert_no_password_fragment(line, line.replace(f"{name}={value}", ""), password, value)
    assert f"{name}=***&" in line


def test_a_password_with_quotes_authenticates_and_is_not_logged(shared_server: Server) -> None:
    marker = uuid.uuid4().hex
    args = urlencode(send_args(QUOTED, p=None, phone=next_phone(), marker=marker))
    raw = QUOTED.password.replace(";", "%3B")  # quotes, brackets and ! raw, as browsers send them
    assert "'" in raw and '"' in raw
    start = shared_server.line_count
    response = exchange(shared_server, request("GET", f"/api_web?p={raw}&{args}"))
    assert response.endswith(SUCCESS.encode()), response
    line = access_line(shared_server, marker, start)
    assert "SECRET" not in line and "p=***&" in line


async def test_the_last_access_lines_are_written_at_shutdown(server_factory: ServerFactory) -> None:
    """Access lines leave in batches (http/log_batch.py): the ones of the last moment before
    a graceful stop are in the log too, scrubbed."""
    server = await server_factory()
    markers = [uuid.uuid4().hex for _ in range(20)]
    for marker in markers:
        target = f"/api_web?p=LASTWORDS&c=smssendmessagetophone&marker={marker}"
        exchange(server, request("GET", target))
    await asyncio.to_thread(server.stop)
    logged = server.log_text()
    assert all(f"marker={marker} HTTP/1.1" in logged for marker in markers), logged
    assert "LASTWORDS" not in logged and logged.count("p=***&") == len(markers)
