"""Factories for simulators, ESME sessions and raw TCP peers on 127.0.0.1, all cleaned up."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from smsgate.smpp.client import EsmeSession, connect
from smsgate.smpp.simulator import SmscSimulator
from tests.integration.smpp.support import EsmeFactory, RawFactory, SmscFactory


@pytest.fixture
async def smsc() -> AsyncIterator[SmscFactory]:
    """`await smsc(SomeSMSC, **kwargs)` starts a simulator on a free loopback port."""
    started: list[SmscSimulator] = []

    async def start(cls: type[SmscSimulator] = SmscSimulator, **kwargs: Any) -> SmscSimulator:
        sim = cls(**kwargs)
        await sim.start()
        started.append(sim)
        return sim

    yield start
    for sim in started:
        await sim.stop()


@pytest.fixture
async def esme() -> AsyncIterator[EsmeFactory]:
    """`await esme(sim, **connect_kwargs)` connects and binds (transceiver by default)."""
    sessions: list[EsmeSession] = []

    async def open_session(sim: SmscSimulator, **kwargs: Any) -> EsmeSession:
        kwargs.setdefault("system_id", "gateway")
        kwargs.setdefault("password", "secret")
        kwargs.setdefault("timeout", 5.0)
        session = await connect("127.0.0.1", sim.port, **kwargs)
        sessions.append(session)
        return session

    yield open_session
    for session in sessions:
        session.abort()
        await session.wait_closed()


@pytest.fixture
async def raw() -> AsyncIterator[RawFactory]:
    """`reader, writer = await raw(sim)`: a plain TCP connection for hand-made bytes."""
    writers: list[asyncio.StreamWriter] = []

    async def open_raw(sim: SmscSimulator) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await asyncio.open_connection("127.0.0.1", sim.port)
        writers.append(writer)
        return reader, writer

    yield open_raw
    for writer in writers:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
