"""Fixtures for the console's stores and services on real databases."""

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial

import httpx
import pytest

from smsgate.auth.passwords import hash_password
from smsgate.bootstrap import Gateway
from smsgate.bootstrap.app import gateway_app
from smsgate.services.console_accounts import ConsoleAccounts
from smsgate.store.console_users import ConsoleUserStore
from tests.conftest import CHEAP_HASHER


@pytest.fixture
async def gateway(gateway_factory: Callable[..., Awaitable[Gateway]]) -> Gateway:
    return await gateway_factory()


@pytest.fixture
def accounts(gateway: Gateway) -> ConsoleAccounts:
    """Console accounts on the gateway's database, with cheap argon2 hashes."""
    return ConsoleAccounts(
        ConsoleUserStore(gateway.db),
        gateway.realms,
        hasher=partial(hash_password, hasher=CHEAP_HASHER),
    )


Console = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def realms(gateway: Gateway) -> dict[str, int]:
    """Realms north (sender code 11111) and south (22222): name -> id."""
    ids = {name: await gateway.realms.add_realm(name, "h") for name in ("north", "south")}
    await gateway.realms.add_sender("north", "11111")
    await gateway.realms.add_sender("south", "22222")
    return ids


@pytest.fixture
async def console(gateway: Gateway, accounts: ConsoleAccounts) -> AsyncIterator[Console]:
    """`await console(realm, name, password)`: an httpx client logged in to the console of the
    gateway's app (a realm user if `realm`, else an operator; the user is made first)."""
    app = gateway_app(gateway)
    clients: list[httpx.AsyncClient] = []

    async def login(realm: str | None, name: str, password: str = "pw") -> httpx.AsyncClient:
        if realm is None:
            await accounts.add_operator(name, password)
        else:
            await accounts.add_realm_user(realm, name, password)
        client = anonymous(app)
        clients.append(client)
        response = await submit_login(client, realm, name, password)
        assert response.status_code == 303, response.text
        return client

    try:
        yield login
    finally:
        for client in clients:
            await client.aclose()


def anonymous(app: object) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://console.test")


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, html
    return found.group(1)


async def submit_login(
    client: httpx.AsyncClient, realm: str | None, name: str, password: str
) -> httpx.Response:
    form = await client.get("/console/login")
    return await client.post(
        "/console/login",
        data={"csrf": csrf_of(form.text), "name": name, "password": password, "realm": realm or ""},
    )
