"""Console reveals on SQLite and PostgreSQL: taken once, by the session that kept it, within
its time; two gateways on one database (two processes) see the same rows."""

import asyncio
from collections.abc import Awaitable, Callable

from smsgate.bootstrap import Gateway
from smsgate.store.console_reveals import RevealStore


async def test_taken_once_by_its_session_within_its_time(
    gateway: Gateway, gateway_factory: Callable[..., Awaitable[Gateway]]
) -> None:
    here = RevealStore(gateway.db)
    elsewhere = RevealStore((await gateway_factory()).db)  # another process, same database
    await here.keep("h1", "session-a", "ep_1", now=1000.0, kept_before=700.0)
    assert await elsewhere.take("h1", "session-b", kept_since=700.0) is None  # another session
    assert await elsewhere.take("h2", "session-a", kept_since=700.0) is None  # another token
    assert await elsewhere.take("h1", "session-a", kept_since=1000.5) is None  # too old
    assert await elsewhere.take("h1", "session-a", kept_since=700.0) == "ep_1"
    assert await here.take("h1", "session-a", kept_since=700.0) is None  # once

    await here.keep("old", "session-a", "ep_2", now=1000.0, kept_before=700.0)
    await here.keep("new", "session-a", "ep_3", now=2000.0, kept_before=1700.0)  # "old" goes
    assert await here.take("old", "session-a", kept_since=0.0) is None
    assert await here.take("new", "session-a", kept_since=1700.0) == "ep_3"


async def test_of_two_takes_at_once_one_finds_it(gateway: Gateway) -> None:
    store = RevealStore(gateway.db)
    await store.keep("h", "s", "ep_1", now=1000.0, kept_before=0.0)
    taken = await asyncio.gather(*(store.take("h", "s", kept_since=0.0) for _ in range(2)))
    assert sorted(taken, key=str) == [None, "ep_1"]
