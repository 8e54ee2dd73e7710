"""The real thing, from outside: the `smsgate` command and a `smsgate serve` subprocess.

`Cli` runs the installed `smsgate` script with its own environment (only `SMSGATE_DATA_DIR`
and what a test adds; inherited `SMSGATE_*` variables are dropped so a developer's settings
cannot redirect the tests). `Server` runs `smsgate serve`, copies its output line by line to a
log file and signals each line to waiters, so startup and log assertions wait for events, not
for time to pass.
"""

import asyncio
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Self

import aiosqlite
import httpx

from tests.support.waiting import scaled

SMSGATE: Final = Path(sys.executable).with_name("smsgate")
STARTUP_TIMEOUT: Final = 30.0
KEEPALIVE_EXPIRY: Final = 1.0  # seconds; well below uvicorn's timeout_keep_alive (client_limits)
SUCCESS: Final = "SUCCESS: Sending message to phone was successful"
TEXT_PLAIN: Final = "text/plain; charset=utf-8"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def clean_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSGATE_")}
    env["SMSGATE_DATA_DIR"] = str(data_dir)
    env.update(extra)
    return env


@dataclass(frozen=True)
class Result:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def ok(self) -> str:
        """stdout, after checking that the command succeeded."""
        assert self.returncode == 0, f"smsgate {' '.join(self.args)}: {self.stderr}"
        assert "Traceback" not in self.stderr
        return self.stdout

    def json_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.ok().splitlines()]


_BATCH_DRIVER = """
import json, sys
from smsgate.cli.main import app
for args in json.loads(sys.argv[1]):
    try:
        app(args, prog_name="smsgate")
    except SystemExit as exc:
        if exc.code:
            sys.exit(f"smsgate {' '.join(args)}: exit status {exc.code}")
"""


