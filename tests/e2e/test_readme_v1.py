"""The README's JSON API example, run as written (with bash and curl) against a fresh server:
only the address and the path of the `smsgate` script are this test's."""

import asyncio
import json
import re
import subprocess
from pathlib import Path

from tests.e2e.support import SMSGATE, ServerFactory, clean_env

README = Path(__file__).resolve().parents[2] / "README.md"


def json_api_example() -> str:
    text = README.read_text()
    section = text[text.index("## The JSON API (/v1)") :]
    found = re.search(r"```sh\n(.*?)```", section, re.S)
    assert found is not None
    return found.group(1)


async def test_the_readme_json_api_example_works_as_written(
    server_factory: ServerFactory,
) -> None:
    server = await server_factory(
        ("realm", "add", "myrealm", "--password", "mypass"),
        ("sender", "add", "myrealm", "120162701555"),
        dispatch=True,
    )
    script = (
        json_api_example()
        .replace("http://127.0.0.1:8080", server.url)
        .replace(".venv/bin/smsgate", str(SMSGATE))
    )
    # every curl prints its body; end each with a newline to read them back one a line
    script = (
        "set -euo pipefail\ncurl() { command curl --fail-with-body -w '\\n' \"$@\"; }\n" + script
    )
    done = await asyncio.to_thread(
        subprocess.run,
        ["bash", "-c", script],
        env=clean_env(server.data_dir),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    bodies = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    sent, got, listed, inbound, optout, optouts, encoding = bodies
    assert (sent["status"], sent["client_ref"], sent["to"]) == (
        "queued",
        "order-1001",
        "12065551212",
    )
    assert got["id"] == sent["id"] and got["events"][0]["type"] == "accepted"
    assert isinstance(listed["data"], list) and "next_cursor" in listed
    assert inbound == {"data": [], "next_cursor": None}
    assert (optout["phone"], optout["source"]) == ("12065550100", "api")
    assert [o["phone"] for o in optouts["data"]] == ["12065550100"]
    assert encoding == {
        "encoding": "ucs2",
        "parts": 1,
        "length": 11,
        "units": 11,
        "ucs2_characters": ["\u2019"],
    }
