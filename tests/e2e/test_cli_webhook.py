"""`smsgate webhook ...`, run as the installed script on the shared server's data directory."""

import json
import re

from tests.e2e.support import ALPHA, BETA, Cli

PUBLIC_URL = "https://93.184.215.14/smsgate-hooks"  # an address literal: no DNS needed


async def test_add_list_test_deliveries_replay_remove(cli: Cli) -> None:
    out = (await cli("webhook", "add", ALPHA.name, PUBLIC_URL, "--events", "message.status")).ok()
    first, secret = out.splitlines()
    found = re.fullmatch(
        rf"webhook endpoint (ep_[0-9a-f]{{16}}) added to realm {ALPHA.name} for "
        r"message.status; secret:",
        first,
    )
    assert found is not None, out
    endpoint_id = found.group(1)
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{43}=", secret), secret

    listed = (await cli("webhook", "list", ALPHA.name)).ok()
    assert re.search(rf"^{endpoint_id}\tactive\tmessage.status\t\S+\t{PUBLIC_URL}$", listed, re.M)
    assert secret not in listed
    assert endpoint_id not in (await cli("webhook", "list", BETA.name)).ok()

    queued = (await cli("webhook", "test", ALPHA.name, endpoint_id)).ok()
    event_id = re.fullmatch(rf"test event (evt_\w+) queued for {endpoint_id}\n", queued)
    assert event_id is not None, queued
    lines = (await cli("webhook", "deliveries", ALPHA.name, "--json")).ok().splitlines()
    mine = [json.loads(line) for line in lines if event_id.group(1) in line]
    assert len(mine) == 1 and mine[0]["event_type"] == "webhook.test"
    assert mine[0]["endpoint_id"] == endpoint_id
    assert event_id.group(1) not in (await cli("webhook", "deliveries", BETA.name)).ok()

    replayed = (await cli("webhook", "replay", str(mine[0]["id"]))).ok()
    assert re.fullmatch(rf"delivery {mine[0]['id']} replayed as delivery \d+\n", replayed)

    result = await cli("webhook", "remove", BETA.name, endpoint_id)
    assert (result.returncode, result.stderr) == (
        1,
        f"error: webhook endpoint {endpoint_id} not found in realm {BETA.name}\n",
    )
    assert (await cli("webhook", "remove", ALPHA.name, endpoint_id)).ok() == (
        f"webhook endpoint {endpoint_id} removed\n"
    )
    assert endpoint_id not in (await cli("webhook", "list", ALPHA.name)).ok()


async def test_unsafe_urls_and_bad_events_are_one_line_errors(cli: Cli) -> None:
    cases = [
        ("http://127.0.0.1:8080/x", "refused: 127.0.0.1 is a loopback address"),
        ("http://10.1.2.3/x", "refused: 10.1.2.3 is a private address"),
        ("http://169.254.169.254/latest", "refused: 169.254.169.254 is a cloud metadata address"),
        ("ftp://93.184.215.14/x", "only http and https URLs are allowed"),
    ]
    for url, reason in cases:
        result = await cli("webhook", "add", ALPHA.name, url)
        assert (result.returncode, result.stdout, result.stderr) == (
            1,
            "",
            f"error: {url}: {reason}\n",
        ), url
    result = await cli("webhook", "add", ALPHA.name, PUBLIC_URL, "--events", "nope")
    assert result.returncode == 1 and "unknown event type 'nope'" in result.stderr
    result = await cli("webhook", "add", "nosuch", PUBLIC_URL)
    assert result.stderr == "error: realm nosuch not found\n"
