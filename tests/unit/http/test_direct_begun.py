"""api_web GETs taken by `ApiWeb.begin` (no task: the reply is made when the commit's future
is done), with the real authenticator, sender directory and group commit in front of a fake
store: the same bytes, metrics and committed messages as the task (`answer`) and ASGI paths,
nothing written to a client gone, and a graceful shutdown's cancellation answered with 500."""

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import pytest
from prometheus_client import REGISTRY

from smsgate.auth.authenticator import Authenticator
from smsgate.auth.passwords import hash_password
from smsgate.domain.model import Message, RealmCredential, SenderCode, Status
from smsgate.http.api_web import ApiWeb, Begun
from smsgate.http.direct import ApiCall
from smsgate.ids import new_message_id
from smsgate.services.group_commit import Accepter
from smsgate.services.optouts import Stopping
from smsgate.services.sending import Sending
from smsgate.store.directory import SenderDirectory
from tests.fakes.stores import MemoryOptOuts
from tests.unit.auth.support import cheap_hasher
from tests.unit.http.test_api_web import PASSWORD, SUCCESS, VALID
from tests.unit.http.test_direct import answered, both, get

SENDER = SenderCode(realm_id=1, code="55501", connection=None, max_tps=None)
_RESULTS = (
    "accepted",
    "stopped",
    "opted_out",
    "bad_request",
    "unauthorised",
    "unavailable",
    "error",
)


class Realms:
    """The realm store, as the authenticator and the sender directory read it."""

    def __init__(self) -> None:
        self.hash = hash_password(PASSWORD, hasher=cheap_hasher())

    async def credential(self, realm: str) -> RealmCredential | None:
        return RealmCredential(1, "acme", self.hash, 1) if realm == "acme" else None

    async def sender(self, code: str) -> SenderCode | None:
        return SENDER if code == SENDER.code else None


@dataclass
class Store:
    """The accept transaction: commits all, refuses the phones in `opted_out`, or fails."""

    opted_out: set[str] = field(default_factory=set)
    failing: bool = False
    held: asyncio.Event | None = None
    committed: list[Message] = field(default_factory=list)

    async def insert(self, batch: list[Message], status: Status) -> tuple[list[Message], set[str]]:
        if self.held is not None:
            await self.held.wait()
        if self.failing:
            raise RuntimeError("disk on fire")
        refused = {m.id for m in batch if m.phone in self.opted_out}
        kept = [m for m in batch if m.id not in refused]
        self.committed += kept
        return kept, refused


@dataclass
class App:
    api_web: ApiWeb
    store: Store
    begun: list[bool]  # for each request, whether `begin` took it


@pytest.fixture
async def app() -> AsyncIterator[App]:
    realms = Realms()
    auth = Authenticator(realms.credential, hasher=cheap_hasher())
    senders = SenderDirectory(realms)
    store = Store()
    accepter = Accepter(store)
    await accepter.start()
    sending = Sending(senders, accepter, default_region="US", new_id=new_message_id)
    api_web = ApiWeb(auth, sending, Stopping(senders, MemoryOptOuts(), default_region="US"))
    # known and cached, as every request but a realm's or a code's first few
    assert await auth.authenticate("acme", PASSWORD, "192.0.2.1") is not None
    assert await senders.get(SENDER.code) == SENDER
    begun: list[bool] = []
    begin = api_web.begin

    def spied(body: bytes, query: bytes, client: str | None) -> Begun | None:
        taken = begin(body, query, client)
        begun.append(taken is not None)
        return taken

    api_web.begin = spied  # type: ignore[method-assign]
    yield App(api_web, store, begun)
    await accepter.stop()


def counts() -> dict[str, float]:
    return {
        r: REGISTRY.get_sample_value("smsgate_api_requests_total", {"result": r}) or 0.0
        for r in _RESULTS
    }


def spent(before: dict[str, float]) -> dict[str, float]:
    return {r: n - before[r] for r, n in counts().items() if n != before[r]}


async def three_ways(app: App, request_: bytes) -> list[tuple[bytes, dict[str, float]]]:
    """The bytes and the metrics of `request_` taken by `begin` (the direct path as it is),
    answered in a task (the direct path with `begin` declining) and the ASGI way."""
    seen = []
    begin = app.api_web.begin
    for way in ("begin", "task", "asgi"):
        if way == "task":
            app.api_web.begin = lambda body, query, client: None  # type: ignore[method-assign]
        protocol, transport = list(both(app.api_web))[way == "asgi"]
        before = counts()
        protocol.data_received(request_)
        await answered(protocol, 1)
        seen.append((bytes(transport.written), spent(before)))
        app.api_web.begin = begin  # type: ignore[method-assign]
    return seen