class Cli:
    """`smsgate ...` against one data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    def run_batch(self, *commands: tuple[str, ...]) -> None:
        """Blocking: run several commands in ONE interpreter, for fixtures.

        The same Typer app with the same argv as the `smsgate` script, minus one interpreter
        start per command (about a second of imports each). Stops at the first failure.
        """
        done = subprocess.run(
            [sys.executable, "-c", _BATCH_DRIVER, json.dumps(commands)],
            capture_output=True,
            text=True,
            env=clean_env(self.data_dir),
            timeout=scaled(120),
            check=False,
        )
        assert done.returncode == 0, done.stderr

    async def __call__(self, *args: str, stdin: str | None = None) -> Result:
        process = await asyncio.create_subprocess_exec(
            str(SMSGATE),
            *args,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=clean_env(self.data_dir),
        )
        try:
            async with asyncio.timeout(scaled(60)):
                out, err = await process.communicate(stdin.encode() if stdin is not None else None)
        except BaseException:
            if process.returncode is None:
                process.kill()
                await process.wait()
            raise
        assert process.returncode is not None
        return Result(args, process.returncode, out.decode(), err.decode())

    async def messages(self, realm: str, *args: str) -> list[dict[str, Any]]:
        """`messages list REALM --json` (newest first)."""
        result = await self("messages", "list", realm, "--json", "--limit", "1000", *args)
        return result.json_lines()


# What `smsgate serve` prints once it answers: uvicorn's line for one process, the core's for
# the default topology with an API worker (cli/serve.py, `default_api_workers`).
READY_LINES = ("Uvicorn running on", "API workers on")


class Server:
    """`smsgate serve` on a free port, its output copied to `log_path`."""

    def __init__(
        self,
        data_dir: Path,
        log_path: Path,
        *,
        dispatch: bool = False,
        extra_args: tuple[str, ...] = (),
        ready_line: str | tuple[str, ...] = READY_LINES,
        env: dict[str, str] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self._env = env or {}
        self._extra_args = extra_args
        self._env = env or {}  # more SMSGATE_* settings (e.g. SMSGATE_CONFIG)
        self._ready_line = ready_line
        self.log_path = log_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.cli = Cli(data_dir)
        self._dispatch = dispatch
        self._process: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None
        self._lines: list[str] = []
        self._eof = False
        self._changed = threading.Condition()

    def start(self, *, attempts: int = 3) -> Self:
        """Start and wait for the ready line ("Uvicorn running"); retry on another port if
        the free port was taken in the meantime."""
        for attempt in range(attempts):
            try:
                return self._start()
            except AssertionError:
                if attempt + 1 == attempts or "address already in use" not in self.log_text():
                    raise
                self.port = free_port()
                self.url = f"http://127.0.0.1:{self.port}"
                self._lines.clear()
                self._eof = False
        raise AssertionError("unreachable")

    def _start(self) -> Self:
        env = clean_env(
            self.data_dir,
            SMSGATE_PORT=str(self.port),
            SMSGATE_SIMULATOR_PORT=str(free_port()),
            SMSGATE_LOG_LEVEL="info",
            **self._env,
        )
        args = [str(SMSGATE), "serve"] + ([] if self._dispatch else ["--no-dispatch"])
        args += self._extra_args
        self._process = subprocess.Popen(
            args,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # one stream: everything the server prints
        )
        self._reader = threading.Thread(target=self._copy_output, name="smsgate-log", daemon=True)
        self._reader.start()
        try:
            self.wait_for_line(self._ready_line, timeout=STARTUP_TIMEOUT)
        except BaseException:
            self.stop()
            raise
        return self

    def _copy_output(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        with self.log_path.open("wb") as log:
            for raw in self._process.stdout:
                log.write(raw)
                log.flush()
                with self._changed:
                    self._lines.append(raw.decode("utf-8", "replace"))
                    self._changed.notify_all()
        with self._changed:
            self._eof = True
            self._changed.notify_all()

    def wait_for_line(
        self, needle: str | tuple[str, ...], *, timeout: float = 30.0, start: int = 0
    ) -> str:
        """The first output line from index `start` on that contains `needle` (or one of
        them; waiting at most `scaled(timeout)` seconds)."""
        needles = (needle,) if isinstance(needle, str) else needle
        found: list[str] = []

        def seen() -> bool:
            lines = self._lines[start:]
            found[:] = [line for line in lines if any(n in line for n in needles)][:1]
            return bool(found) or self._eof

        with self._changed:
            self._changed.wait_for(seen, timeout=scaled(timeout))
        if not found:
            raise AssertionError(f"no {needle!r} in the server output:\n{self.log_text()}")
        return found[0]

    @property
    def line_count(self) -> int:
        with self._changed:
            return len(self._lines)

    def log_text(self) -> str:
        with self._changed:
            return "".join(self._lines)

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._reader is not None:
            self._reader.join(timeout=15)
            self._reader = None
        if process is not None and process.stdout is not None:
            process.stdout.close()


_addresses = itertools.count(2)


def next_local_address() -> str:
    n = next(_addresses)
    return f"127.0.{n // 250}.{n % 250 + 2}"


def client_limits(connections: int) -> httpx.Limits:
    """Connection limits for a test's HTTP client, which never reuses a connection that the
    server may be closing.

    uvicorn closes a connection that has been idle for `timeout_keep_alive` (5 s), counted from
    when it finished the response; httpx drops an idle one after `keepalive_expiry` (5 s by
    default), counted from when it read the response, a little later. A request sent in
    between (a test that paused, or a pooled connection left idle on a loaded machine) meets
    the server's close and fails with "Server disconnected without sending a response".
    Measured on a loaded 2-core machine: pooled connections were reused after up to 4 s idle.
    """
    return httpx.Limits(
        max_connections=connections,
        max_keepalive_connections=connections,
        keepalive_expiry=KEEPALIVE_EXPIRY,
    )


def make_client(server: Server, *, connections: int = 20) -> httpx.AsyncClient:
    """A client of `server` from a loopback address no other client uses."""
    transport = httpx.AsyncHTTPTransport(
        local_address=next_local_address(), limits=client_limits(connections)
    )
    return httpx.AsyncClient(base_url=server.url, transport=transport, timeout=30)


def exchange(
    server: Server, request: bytes, *, source: str | None = None, timeout: float = 30.0
) -> bytes:
    """Blocking: send raw bytes (a whole request, `Connection: close`) and read to EOF.

    For requests an HTTP client library would not send as written (raw characters in the
    request target, odd methods); `source` is the local address to connect from."""
    address = (source or next_local_address(), 0)
    with socket.create_connection(("127.0.0.1", server.port), timeout, address) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


ServerFactory = Callable[..., Awaitable[Server]]


@dataclass(frozen=True)
class RealmSpec:
    name: str
    password: str
    senders: tuple[str, ...]


# The realms of the shared server. Passwords have characters that need percent-encoding.
ALPHA = RealmSpec("alpha", "alpha+pass&1", ("55501", "55502"))
BETA = RealmSpec("beta", "beta pass 2", ("66601",))
BULK = RealmSpec("bulk", "bulk-pass-3", ("77701",))
LOCKME = RealmSpec("lockme", "lockme-pass-4", ("88801",))
VAULT = RealmSpec("vault", "Zq9%S3cr3t+v&ult=x", ("99901",))
# characters a client may leave raw in a query string (encodeURIComponent leaves ' ( ) ! raw)
QUOTED = RealmSpec("quoted", "ab'cd\"SECRET;Q(x)!", ("33301",))
SHARED_REALMS = (ALPHA, BETA, BULK, LOCKME, VAULT, QUOTED)

_phones = itertools.count(2065550100)


def next_phone() -> str:
    """A 10-digit NANP number no other e2e request uses (stored as "1" + it)."""
    return str(next(_phones))


def send_args(realm: RealmSpec = ALPHA, **overrides: str | None) -> dict[str, str]:
    """A valid request for `realm` (a fresh phone), with overrides; None drops an argument."""
    args: dict[str, str | None] = {
        "r": realm.name,
        "p": realm.password,
        "c": "smssendmessagetophone",
        "phone": next_phone(),
        "sender_code": realm.senders[0],
        "message_text": "hello",
    }
    args.update(overrides)
    return {k: v for k, v in args.items() if v is not None}


async def stored(server: Server, phone: str | None = None) -> list[dict[str, Any]]:
    """Message rows straight from the server's SQLite file (with `realm`, the realm name),
    oldest first; only those to `phone` (normalised) if given."""
    query = (
        "SELECT m.*, r.name AS realm FROM messages m JOIN realms r ON r.id = m.realm_id"
        + (" WHERE m.phone = ?" if phone is not None else "")
        + " ORDER BY m.id"
    )
    async with aiosqlite.connect(server.data_dir / "smsgate.db") as db:
        db.row_factory = aiosqlite.Row
        async with db.execute(query, (phone,) if phone is not None else ()) as cursor:
            return [dict(row) for row in await cursor.fetchall()]


def reply(response: httpx.Response) -> str:
    """The reply line, after checking what every api_web reply must be."""
    assert response.status_code == 200, response
    assert response.headers["content-type"] == TEXT_PLAIN
    text = response.text
    assert text.splitlines() == [text], repr(text)  # one line, no line terminator at all
    assert text.count(":") == 1, text  # the prefix's; never one in a reason
    assert text == SUCCESS or text.startswith("FAILURE: "), text
    return text
