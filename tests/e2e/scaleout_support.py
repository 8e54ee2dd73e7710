"""A small cluster for the scale-out end-to-end tests: `smsgate serve --no-dispatch` and
`smsgate dispatch` processes on one PostgreSQL database, a fake SMSC in the test process.

Processes get a clean environment (no inherited `SMSGATE_*`) plus the cluster's settings, write
their output to a log file each (shown when a test fails), and are always reaped: SIGTERM, then
SIGKILL after a bound, at teardown. Readiness is observed, never slept for: an API is ready when
its own log says uvicorn is running (an answer on the port could come from another process
that took the port first), a dispatcher when it holds its bind leases.
"""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import IO, Final

import httpx
from sqlalchemy import func, select

from smsgate.auth.passwords import hash_password
from smsgate.smpp.pdu import SubmitSm, SubmitSmResp
from smsgate.smpp.simulator import SmscSession, SmscSimulator
from smsgate.store import schema as s
from smsgate.store.database import Database
from smsgate.store.migrate import upgrade
from smsgate.store.realms import RealmStore
from tests.conftest import CHEAP_HASHER
from tests.e2e.support import STARTUP_TIMEOUT, client_limits, free_port
from tests.support.waiting import eventually, scaled

SMSGATE: Final = Path(sys.executable).with_name("smsgate")
REALM, PASSWORD, SENDER = "acme", "secret", "12065550100"
CONNECTION: Final = "carrier"
STOP_TIMEOUT: Final = 30.0  # SIGTERM to exit, on a loaded machine (scaled)
PORT_ATTEMPTS: Final = 3  # an API whose free port was taken meanwhile tries another


class CountingSMSC(SmscSimulator):
    """The fake SMSC: counts submit_sm per text (each test message has a unique text),
    remembers which texts it answered and the most sessions ever bound at once, and can
    withhold its submit responses for a while (`hold_responses`), so that a test knows submits
    are outstanding on every bind."""

    def __init__(self) -> None:
        super().__init__()
        self.max_bound = 0
        self.answered: set[str] = set()  # texts whose submit_sm got its response
        self._holding = False
        self._held: list[tuple[SmscSession, asyncio.Future[None]]] = []
        self._held_enough = asyncio.Event()
        self._want_sessions = 0

    async def on_submit(self, session: SmscSession, pdu: SubmitSm) -> SubmitSmResp | None:
        if self._holding:
            release = asyncio.get_running_loop().create_future()
            self._held.append((session, release))
            if len({id(held) for held, _ in self._held}) >= self._want_sessions:
                self._held_enough.set()
            await release
        return self.accept(pdu)

    async def hold_responses(self, sessions: int, timeout: float) -> None:
        """Stop answering submit_sm; return once unanswered ones are outstanding on `sessions`
        different connections."""
        self._holding, self._want_sessions = True, sessions
        self._held_enough.clear()
        async with asyncio.timeout(timeout):
            await self._held_enough.wait()

    def after_submit(self, session: SmscSession, pdu: SubmitSm, resp: SubmitSmResp) -> None:
        self.answered.add(pdu.short_message.decode("latin-1"))
        super().after_submit(session, pdu, resp)

    def release_responses(self) -> None:
        """Answer everything held (a dead connection's answers are dropped) and go on."""
        self._holding = False
        for _, release in self._held:
            if not release.done():
                release.set_result(None)
        self._held.clear()

    def count(self, key: str) -> None:
        super().count(key)
        if key == "bound":
            bound = sum(1 for x in self.sessions if x.bind_id is not None and x.is_open)
            self.max_bound = max(self.max_bound, bound)

    def texts(self, prefix: str = "") -> Counter[str]:
        found: Counter[str] = Counter()
        for pdu in self.submitted:
            text = pdu.short_message.decode("latin-1")
            if text.startswith(prefix):
                found[text] += 1
        return found


class Process:
    """One `smsgate ...` subprocess, its output in `log_path`."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.name = name
        self.args = args
        self.env = env
        self.log_path = log_path
        self.process: asyncio.subprocess.Process | None = None
        self._log: IO[bytes] | None = None

    async def start(self) -> "Process":
        self._log = self.log_path.open("wb")
        self.process = await asyncio.create_subprocess_exec(
            str(SMSGATE),
            *self.args,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def kill(self) -> None:
        """SIGKILL: no cleanup of any kind, like a power cut."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)

    async def stop(self) -> int:
        """SIGTERM, wait (bounded), SIGKILL if it did not stop. Returns the exit status."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(scaled(STOP_TIMEOUT)):
                    await self.process.wait()
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        assert self.process.returncode is not None
        return self.process.returncode

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def wait_listening(self) -> bool:
        """Until uvicorn says it is running (True), or the process exited because its port was
        taken (False); AssertionError if it exited for any other reason."""

        async def started_or_exited() -> bool:
            return not self.running or "Uvicorn running on" in self.output()

        await eventually(
            started_or_exited,
            timeout=STARTUP_TIMEOUT,
            what=f"{self.name} listening",
            describe=self.output,
        )
        if self.running:
            return True
        assert "address already in use" in self.output(), f"{self.name} exited:\n{self.output()}"
        return False


class Cluster:
    """Processes on one database and one fake SMSC; `close()` stops them all."""

    def __init__(
        self,
        url: str,
        smsc: CountingSMSC,
        tmp_path: Path,
        *,
        binds: int = 2,
        window: int = 100,
        max_tps: float = 0,
        node_timeout: float = 3.0,
    ) -> None:
        self.url = url
        self.smsc = smsc
        self.tmp_path = tmp_path
        self.binds = binds
        self.window = window
        self.node_timeout = node_timeout
        self.processes: list[Process] = []
        self.config = tmp_path / "smsgate.toml"
        self.config.write_text(
            f"""
