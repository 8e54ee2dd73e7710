"""Fixtures for the store tests: a started gateway, accepters on it, and a bare database."""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from smsgate.bootstrap import Gateway
from smsgate.services.group_commit import Accepter
from smsgate.store.accept import AcceptTransaction
from smsgate.store.database import Database, open_database
from tests.integration.store.support import AccepterFactory


@pytest.fixture
async def gateway(gateway_factory: Callable[..., Awaitable[Gateway]]) -> Gateway:
    return await gateway_factory()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """An open `Database` on `database_url`, no schema (for migration tests)."""
    database = open_database(database_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def accepter_factory() -> AsyncIterator[AccepterFactory]:
    """`await accepter_factory(gateway, **kwargs)`: a started Accepter on the gateway's database
    and transaction runner (the gateway closes that; `runner=` replaces it), stopped at teardown."""
    accepters: list[Accepter] = []

    async def make(gateway: Gateway, **kwargs: Any) -> Accepter:
        store = AcceptTransaction(kwargs.pop("runner", gateway.transactions))
        accepter = Accepter(store, **kwargs)
        accepters.append(accepter)
        await accepter.start()
        return accepter

    try:
        yield make
    finally:
        for accepter in accepters:
            await accepter.stop()
