"""api_web on a full disk: never SUCCESS for a message that was not committed.

`smsgate serve` runs with its data directory on a small tmpfs (tests/filesystems.py), which the
test fills with a file until the kernel answers ENOSPC: the real SQLite engine then fails the
commit with SQLITE_FULL. Every request in that time must hear the temporary FAILURE and leave
no row; once the file is deleted, requests succeed again.
"""

import asyncio
from pathlib import Path

from smsgate.domain.send import TEMPORARILY_UNAVAILABLE
from tests.e2e.support import SUCCESS, Cli, RealmSpec, Server, make_client, reply, send_args, stored
from tests.filesystems import MountTmpfs, fill

REALM = RealmSpec("diskfull", "diskfull-pass", ("55599",))
REQUESTS = 20


async def test_a_full_disk_answers_failure_and_stores_nothing(
    mount_tmpfs: MountTmpfs, tmp_path: Path
) -> None:
    data_dir = mount_tmpfs("disk", size="8m") / "data"
    await asyncio.to_thread(
        Cli(data_dir).run_batch,
        ("realm", "add", REALM.name, "--password", REALM.password),
        ("sender", "add", REALM.name, REALM.senders[0]),
    )
    server = Server(data_dir, tmp_path / "server.log")
    await asyncio.to_thread(server.start)
    try:
        async with make_client(server) as http:
            before = send_args(REALM)
            assert reply(await http.get("/bin/api_web", params=before)) == SUCCESS

            filler = fill(data_dir)
            refused = [send_args(REALM) for _ in range(REQUESTS)]
            answers = await asyncio.gather(
                *(http.get("/bin/api_web", params=args) for args in refused)
            )
            assert {reply(a) for a in answers} == {f"FAILURE: {TEMPORARILY_UNAVAILABLE}"}

            filler.unlink()
            after = send_args(REALM)
            assert reply(await http.get("/bin/api_web", params=after)) == SUCCESS
    finally:
        await asyncio.to_thread(server.stop)
    phones = {row["phone"] for row in await stored(server)}
    assert phones == {"1" + before["phone"], "1" + after["phone"]}  # nothing half-written
    assert "database or disk is full" in server.log_text()  # the fault was the real one
