"""A real HTTP receiver of webhooks on loopback, for the tests: it answers as told (a status, a
delay, a redirect, a big body) and keeps what it received, verified with the
`standardwebhooks` library as an integrator's receiver would. One failure mode per setting;
`stop()` takes it down and `start()` brings it back on the same port."""

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from standardwebhooks.webhooks import Webhook

from tests.support.waiting import scaled


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    verified: bool

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    secret: str | None = None  # verify with this when set
    status: int = 204
    delay: float = 0.0  # seconds before answering
    answer_body: bytes = b""
    location: str | None = None  # a Location header (with a 3xx status)
    received: list[Received] = field(default_factory=list)
    started: int = 0  # requests whose head has arrived (answered or not)
    port: int = 0
    _server: asyncio.Server | None = None
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _clients: set[asyncio.StreamWriter] = field(default_factory=set)
    _released: asyncio.Event = field(default_factory=asyncio.Event)  # ends every delay

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    async def start(self) -> "WebhookReceiver":
        self._released = asyncio.Event()
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        self._released.set()  # a slow answer still pending ends now
        if self._server is not None:
            self._server.close()
            # the sender keeps connections alive; wait_closed() waits for them (3.11.7+)
            for client in list(self._clients):
                client.close()
            # bounded: on a loaded machine a connection may close late; never hang a teardown
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), scaled(10.0))
            self._server = None

    async def wait_for(self, count: int, *, timeout: float, what: str = "webhooks") -> None:
        """Until `count` requests have arrived; AssertionError after `scaled(timeout)`."""
        async with self._changed:
            try:
                async with asyncio.timeout(scaled(timeout)):
                    await self._changed.wait_for(lambda: len(self.received) >= count)
            except TimeoutError:
                raise AssertionError(
                    f"{what}: {len(self.received)} of {count} within {scaled(timeout):g}s"
                ) from None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                self.started += 1
                lines = head.decode("latin-1").split("\r\n")
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                verified = False
                if self.secret is not None:
                    try:
                        Webhook(self.secret).verify(body, headers, json_parse=False)
                        verified = True
                    except Exception:
                        verified = False
                if self.delay:  # a slow receiver: answers after `delay`, or never if stopped
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._released.wait(), self.delay)
                    if self._released.is_set():
                        break
                async with self._changed:
                    self.received.append(Received(headers, body, verified))
                    self._changed.notify_all()
                extra = f"location: {self.location}\r\n" if self.location else ""
                writer.write(
                    f"HTTP/1.1 {self.status} X\r\ncontent-length: {len(self.answer_body)}\r\n"
                    f"{extra}\r\n".encode()
                    + self.answer_body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            self._clients.discard(writer)
            writer.close()
