"""The README's /v1/webhooks example, run as written (with bash and curl) against a fresh
server: only the address, the key and the endpoint's URL (a local receiver, private addresses
allowed for this server) are this test's."""

import asyncio
import json
import re
import subprocess
from pathlib import Path

from tests.e2e.support import ServerFactory, clean_env
from tests.e2e.test_v1_contract import create_key
from tests.fakes.webhook_receiver import WebhookReceiver

README = Path(__file__).resolve().parents[2] / "README.md"
EXAMPLE_URL = "https://example.com/smsgate-hooks"


def webhooks_api_example() -> str:
    text = README.read_text()
    section = text[text.index("## Webhooks") :]
    found = re.search(r"```sh\n(.*?)```", section, re.S)
    assert found is not None, "the Webhooks section has a /v1 example"
    return found.group(1)


async def test_the_readme_webhooks_example_works_as_written(
    server_factory: ServerFactory, receiver: WebhookReceiver
) -> None:
    server = await server_factory(
        ("realm", "add", "myrealm", "--password", "mypass"),
        dispatch=True,
        env={"SMSGATE_WEBHOOK_ALLOW_PRIVATE": "true"},
    )
    key = await asyncio.to_thread(create_key, server.data_dir, "myrealm")
    example = webhooks_api_example()
    assert EXAMPLE_URL in example
    script = example.replace("http://127.0.0.1:8080", server.url).replace(EXAMPLE_URL, receiver.url)
    # every curl prints its body; end each with a newline to read them back one a line
    script = (
        "set -euo pipefail\ncurl() { command curl --fail-with-body -w '\\n' \"$@\"; }\n" + script
    )
    done = await asyncio.to_thread(
        subprocess.run,
        ["bash", "-c", script],
        env={**clean_env(server.data_dir), "KEY": key},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    bodies = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    created, listed, got, queued, deliveries, delivery, replayed = bodies
    assert created["secret"].startswith("whsec_") and created["url"] == receiver.url
    assert created["events"] == ["message.status", "message.inbound"]
    assert [e["id"] for e in listed["data"]] == [created["id"]]
    assert "secret" not in listed["data"][0] and "secret" not in got
    assert got["id"] == created["id"]
    assert queued["event_id"].startswith("evt_")
    assert [d["event_id"] for d in deliveries["data"]] == [queued["event_id"]]
    assert delivery["id"] == deliveries["data"][0]["id"]
    assert replayed["delivery_id"] > delivery["id"]
