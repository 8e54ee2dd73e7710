"""Fixtures for the /v1 tests: a gateway on each database with two realms, their API keys, and
an HTTP client of the whole ASGI app (api_web's fast path, /v1, OpenAPI) on it."""

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest

from smsgate.bootstrap import Gateway
from smsgate.bootstrap.app import gateway_app


@dataclass(frozen=True)
class Tenant:
    """A realm with one sender code and an API key, and a client that sends the key."""

    realm_id: int
    name: str
    sender: str
    key: str
    client: httpx.AsyncClient


@pytest.fixture
async def gateway(gateway_factory: Callable[..., Awaitable[Gateway]]) -> Gateway:
    return await gateway_factory()


@pytest.fixture
async def tenants(
    gateway: Gateway,
    add_realm: Callable[..., Awaitable[int]],
    add_sender: Callable[..., Awaitable[None]],
) -> AsyncIterator[tuple[Tenant, Tenant]]:
    """Realm "a" (sender 55501) and realm "b" (sender 66601), each with a client."""
    app = gateway_app(gateway)
    made: list[Tenant] = []
    for name, sender in (("a", "55501"), ("b", "66601")):
        realm_id = await add_realm(gateway, name)
        await add_sender(gateway, name, sender)
        key = (await gateway.api_keys.create(name)).plaintext
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://gateway",
            headers={"Authorization": f"Bearer {key}"},
        )
        made.append(Tenant(realm_id, name, sender, key, client))
    try:
        yield made[0], made[1]
    finally:
        for tenant in made:
            await tenant.client.aclose()