[[smpp]]
name = "{CONNECTION}"
host = "127.0.0.1"
port = {smsc.port}
system_id = "gw"
password = "pw"
binds = {binds}
window = {window}
max_tps = {max_tps}
default = true
reconnect_initial = 0.1
reconnect_max = 1.0
response_timeout = 600  # answers withheld by a test must not time out and be resent
"""
        )

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SMSGATE_")}
        env.update(
            SMSGATE_DATA_DIR=str(self.tmp_path / "data"),
            SMSGATE_DATABASE_URL=self.url,
            SMSGATE_CONFIG=str(self.config),
            SMSGATE_NODE_TIMEOUT=str(self.node_timeout),
            SMSGATE_HEARTBEAT_INTERVAL=str(self.node_timeout / 6),
            SMSGATE_POLL_INTERVAL="0.5",
            SMSGATE_LOG_LEVEL="info",
            SMSGATE_ACCESS_LOG="false",
        )
        env.update(extra)
        return env

    async def api(self, name: str, *args: str) -> tuple[Process, str]:
        """Start `serve --no-dispatch` (and `args`); returns it and its base URL once it
        listens."""
        for _ in range(PORT_ATTEMPTS):
            port = free_port()
            process = Process(
                name,
                ["serve", "--no-dispatch", "--port", str(port), *args],
                self.env(SMSGATE_NODE_ID=name),
                self.tmp_path / f"{name}.log",
            )
            self.processes.append(await process.start())
            if await process.wait_listening():
                return process, f"http://127.0.0.1:{port}"
            self.processes.remove(process)
            await process.stop()
        raise AssertionError(f"{name}: no free port in {PORT_ATTEMPTS} attempts")

    async def dispatcher(self, name: str, *args: str) -> Process:
        process = Process(
            name,
            ["dispatch", *args],
            self.env(SMSGATE_NODE_ID=name),
            self.tmp_path / f"{name}.log",
        )
        self.processes.append(await process.start())
        return process

    async def close(self) -> list[int]:
        """Stop every process (SIGTERM, bounded); their exit statuses, in start order."""
        return list(
            await asyncio.gather(*(p.stop() for p in self.processes if p.process is not None))
        )

    def logs(self) -> str:
        return "\n".join(f"===== {p.name}\n{p.output()[-6000:]}" for p in self.processes)


async def prepare_database(db: Database) -> None:
    """Schema, realm and sender code, as an operator would with `smsgate db upgrade` etc."""
    await upgrade(db)
    realms = RealmStore(db)
    await realms.add_realm(REALM, hash_password(PASSWORD, hasher=CHEAP_HASHER))
    await realms.add_sender(REALM, SENDER)


async def count_by_status(db: Database) -> Counter[str]:
    async with db.reader.connect() as conn:
        rows = await conn.execute(
            select(s.messages.c.status, func.count()).group_by(s.messages.c.status)
        )
        return Counter({status: int(n) for status, n in rows})


async def parts_recorded(db: Database) -> int:
    """`message_parts` rows: parts whose submit_sm_resp a dispatcher has written."""
    async with db.reader.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(s.message_parts)) or 0)


async def bind_holders(db: Database) -> list[str | None]:
    async with db.reader.connect() as conn:
        rows = await conn.execute(
            select(s.smpp_binds.c.owner)
            .where(s.smpp_binds.c.lease_until > time.time())
            .order_by(s.smpp_binds.c.slot)
        )
        return [owner for (owner,) in rows]


async def live_nodes(db: Database) -> set[str]:
    async with db.reader.connect() as conn:
        return set(await conn.scalars(select(s.nodes.c.node_id)))


async def send_all(
    urls: list[str],
    texts: list[str],
    *,
    concurrency: int = 16,
    replies: Counter[str] | None = None,
) -> Counter[str]:
    """api_web for every text (phone derived from its index), spread over `urls`; returns the
    replies counted, into `replies` if given (which shows the progress meanwhile). (httpx
    spends more client CPU per request at higher concurrency than the servers need; 16 keeps
    both APIs busy.)"""
    replies = Counter() if replies is None else replies
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(texts)):
        queue.put_nowait(i)
    clients = [
        httpx.AsyncClient(base_url=u, timeout=scaled(60), limits=client_limits(concurrency))
        for u in urls
    ]

    async def worker(n: int) -> None:
        client = clients[n % len(clients)]
        while not queue.empty():
            i = queue.get_nowait()
            reply = await client.get(
                "/bin/api_web",
                params={
                    "r": REALM,
                    "p": PASSWORD,
                    "c": "smssendmessagetophone",
                    "phone": f"1{2060000000 + i}",
                    "sender_code": SENDER,
                    "message_text": texts[i],
                },
            )
            replies[reply.text] += 1

    try:
        await asyncio.gather(*(worker(n) for n in range(concurrency)))
    finally:
        for client in clients:
            await client.aclose()
    return replies
