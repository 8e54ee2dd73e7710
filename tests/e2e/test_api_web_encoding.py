"""Text on the wire and in the store: '+' and %20, percent-encoded and raw UTF-8, encodings."""

import asyncio
from urllib.parse import quote, urlencode

import httpx

from tests.e2e.support import (
    ALPHA,
    SUCCESS,
    Cli,
    Server,
    exchange,
    next_phone,
    reply,
    send_args,
    stored,
)

# (case, message_text exactly as it goes on the wire, stored text, encoding, parts)
QUERY_CASES = [
    ("plus and %20 are spaces", "Hello+big%20wide++world", "Hello big wide  world", "gsm7", 1),
    ("encoded plus and equals", "1%2B1%3D2", "1+1=2", "gsm7", 1),
    ("percent-encoded UTF-8, GSM", quote("Grüße aus Köln"), "Grüße aus Köln", "gsm7", 1),
    ("lower-case hex", "caf%c3%a9", "café", "gsm7", 1),
    ("percent-encoded UTF-8, UCS-2", quote("日本語のテキスト"), "日本語のテキスト", "ucs2", 1),
    ("160 GSM characters", "x" * 160, "x" * 160, "gsm7", 1),
    ("160 with an extension char", quote("€" + "x" * 159), "€" + "x" * 159, "gsm7", 2),
    ("160 with an emoji", quote("x" * 159 + "😀"), "x" * 159 + "😀", "ucs2", 3),
    ("ampersand and hash", "a%26b%23c", "a&b#c", "gsm7", 1),
    ("newline", "line1%0Aline2", "line1\nline2", "gsm7", 1),
]


async def test_stored_text_and_encoding(client: httpx.AsyncClient, cli: Cli) -> None:
    """Checked through `smsgate messages list --json`, as an operator would see them."""
    expected: dict[str, tuple[str, str, str, int]] = {}
    for case, wire, text, encoding, parts in QUERY_CASES:
        args = send_args(message_text=None)
        url = f"/api_web?{urlencode(args)}&message_text={wire}"
        assert reply(await client.get(url)) == SUCCESS, case
        expected["1" + args["phone"]] = (case, text, encoding, parts)

    body_cases = [
        ("raw UTF-8 form body", "Grüße 日本 😀".encode(), "Grüße 日本 😀", "ucs2", 1),
        ("percent-encoded form body", quote("Grüße 日本").encode(), "Grüße 日本", "ucs2", 1),
        ("plus in a form body", b"two+words", "two words", "gsm7", 1),
    ]
    for case, wire_bytes, text, encoding, parts in body_cases:
        args = send_args(message_text=None)
        body = urlencode(args).encode() + b"&message_text=" + wire_bytes
        response = await client.post(
            "/api_web",
            content=body,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert reply(response) == SUCCESS, case
        expected["1" + args["phone"]] = (case, text, encoding, parts)

    listed = {m["phone"]: m for m in await cli.messages(ALPHA.name)}
    for phone, (case, text, encoding, parts) in expected.items():
        m = listed[phone]
        assert (m["text"], m["encoding"], m["parts"], m["status"]) == (
            text,
            encoding,
            parts,
            "queued",
        ), case


async def test_form_body_with_charset_parameter(
    client: httpx.AsyncClient, shared_server: Server
) -> None:
    args = send_args(message_text="naïve café")
    response = await client.post(
        "/api_web",
        content=urlencode(args).encode(),
        headers={"content-type": "application/x-www-form-urlencoded; charset=UTF-8"},
    )
    assert reply(response) == SUCCESS
    [row] = await stored(shared_server, "1" + args["phone"])
    assert row["text"] == "naïve café"


async def test_raw_utf8_in_the_query_string(shared_server: Server) -> None:
    """llhttp refuses raw bytes over 0x7F in a request target; the gateway percent-encodes
    them before the parser sees them (http/request_line.py; a request line that arrives in
    pieces: tests/unit/http/test_protocol.py)."""
    phone = next_phone()
    query = urlencode(send_args(phone=phone, message_text=None)) + "&message_text=Grüße+日本"
    request = f"GET /api_web?{query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
    response = await asyncio.to_thread(exchange, shared_server, request)
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 "), head
    assert body.decode() == SUCCESS
    [row] = await stored(shared_server, "1" + phone)
    assert row["text"] == "Grüße 日本"


async def test_raw_utf8_in_the_query_and_the_body_of_one_write(shared_server: Server) -> None:
    phone = next_phone()
    body = (
        urlencode(send_args(phone=phone, message_text=None)).encode() + "&message_text=é€".encode()
    )
    request = (
        "POST /api_web?message_text=ignored+ü HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    response = await asyncio.to_thread(exchange, shared_server, request)
    assert response.endswith(SUCCESS.encode()), response
    [row] = await stored(shared_server, "1" + phone)
    assert row["text"] == "é€"  # the body wins, and its bytes were left alone
