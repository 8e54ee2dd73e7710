"""The README's WhatCounts door examples (`smsstopsubscribersend`, the REST API), run as
written against a fresh server after the quick start's setup; each answer must be the one the
README shows under its command (ids and times excepted)."""

import itertools
import json
import re
import shlex
from pathlib import Path

import httpx

from tests.e2e.support import Cli, Server, ServerFactory, make_client

README = Path(__file__).parents[2] / "README.md"
SECTIONS = ("### Stopping a phone", "## WhatCounts' REST API")
VARYING = ("messageId", "createDate", "updatedDate")


def examples() -> list[tuple[list[str], str]]:
    """(curl argv, expected output) for each `curl` line of the sections, in order."""
    found: list[tuple[list[str], str]] = []
    for title in SECTIONS:
        section = re.split(r"\n#{2,3} ", README.read_text().split(title, 1)[1], maxsplit=1)[0]
        block = section.split("```sh\n", 1)[1].split("```", 1)[0]
        lines = block.splitlines()
        for line, comment in itertools.pairwise(lines):
            if line.startswith("curl "):
                assert comment.startswith("# "), comment
                found.append((shlex.split(line), comment[2:]))
    return found


async def run_curl(client: httpx.AsyncClient, server: Server, argv: list[str]) -> str:
    """The body curl would print for these arguments (only the options the README uses)."""
    method, headers, auth, url = "GET", {}, None, ""
    args = iter(argv[1:])
    for arg in args:
        if arg == "-X":
            method = next(args)
        elif arg == "-H":
            name, _, value = next(args).partition(": ")
            headers[name] = value
        elif arg == "-u":
            realm, _, password = next(args).partition(":")
            auth = httpx.BasicAuth(realm, password)
        else:
            assert not arg.startswith("-"), f"an option the README test does not know: {arg}"
            url = arg
    assert url.startswith("http://127.0.0.1:8080/"), url
    path = url.removeprefix("http://127.0.0.1:8080")
    # the URL exactly as written: httpx would re-encode a path, so send it raw
    request = client.build_request(method, server.url, headers=headers)
    request.url = request.url.copy_with(raw_path=path.encode())
    if auth is not None:
        request = next(auth.auth_flow(request))
    return (await client.send(request)).text


def masked(text: str) -> object:
    """The JSON with its ids and times replaced by their types, or the line as it is."""
    if not text.startswith(("{", "[")):
        return text
    body = json.loads(text)
    for item in body if isinstance(body, list) else [body]:
        for key in VARYING:
            if key in item:
                item[key] = type(item[key]).__name__
    return body


async def test_readme_door_examples(server_factory: ServerFactory) -> None:
    server = await server_factory(
        ("realm", "add", "myrealm", "--password", "mypass"),
        ("sender", "add", "myrealm", "120162701555"),
    )
    cli = Cli(server.data_dir)
    found = examples()
    assert len(found) == 5
    async with make_client(server) as client:
        for argv, expected in found:
            out = await run_curl(client, server, argv)
            assert masked(out) == masked(expected), (argv, out)
            if out.startswith("[{"):
                [sent] = json.loads(out)
                assert re.fullmatch(r"[0-9A-Z]{26}", sent["messageId"])
                assert sent["createDate"] == sent["updatedDate"] > 1_700_000_000_000
    listing = (await cli("optout", "list", "myrealm")).ok()
    assert listing.splitlines() == [
        "12065551313\t120162701555\tapi",
        "12065551414\t120162701555\tapi",
    ]
