"""How fast the console's pages load on a big database: seed N messages, time each page.

    .venv/bin/python -m bench.console                       # 1,000,000 messages in SQLite
    .venv/bin/python -m bench.console --rows 100000 --repeat 5

Seeds a fresh SQLite file (the schema by the migrations, rows by plain INSERTs): `--rows`
messages over `--days` days up to now, a day's share of them today, in `--realms` realms (one
sender code each), one part per message, every 1,000th an inbound message, every 200th phone
opted out. Then logs an operator and a realm user in and fetches each page through the
console's ASGI app (httpx, no network): the figure is the server's time to answer, median of
`--repeat` fetches, after one warm-up. The overview is fetched from a new app each time, so
its counts of today are never reused (constants.CONSOLE_OVERVIEW_REUSE_FACTOR): its figure is
what a scan of today costs.
Printed, and written to bench/results/console-<timestamp>.json. The database file is deleted
at the end unless `--keep` names where to keep it.
"""

import argparse
import asyncio
import contextlib
import datetime
import json
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from ulid_transform import bytes_to_ulid

from bench.harness.report import RESULTS_DIR
from smsgate.auth.passwords import hash_password
from smsgate.bootstrap import build
from smsgate.bootstrap.app import gateway_app
from smsgate.domain.console import first_id_at
from smsgate.services.console_accounts import ConsoleAccounts
from smsgate.settings import Settings
from smsgate.store.console_users import ConsoleUserStore
from smsgate.store.database import open_database
from smsgate.store.errors import AlreadyExists
from smsgate.store.migrate import upgrade

CHUNK = 20_000  # rows per executemany
STATUSES = ["delivered"] * 90 + ["failed"] * 3 + ["undeliverable"] * 2 + ["sent"] * 5


def _ulid(epoch: float, rng: random.Random) -> str:
    millis = int(epoch * 1000)
    return str(bytes_to_ulid(millis.to_bytes(6, "big") + rng.randbytes(10)))


def _messages(rows: int, realms: int, days: float, rng: random.Random) -> Iterator[tuple[Any, ...]]:
    """A day's share of the rows today (so "today" is a full day's worth whatever the hour),
    the rest over the days before."""
    now = time.time()
    midnight = now - now % 86400
    today = int(rows / days)
    before = rows - today
    start = midnight - (days - 1) * 86400
    for n in range(rows):
        if n < before:
            created = start + n * (midnight - start) / before
        else:
            created = midnight + (n - before) * (now - midnight) / today
        realm = n % realms + 1
        status = "queued" if n >= rows - 500 else rng.choice(STATUSES)
        phone = f"1206{rng.randrange(10_000_000):07d}"
        yield (
            _ulid(created, rng), realm, f"{70000 + realm}", phone, f"message {n}",
            "gsm7", 1, status, None, 1, "api", created, created + 5,
        )  # fmt: skip


async def seed(path: Path, rows: int, realms: int, days: float) -> None:
    url = f"sqlite+aiosqlite:///{path}"
    db = open_database(url)
    try:
        await upgrade(db)
    finally:
        await db.dispose()
    rng = random.Random(18)
    now = time.time()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA synchronous=OFF")
        cheap = "not a hash: nobody sends here"
        conn.executemany(
            "INSERT INTO realms (id, name, password_hash, password_version, created_at) "
            "VALUES (?, ?, ?, 1, ?)",
            [(r, f"realm{r}", cheap, now) for r in range(1, realms + 1)],
        )
        conn.executemany(
            "INSERT INTO sender_codes (realm_id, code, created_at) VALUES (?, ?, ?)",
            [(r, f"{70000 + r}", now) for r in range(1, realms + 1)],
        )
        batch: list[tuple[Any, ...]] = []
        for n, row in enumerate(_messages(rows, realms, days, rng)):
            batch.append(row)
            if len(batch) == CHUNK:
                _insert(conn, batch, n)
                batch = []
        _insert(conn, batch, rows)
        conn.commit()


