"""SIGKILL under load: no message the API answered SUCCESS for is ever lost.

A fake SMSC runs on its own event loop in a thread of the test process, so it outlives the
gateway, and records every submit by (destination, text). `smsgate serve` is pointed at it with
SMSGATE_CONFIG, ~2,000 api_web requests are fired concurrently, the gateway is SIGKILLed once
`KILL_AFTER` of them have been answered SUCCESS, then started again on the same data directory.
Every SUCCESS must reach the SMSC; duplicates are allowed (at-least-once) and reported.
"""

import asyncio
import signal
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiosqlite
import httpx
import pytest

from smsgate.smpp.pdu import SubmitSm, SubmitSmResp
from smsgate.smpp.simulator import SmscSession, SmscSimulator
from tests.e2e.support import (
    READY_LINES,
    SMSGATE,
    STARTUP_TIMEOUT,
    SUCCESS,
    Cli,
    clean_env,
    free_port,
)
from tests.support.waiting import eventually, scaled

pytestmark = pytest.mark.slow

REALM, PASSWORD, CODE = "crash", "crash-pass", "54321"
REQUESTS = 2000
CONCURRENCY = 32
KILL_AFTER = 700  # SUCCESS answers before the SIGKILL
DELIVERY_TIMEOUT = 60.0

Key = tuple[str, str]  # (destination, text)