REQUESTS = {
    "success": (get(VALID), True),
    "a text to escape": (get(VALID.replace(b"hello", b"%C3%BC+%7E%20x")), True),
    "HTTP/1.0": (get(VALID).replace(b"HTTP/1.1", b"HTTP/1.0"), True),
    "wrong password": (get(VALID.replace(PASSWORD.encode(), b"nope")), False),
    "unknown sender code": (get(VALID.replace(b"55501", b"55502")), False),
    "no sender code": (get(VALID.replace(b"sender_code=55501", b"")), False),
    "a bad phone": (get(VALID.replace(b"2065551212", b"2065551212x")), False),
    "an unsupported command": (get(VALID.replace(b"smssendmessagetophone", b"other")), False),
    "stop": (get(VALID.replace(b"smssendmessagetophone", b"smsstopsubscribersend")), False),
    "no realm": (get(VALID.replace(b"r=acme", b"r=")), False),
}


@pytest.mark.parametrize(("request_", "taken"), REQUESTS.values(), ids=REQUESTS.keys())
async def test_the_same_bytes_and_metrics_three_ways(
    app: App, request_: bytes, taken: bool
) -> None:
    (fast, fast_counts), (task, task_counts), (asgi, asgi_counts) = await three_ways(app, request_)
    assert fast == task == asgi
    assert fast_counts == task_counts == asgi_counts
    assert sum(fast_counts.values()) == 1
    assert app.begun == [taken]  # asked once: the task way declines, the ASGI way never asks


async def test_an_opted_out_phone_and_a_failed_commit(app: App) -> None:
    app.store.opted_out.add("12065551212")
    (fast, counted), *others = await three_ways(app, get(VALID))
    assert fast.endswith(b"FAILURE: Phone 2065551212 has opted out of sender code 55501")
    assert counted == {"opted_out": 1.0} and others == 2 * [(fast, counted)]
    app.store.failing = True
    (fast, counted), *others = await three_ways(app, get(VALID))
    assert fast.endswith(b"FAILURE: Temporarily unable to accept messages, try again later")
    assert counted == {"unavailable": 1.0} and others == 2 * [(fast, counted)]
    assert app.begun == [True, True]


async def test_the_messages_committed_are_the_same(app: App) -> None:
    await three_ways(app, get(VALID.replace(b"hello", "grüße+€".encode())))
    fast, task, asgi = app.store.committed

    def without_id_and_time(m: Message) -> Sequence[object]:
        return (m.realm_id, m.sender_code, m.phone, m.text, m.encoding, m.parts, m.kind)

    assert without_id_and_time(fast) == without_id_and_time(task) == without_id_and_time(asgi)
    assert fast.id < task.id < asgi.id


async def test_no_task_and_in_the_servers_task_set_until_answered(app: App) -> None:
    app.store.held = asyncio.Event()
    protocol, transport = next(both(app.api_web))
    protocol.data_received(get(VALID))
    await asyncio.sleep(0.01)
    [call] = protocol.tasks
    assert type(call) is ApiCall and app.begun == [True]  # what a graceful shutdown waits for
    protocol.shutdown()
    app.store.held.set()
    await answered(protocol, 1)
    assert b"\r\nconnection: close\r\n\r\n" + SUCCESS.encode() in transport.written
    assert transport.closed.is_set() and not protocol.tasks


async def test_a_client_gone_before_the_commit_gets_nothing(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    app.store.held = asyncio.Event()
    protocol, transport = next(both(app.api_web))
    before = counts()
    protocol.data_received(get(VALID))
    await asyncio.sleep(0.01)
    protocol.connection_lost(None)
    with caplog.at_level(logging.DEBUG):
        app.store.held.set()
        await asyncio.sleep(0.05)
    assert not protocol.tasks and app.begun == [True]
    assert len(app.store.committed) == 1  # committed: the client may ask again, not lose it
    assert spent(before) == {"accepted": 1.0}
    assert transport.written == b""
    assert protocol.server_state.total_requests == 0  # as uvicorn: no response completed
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_cancelled_past_the_graceful_shutdown_as_a_task_is(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    """uvicorn cancels the server's tasks still running past `timeout_graceful_shutdown`:
    the client gets uvicorn's 500 either way (the commit, under way, goes on either way)."""
    app.store.held = asyncio.Event()
    written = []
    begin = app.api_web.begin
    for way in ("begin", "task"):
        if way == "task":
            app.api_web.begin = lambda body, query, client: None  # type: ignore[method-assign]
        protocol, transport = next(both(app.api_web))
        protocol.data_received(get(VALID))
        await asyncio.sleep(0.01)
        with caplog.at_level(logging.ERROR):
            for task in protocol.tasks:
                task.cancel(msg="Task cancelled, timeout graceful shutdown exceeded")
            await answered(protocol, 1)
        written.append(bytes(transport.written))
    app.api_web.begin = begin  # type: ignore[method-assign]
    assert written[0] == written[1]
    assert written[0].startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == 2 * ["Exception in ASGI application\n"]
    app.store.held.set()
    await asyncio.sleep(0.01)
    assert len(app.store.committed) == 2
