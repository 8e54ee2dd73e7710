"""`smsgate status` against a running `smsgate serve` (with the built-in simulator): the
messages just sent are counted, the simulator's bind is up, and without a gateway to ask the
binds are reported unknown instead of failing; the webhook backlog is a number (the deliveries
still to make)."""

import asyncio
import json
import subprocess
from pathlib import Path

import pytest

from tests.e2e.support import (
    SMSGATE,
    SUCCESS,
    Cli,
    RealmSpec,
    ServerFactory,
    clean_env,
    free_port,
    make_client,
    reply,
    send_args,
)
from tests.support.waiting import eventually, scaled

REALM = RealmSpec("statusrealm", "status-pass", ("45601",))
SENT = 5


async def test_status_counts_the_messages_and_shows_the_bind(
    server_factory: ServerFactory,
) -> None:
    server = await server_factory(
        ("realm", "add", REALM.name, "--password", REALM.password),
        ("sender", "add", REALM.name, REALM.senders[0]),
        dispatch=True,
    )
    async with make_client(server) as http:
        for _ in range(SENT):
            assert reply(await http.get("/bin/api_web", params=send_args(REALM))) == SUCCESS
    report: dict[str, object] = {}

    async def bound_and_counted() -> bool:
        (found,) = (await server.cli("status", "--json", "--url", server.url)).json_lines()
        report.clear()
        report.update(found)
        hour = found["windows"][1]
        (simulator,) = found["connections"]
        return hour["accepted"] == SENT and simulator["state"] == "up"

    await eventually(
        bound_and_counted, timeout=30, what="status: 5 accepted, bind up", describe=report.__repr__
    )
    assert report["database"] == "sqlite"
    assert report["webhook_backlog"] == 0  # no webhook endpoints
    assert report["gateway_error"] is None
    assert set(report["queue"]) == {"queued", "sending"}  # type: ignore[arg-type]

    text = (await server.cli("status", "--url", server.url)).ok()
    assert f"last hour: {SENT} " in text
    assert "simulator" in text and "UP" in text
    assert "Webhooks     backlog 0 (deliveries still to make)" in text


async def test_without_a_gateway_the_binds_are_unknown(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "data")
    nobody = f"http://127.0.0.1:{free_port()}"
    text = (await cli("status", "--url", nobody)).ok()
    assert "gateway not reachable, binds unknown" in text
    assert "UNKNOWN" in text
    assert "Queue        queued 0  sending 0" in text


async def test_the_webhook_backlog_counts_the_deliveries_still_to_make(tmp_path: Path) -> None:
    """No gateway runs, so nothing is delivered: each test event queued stays in the backlog."""
    cli = Cli(tmp_path / "data")
    (await cli("realm", "add", "hooked", "--password", "hooked-pass")).ok()
    added = (await cli("webhook", "add", "hooked", "https://93.184.215.14/hooks")).ok()
    endpoint_id = added.split()[2]
    for _ in range(2):
        (await cli("webhook", "test", "hooked", endpoint_id)).ok()
    nobody = f"http://127.0.0.1:{free_port()}"
    (report,) = (await cli("status", "--json", "--url", nobody)).json_lines()
    assert report["webhook_backlog"] == 2
    text = (await cli("status", "--url", nobody)).ok()
    assert "Webhooks     backlog 2 (deliveries still to make)" in text
    (await cli("webhook", "remove", "hooked", endpoint_id)).ok()  # cancels them
    assert "Webhooks     backlog 0 " in (await cli("status", "--url", nobody)).ok()


@pytest.mark.postgres
async def test_status_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    """The same command on PostgreSQL: the database's nodes and bind leases are in the report
    (none here: no gateway runs), and the connections come from the config file."""
    config = tmp_path / "smsgate.toml"
    config.write_text(
        '[[smpp]]\nname = "carrier"\nhost = "127.0.0.1"\nport = 2775\n'
        'system_id = "x"\npassword = "y"\nbinds = 3\n'
    )
    env = clean_env(tmp_path, SMSGATE_DATABASE_URL=postgres_url, SMSGATE_CONFIG=str(config))
    nobody = f"http://127.0.0.1:{free_port()}"
    done = await asyncio.to_thread(
        subprocess.run,
        [str(SMSGATE), "status", "--json", "--url", nobody],
        env=env, capture_output=True, text=True, timeout=scaled(60), check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["database"] == "postgresql"
    assert report["nodes_alive"] == {}
    assert report["connections"] == [
        {"name": "carrier", "binds": 3, "bound": None, "held": None, "leased": 0,
         "state": "unknown"},
    ]  # fmt: skip