class RecordingSMSC(SmscSimulator):
    """Answers every submit after `delay` (so a window is in flight when the gateway dies) and
    counts submits per (destination, text). Lives on the thread's loop."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.seen: Counter[Key] = Counter()
        self._wanted: tuple[set[Key], asyncio.Future[None]] | None = None

    async def on_submit(self, session: SmscSession, pdu: SubmitSm) -> SubmitSmResp | None:
        await asyncio.sleep(self.delay)
        return self.accept(pdu)

    def after_submit(self, session: SmscSession, pdu: SubmitSm, resp: SubmitSmResp) -> None:
        key = (pdu.destination_addr, pdu.short_message.decode("latin-1"))
        self.seen[key] += 1
        if self._wanted is not None:
            missing, done = self._wanted
            missing.discard(key)
            if not missing and not done.done():
                done.set_result(None)

    async def wait_for_all(self, keys: set[Key], timeout: float) -> Counter[Key]:
        """Until every key has been submitted at least once; returns the counts so far.
        TimeoutError lists how many are still missing."""
        done = asyncio.get_running_loop().create_future()
        missing = {k for k in keys if k not in self.seen}
        self._wanted = (missing, done)
        if not missing:
            done.set_result(None)
        try:
            async with asyncio.timeout(timeout):
                await done
        except TimeoutError:
            raise TimeoutError(f"{len(missing)} SUCCESS messages never reached the SMSC") from None
        finally:
            self._wanted = None
        return Counter(self.seen)

    async def counts(self) -> Counter[Key]:
        return Counter(self.seen)


class ThreadedSmsc:
    """A RecordingSMSC on an event loop of its own, in a daemon thread."""

    def __init__(self, delay: float = 0.01) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fake-smsc", daemon=True)
        self.thread.start()
        self.smsc = RecordingSMSC(delay)
        self.call(self.smsc.start("127.0.0.1", 0))

    def call(self, coro: Any, timeout: float = 10.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def acall(self, coro: Any) -> Any:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    def close(self) -> None:
        self.call(self.smsc.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class Gateway:
    """`smsgate serve` with SMSGATE_CONFIG; ready when uvicorn says it is running."""

    def __init__(self, data_dir: Path, config: Path, log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = clean_env(
            data_dir,
            SMSGATE_PORT=str(self.port),
            SMSGATE_CONFIG=str(config),
            SMSGATE_ACCESS_LOG="false",
            SMSGATE_LOG_LEVEL="info",
        )
        self.log_path = log_path
        self.process = subprocess.Popen(
            [str(SMSGATE), "serve"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.ready = threading.Event()
        self.reader = threading.Thread(target=self._copy, daemon=True)
        self.reader.start()

    def _copy(self) -> None:
        assert self.process.stdout is not None
        with self.log_path.open("wb") as log:
            for line in self.process.stdout:
                log.write(line)
                log.flush()
                if any(ready.encode() in line for ready in READY_LINES):
                    self.ready.set()
        self.ready.set()  # it exited: wait_ready() looks at the process

    def wait_ready(self) -> None:
        self.ready.wait(scaled(STARTUP_TIMEOUT))
        assert self.process.poll() is None and self.ready.is_set(), self.log()

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process.wait()
        self.reader.join(15)
        assert self.process.stdout is not None
        self.process.stdout.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture
def smsc() -> Iterator[ThreadedSmsc]:
    fake = ThreadedSmsc()
    try:
        yield fake
    finally:
        fake.close()


async def fire(gateway: Gateway) -> tuple[set[Key], Counter[str]]:
    """Send REQUESTS from CONCURRENCY connections at once; SIGKILL the gateway after KILL_AFTER
    SUCCESS answers. Returns the (phone, text) of every SUCCESS, and a tally of all outcomes."""
    successes: set[Key] = set()
    outcomes: Counter[str] = Counter()
    todo = iter(range(REQUESTS))
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)

    async def worker(http: httpx.AsyncClient) -> None:
        for i in todo:
            phone, text = f"1206{i:07d}", f"crash test {i:05d}"
            params = {
                "cmd": "smssendmessagetophone",
                "realm": REALM,
                "pwd": PASSWORD,
                "phone": phone,
                "sender_code": CODE,
                "message_text": text,
            }
            try:
                response = await http.get("/api_web", params=params)
            except httpx.HTTPError as exc:
                outcomes[type(exc).__name__] += 1
                continue
            outcomes[response.text[:40]] += 1
            if response.text == SUCCESS:
                successes.add((phone, text))
                if len(successes) == KILL_AFTER:
                    gateway.kill()

    async with httpx.AsyncClient(base_url=gateway.url, limits=limits, timeout=30) as http:
        await asyncio.gather(*(worker(http) for _ in range(CONCURRENCY)))
    return successes, outcomes


async def unfinished(data_dir: Path) -> int:
    async with (
        aiosqlite.connect(data_dir / "smsgate.db") as db,
        db.execute("SELECT count(*) FROM messages WHERE status IN ('queued', 'sending')") as cursor,
    ):
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def stored_keys(data_dir: Path) -> set[Key]:
    async with (
        aiosqlite.connect(data_dir / "smsgate.db") as db,
        db.execute("SELECT phone, text FROM messages") as cursor,
    ):
        return {(str(p), str(t)) for p, t in await cursor.fetchall()}


async def test_sigkill_under_load_loses_no_accepted_message(
    smsc: ThreadedSmsc, tmp_path: Path, record_property: Any
) -> None:
    data_dir = tmp_path / "data"
    config = tmp_path / "smsgate.toml"
    config.write_text(
        "[[smpp]]\n"
        'name = "carrier"\nhost = "127.0.0.1"\n'
        f"port = {smsc.smsc.port}\n"
        'system_id = "smsgate"\npassword = "pw"\n'
        "request_receipts = false\nreconnect_initial = 0.05\nreconnect_max = 0.5\n",
        encoding="utf-8",
    )
    await asyncio.to_thread(
        Cli(data_dir).run_batch,
        ("realm", "add", REALM, "--password", PASSWORD),
        ("sender", "add", REALM, CODE),
    )

    first = Gateway(data_dir, config, tmp_path / "first.log")
    second: Gateway | None = None
    try:
        await asyncio.to_thread(first.wait_ready)
        successes, outcomes = await fire(first)
        await asyncio.to_thread(first.stop)
        assert first.process.returncode == -signal.SIGKILL
        assert len(successes) >= KILL_AFTER, outcomes
        before_restart = await smsc.acall(smsc.smsc.counts())

        second = Gateway(data_dir, config, tmp_path / "second.log")
        await asyncio.to_thread(second.wait_ready)
        stored = await stored_keys(data_dir)
        assert successes <= stored  # every SUCCESS was durable before it was answered
        seen = await smsc.acall(smsc.smsc.wait_for_all(stored, scaled(DELIVERY_TIMEOUT)))

        async def all_recorded() -> bool:  # sent, and recorded as sent
            return await unfinished(data_dir) == 0

        await eventually(
            all_recorded, timeout=30, what="no message left queued/sending", describe=second.log
        )
    finally:
        for gateway in (first, second):
            if gateway is not None:
                await asyncio.to_thread(gateway.stop)

    lost = successes - set(seen)
    duplicates = sum(n - 1 for n in seen.values())
    resent = [line for line in second.log().splitlines() if "sending them again" in line]
    report = (
        f"{len(successes)} SUCCESS of {REQUESTS} ({dict(outcomes)}); {len(stored)} stored; "
        f"{sum(before_restart.values())} submits before the kill; {duplicates} duplicates; "
        f"recovery: {resent}"
    )
    print(report)
    record_property("duplicates", duplicates)
    assert not lost, report
    assert set(seen) == stored, report  # and nothing was submitted that was never stored
    assert duplicates <= len(stored), report
