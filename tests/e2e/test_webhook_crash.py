"""At-least-once webhooks across a SIGKILL: the receiver is down while N messages are
delivered, the gateway is SIGKILLed and started again, the receiver comes back, and every
message's `message.status` "delivered" event arrives, each verified with `standardwebhooks`.

The events were written in the transactions of the receipts, so the restarted gateway finds
them in its outbox; attempts made before the kill failed (nobody listened), and attempts in
flight at the kill are due again when their claim's lease ends. The wait is bounded by the
retry schedule: at most the 30 s retry (and its jitter) or the 30 s lease.
"""

import asyncio
import os
import signal
from pathlib import Path

import aiosqlite
import pytest

from smsgate.delivery.webhook_http import resolve
from smsgate.services.webhooks import Webhooks
from smsgate.store.database import open_database
from smsgate.store.realms import RealmStore
from smsgate.store.webhooks import WebhookStore
from tests.e2e.support import SUCCESS, Server, ServerFactory, make_client
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.support.waiting import eventually

pytestmark = pytest.mark.slow

N = 500
REALM, PASSWORD, CODE = "hooks", "hooks-pass", "54321"
ENV = {"SMSGATE_WEBHOOK_ALLOW_PRIVATE": "true"}


async def _add_endpoint(data_dir: Path, url: str) -> str:
    db = open_database(f"sqlite+aiosqlite:///{data_dir / 'smsgate.db'}")
    try:
        service = Webhooks(WebhookStore(db), RealmStore(db), resolver=resolve, allow_private=True)
        return (await service.add(REALM, url, "message.status")).secret
    finally:
        await db.dispose()


async def _delivered(data_dir: Path) -> int:
    async with aiosqlite.connect(data_dir / "smsgate.db") as conn:
        cursor = await conn.execute("SELECT COUNT(*) FROM messages WHERE status = 'delivered'")
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def test_every_delivered_event_arrives_after_a_sigkill(
    server_factory: ServerFactory, tmp_path: Path
) -> None:
    receiver = await WebhookReceiver().start()
    await receiver.stop()  # its port is known, and nobody listens there
    server = await server_factory(
        ("realm", "add", REALM, "--password", PASSWORD),
        ("sender", "add", REALM, CODE),
        dispatch=True,
        env=ENV,
    )
    receiver.secret = await _add_endpoint(server.data_dir, receiver.url)

    phones = [f"1206555{n:04d}" for n in range(N)]
    async with make_client(server) as client:
        gate = asyncio.Semaphore(20)

        async def send(phone: str) -> str:
            async with gate:
                response = await client.get(
                    "/bin/api_web",
                    params={
                        "r": REALM,
                        "p": PASSWORD,
                        "c": "smssendmessagetophone",
                        "phone": phone,
                        "sender_code": CODE,
                        "message_text": f"hello {phone}",
                    },
                )
                return response.text

        assert set(await asyncio.gather(*(send(p) for p in phones))) == {SUCCESS}

    async def all_delivered() -> bool:
        return await _delivered(server.data_dir) == N

    await eventually(all_delivered, timeout=120, what=f"{N} messages delivered")
    os.kill(server.pid, signal.SIGKILL)
    await asyncio.to_thread(server.stop)
    assert receiver.received == []

    restarted = Server(server.data_dir, tmp_path / "restarted.log", dispatch=True, env=ENV)
    await asyncio.to_thread(restarted.start)
    try:
        await receiver.start()  # back, on the same port

        def arrived() -> dict[str, bool]:
            return {
                r.json["data"]["to"]: r.verified
                for r in receiver.received
                if r.json["data"]["status"] == "delivered"
            }

        async def everything() -> bool:
            return len(arrived()) == N

        await eventually(
            everything,
            timeout=120,
            what=f"{N} delivered events",
            describe=lambda: f"{len(arrived())} arrived",
        )
        assert sorted(arrived()) == sorted(phones)
        assert all(r.verified for r in receiver.received)
        assert {r.json["type"] for r in receiver.received} == {"message.status"}
    finally:
        await receiver.stop()
        await asyncio.to_thread(restarted.stop)
