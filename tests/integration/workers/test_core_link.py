"""The link between an API worker and the core, over a real socketpair, on a real database:
a worker's `accept` means what it means in one process (committed, or refused as opted out),
one event-loop turn of requests travels as one frame, and a lost core is never a SUCCESS."""

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from smsgate.bootstrap import Gateway
from smsgate.domain.model import Outcome
from smsgate.services.readiness import Readiness
from smsgate.store.errors import StoreUnavailable
from smsgate.workers import wire
from smsgate.workers.core_endpoint import CoreEndpoint
from smsgate.workers.frames import encode
from smsgate.workers.remote_accepter import RemoteAccepter
from tests.integration.store.support import new_message, stored_ids, unique_phone


class CountingEndpoint(CoreEndpoint):
    """Counts the frames of messages it is given."""

    frames = 0

    def _accept(self, rows: list[tuple[Any, ...]]) -> None:
        CountingEndpoint.frames += 1
        super()._accept(rows)


def _core_metrics() -> bytes:
    return b"# core metrics\n"


Link = tuple[RemoteAccepter, CountingEndpoint, asyncio.Event]  # the event: `on_lost` called


@pytest.fixture
async def realm_id(
    gateway_factory: Callable[..., Awaitable[Gateway]],
    add_realm: Callable[..., Awaitable[int]],
    add_sender: Callable[..., Awaitable[None]],
) -> tuple[Gateway, int]:
    gateway = await gateway_factory()
    rid = await add_realm(gateway, "acme")
    await add_sender(gateway, "acme", "1001")
    return gateway, rid


@pytest.fixture
async def link(realm_id: tuple[Gateway, int]) -> AsyncIterator[Link]:
    """A RemoteAccepter (the worker's end) and a CoreEndpoint on the gateway's Accepter."""
    gateway, _ = realm_id
    ours, theirs = socket.socketpair()
    lost = asyncio.Event()
    CountingEndpoint.frames = 0
    endpoints: list[CountingEndpoint] = []

    def endpoint() -> CountingEndpoint:
        endpoints.append(
            CountingEndpoint(
                gateway.accepter, _core_metrics, gateway.readiness.check, gateway.optouts
            )
        )
        return endpoints[-1]

    loop = asyncio.get_running_loop()
    core_transport, _ = await loop.connect_accepted_socket(endpoint, ours)
    remote = RemoteAccepter(theirs, on_lost=lost.set)
    await remote.start()
    try:
        yield remote, endpoints[0], lost
    finally:
        await remote.stop()
        core_transport.close()


async def test_accepted_means_committed(realm_id: tuple[Gateway, int], link: Link) -> None:
    gateway, rid = realm_id
    remote, _, _ = link
    message = new_message(rid, "1001")
    assert await remote.accept(message) is Outcome.ACCEPTED
    assert message.id in await stored_ids(gateway.db)  # visible the moment the answer is in


async def test_an_opt_out_is_honoured_through_the_link(
    realm_id: tuple[Gateway, int], link: Link
) -> None:
    gateway, rid = realm_id
    remote, _, _ = link
    phone = unique_phone()
    await gateway.optouts.add(rid, phone, source="test")
    message = new_message(rid, "1001", phone)
    assert await remote.accept(message) is Outcome.OPTED_OUT
    assert message.id not in await stored_ids(gateway.db)


async def test_a_worker_opt_out_is_committed_by_the_core(
    realm_id: tuple[Gateway, int], link: Link
) -> None:
    gateway, rid = realm_id
    remote, _, _ = link
    phone = unique_phone()
    assert await remote.add(rid, phone, "1001", source="api") is True
    assert await gateway.optouts.is_opted_out(rid, "1001", phone)  # committed when answered
    assert await remote.add(rid, phone, "1001", source="api") is False  # there already
    assert [(o.phone, o.sender_code, o.source) for o in await gateway.optouts.list(rid)] == [
        (phone, "1001", "api")
    ]
    assert await remote.accept(new_message(rid, "1001", phone)) is Outcome.OPTED_OUT


async def test_a_worker_opt_out_the_core_cannot_commit_is_unavailable(
    realm_id: tuple[Gateway, int], link: Link
) -> None:
    _, rid = realm_id
    remote, _, _ = link
    with pytest.raises(StoreUnavailable):  # no such realm: the foreign key refuses it
        await remote.add(rid + 1000, unique_phone(), "1001", source="api")


async def test_one_loop_turn_of_requests_is_one_frame(
    realm_id: tuple[Gateway, int], link: Link
) -> None:
    gateway, rid = realm_id
    remote, _, _ = link
    messages = [new_message(rid, "1001") for _ in range(200)]
    outcomes = await asyncio.gather(*(remote.accept(m) for m in messages))
    assert set(outcomes) == {Outcome.ACCEPTED}
    assert CountingEndpoint.frames == 1
    assert {m.id for m in messages} <= set(await stored_ids(gateway.db))


async def test_a_stopping_core_answers_unavailable(
    realm_id: tuple[Gateway, int], link: Link
) -> None:
    gateway, rid = realm_id
    remote, _, _ = link
    await gateway.accepter.stop()
    message = new_message(rid, "1001")
    with pytest.raises(StoreUnavailable):
        await remote.accept(message)
    assert message.id not in await stored_ids(gateway.db)


async def test_a_lost_core_fails_waiting_and_later_requests(
    realm_id: tuple[Gateway, int], link: Link
) -> None:
    _, rid = realm_id
    remote, endpoint, lost = link
    waiting = asyncio.ensure_future(remote.accept(new_message(rid, "1001")))
    assert endpoint._transport is not None
    endpoint._transport.abort()  # the core dies before it answers
    with pytest.raises(StoreUnavailable):
        await waiting
    with pytest.raises(StoreUnavailable):
        await remote.accept(new_message(rid, "1001"))
    with pytest.raises(StoreUnavailable):
        await remote.add(rid, unique_phone(), "1001", source="api")
    assert lost.is_set()


async def test_metrics_come_from_the_core(link: Link) -> None:
    remote, _, _ = link
    assert await remote.core_metrics() == b"# core metrics\n"


async def test_readiness_comes_from_the_core(link: Link) -> None:
    remote, _, _ = link
    assert await remote.core_ready() == Readiness(True, "ready")  # its store took the write
    await remote.stop()
    assert await remote.core_ready() == Readiness(False, "the core process is not reachable")


@pytest.mark.parametrize(
    "garbage",
    [b"\x00\x00\x00\x03abc", encode((wire.ACCEPT, [("not", "a", "message")]))],
    ids=["undecodable", "malformed-row"],
)
async def test_garbage_from_a_worker_drops_that_worker(link: Link, garbage: bytes) -> None:
    remote, endpoint, lost = link
    assert remote._transport is not None
    remote._transport.write(garbage)
    await asyncio.wait_for(endpoint.closed, 5)
    with pytest.raises(StoreUnavailable):
        await remote.accept(new_message(1, "1001"))
    await asyncio.wait_for(lost.wait(), 5)  # the worker learns it is on its own, and stops