def _insert(conn: sqlite3.Connection, batch: list[tuple[Any, ...]], n: int) -> None:
    if not batch:
        return
    conn.executemany(
        "INSERT INTO messages (id, realm_id, sender_code, phone, text, encoding, parts, status, "
        "error, attempts, kind, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        batch,
    )
    conn.executemany(
        "INSERT INTO message_parts (message_id, part_no, connection, smsc_message_id, status, "
        "updated_at) VALUES (?, 1, 'smsc', ?, ?, ?)",
        [(r[0], f"{i + n:x}", r[7], r[12]) for i, r in enumerate(batch) if r[7] != "queued"],
    )
    conn.executemany(
        "INSERT INTO inbound_messages (realm_id, connection, sender_code, phone, text, keyword, "
        "received_at) VALUES (?, 'smsc', ?, ?, 'STOP', 'stop', ?)",
        [(r[1], r[2], r[3], r[11]) for r in batch[::1000]],
    )
    optouts = [(r[1], r[3], r[11]) for r in batch[::200]]
    conn.executemany(
        "INSERT OR IGNORE INTO opt_outs (realm_id, phone, sender_code, source, created_at) "
        "VALUES (?, ?, '', 'mo', ?)",
        optouts,
    )
    conn.executemany(
        "INSERT INTO opt_out_events (realm_id, phone, sender_code, action, source, created_at) "
        "VALUES (?, ?, '', 'out', 'mo', ?)",
        optouts,
    )


async def _login(client: httpx.AsyncClient, realm: str, name: str) -> None:
    form = (await client.get("/console/login")).text
    csrf = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    data = {"csrf": csrf, "name": name, "password": "bench", "realm": realm}
    response = await client.post("/console/login", data=data)
    assert response.status_code == 303, response.text


async def measure(path: Path, repeat: int) -> dict[str, float]:
    settings = Settings(data_dir=path.parent, database_url=f"sqlite+aiosqlite:///{path}",
                        dispatch=False)  # fmt: skip
    gateway = build(settings)
    await gateway.start()
    results: dict[str, float] = {}
    try:
        accounts = ConsoleAccounts(
            ConsoleUserStore(gateway.db), gateway.realms, hasher=hash_password
        )
        with contextlib.suppress(AlreadyExists):  # a database kept from an earlier run
            await accounts.add_operator("bench", "bench")
            await accounts.add_realm_user("realm1", "bench", "bench")
        with sqlite3.connect(path) as conn:
            (phone, some_id) = conn.execute(
                "SELECT phone, id FROM messages WHERE realm_id = 1 "
                "ORDER BY id DESC LIMIT 1 OFFSET 100"
            ).fetchone()
            (middle,) = conn.execute(
                "SELECT id FROM messages ORDER BY id LIMIT 1 OFFSET ?",
                (conn.execute("SELECT count(*) FROM messages").fetchone()[0] // 2,),
            ).fetchone()
        today = first_id_at(time.time() - time.time() % 86400)
        with sqlite3.connect(path) as conn:
            (count,) = conn.execute(
                "SELECT count(*) FROM messages WHERE id >= ?", (today,)
            ).fetchone()
        print(f"{count:,} of the messages are of today (UTC)")
        pages = {
            "overview": "/console/overview/figures",
            "messages, newest": "/console/messages",
            "messages, by phone": f"/console/messages?phone={phone}",
            "messages, status failed": "/console/messages?status=failed",
            "messages, status queued": "/console/messages?status=queued",
            "messages, sender code": "/console/messages?sender_code=70007",
            "messages, page in the middle": f"/console/messages?before={middle}",
            "message timeline": f"/console/messages/{some_id}",
            "inbound": "/console/inbound",
            "opt-outs, a phone": f"/console/optouts?phone={phone}",
        }
        app = gateway_app(gateway)
        for who, realm in (("operator", ""), ("realm user", "realm1")):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                await _login(client, realm, "bench")
                for name, url in pages.items():
                    times = []
                    for _ in range(repeat + 1):
                        fresh = gateway_app(gateway) if name == "overview" else app
                        async with httpx.AsyncClient(
                            transport=httpx.ASGITransport(app=fresh),
                            base_url="http://bench",
                            cookies=client.cookies,
                        ) as fetcher:
                            began = time.perf_counter()
                            response = await fetcher.get(url)
                            times.append(time.perf_counter() - began)
                        assert response.status_code == 200, (url, response.status_code)
                    results[f"{who}: {name}"] = statistics.median(times[1:]) * 1000
    finally:
        await gateway.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--realms", type=int, default=20)
    parser.add_argument("--days", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--keep", type=Path, default=None, help="keep the database file here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="smsgate-console-bench-") as tmp:
        path = args.keep or Path(tmp) / "smsgate.db"
        if not path.exists():
            began = time.perf_counter()
            asyncio.run(seed(path, args.rows, args.realms, args.days))
            print(f"seeded {args.rows:,} messages in {time.perf_counter() - began:.0f} s")
        results = asyncio.run(measure(path, args.repeat))
    width = max(map(len, results))
    for name, millis in results.items():
        print(f"{name:<{width}}  {millis:8.1f} ms")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS_DIR / f"console-{stamp}.json"
    out.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()},
                               "median_ms": results}, indent=2))  # fmt: skip
    print(f"written to {out}")


if __name__ == "__main__":
    main()
