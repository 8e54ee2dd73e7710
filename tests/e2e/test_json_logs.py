"""`SMSGATE_LOG_FORMAT=json` on a real `smsgate serve`: every line the server writes is one
JSON object, the access line has its fields with the password scrubbed, and the SMPP link's
lines name their connection."""

import json
import uuid
from urllib.parse import quote

import pytest

from tests.e2e.support import SUCCESS, RealmSpec, ServerFactory, make_client, reply, send_args

REALM = RealmSpec("jsonlogs", "Hunter2&secret pw", ("44401",))


@pytest.mark.parametrize("api_workers", [0, 1], ids=["one-process", "api-workers"])
async def test_every_line_is_a_json_object_and_no_password_is_in_one(
    server_factory: ServerFactory, api_workers: int
) -> None:
    options: dict[str, object] = {}
    if api_workers:  # the core's lines and the workers' (access) lines
        options["extra_args"] = ("--api-workers", str(api_workers))
        options["ready_line"] = f"smsgate core: {api_workers} API workers on"
    server = await server_factory(
        ("realm", "add", REALM.name, "--password", REALM.password),
        ("sender", "add", REALM.name, REALM.senders[0]),
        dispatch=True,  # the built-in simulator: a link that logs its binds
        env={"SMSGATE_LOG_FORMAT": "json"},
        **options,
    )
    marker = uuid.uuid4().hex
    async with make_client(server) as http:
        assert reply(await http.get("/bin/api_web", params=send_args(REALM, marker=marker))) == (
            SUCCESS
        )
    access = json.loads(server.wait_for_line(marker))
    bound = json.loads(server.wait_for_line("bound to"))
    server.stop()  # the whole output, shutdown lines included

    lines = [json.loads(line) for line in server.log_text().splitlines()]
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    assert access["logger"] == "uvicorn.access" and access["status"] == 200
    assert access["method"] == "GET" and "&p=***&" in access["path"] + "&"
    assert bound["connection"] == "simulator"
    text = server.log_text()
    for secret in (REALM.password, quote(REALM.password, safe=""), "Hunter2"):
        assert secret not in text
