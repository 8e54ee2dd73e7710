"""The console's sessions through its ASGI app (httpx, no browser): log-in, cookies, CSRF."""

import httpx
import pytest

from smsgate.bootstrap import Gateway
from smsgate.bootstrap.app import gateway_app
from tests.integration.console.conftest import Console, anonymous, csrf_of, submit_login


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/console/"),
        ("GET", "/console"),
        ("GET", "/console/messages?phone=1"),
        ("GET", "/console/messages/01J000000000000000000000"),
        ("GET", "/console/no/such/page"),
        ("GET", "/console/overview/throughput.json"),
        ("GET", "/console/optouts.csv?realm=north"),
        ("POST", "/console/optouts"),
        ("POST", "/console/logout"),
    ],
)
async def test_without_a_session_everything_redirects_to_login(
    gateway: Gateway, method: str, path: str
) -> None:
    async with anonymous(gateway_app(gateway)) as client:
        response = await client.request(method, path)
        if path == "/console":
            assert response.headers["location"] == "/console/"
            response = await client.get("/console/")
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login"


async def test_login_cookie_flags_and_logout(gateway: Gateway, console: Console) -> None:
    client = await console(None, "olga", "right")
    cookie = next(c for c in client.cookies.jar if c.name == "smsgate_console")
    assert cookie.path == "/console" and not cookie.secure
    assert cookie.has_nonstandard_attr("HttpOnly")
    overview = await client.get("/console/")
    assert overview.status_code == 200 and "olga" in overview.text
    assert overview.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in overview.headers["content-security-policy"]

    await client.post("/console/logout", data={"csrf": csrf_of(overview.text)})
    again = await client.get("/console/")
    assert again.status_code == 303 and again.headers["location"] == "/console/login"


async def test_cookie_is_secure_over_https(gateway: Gateway, console: Console) -> None:
    await console(None, "olga", "right")  # makes the operator
    transport = httpx.ASGITransport(app=gateway_app(gateway))
    async with httpx.AsyncClient(transport=transport, base_url="https://console.test") as client:
        response = await submit_login(client, None, "olga", "right")
    header = response.headers["set-cookie"]
    assert "smsgate_console=" in header
    assert "HttpOnly" in header and "SameSite=strict" in header and "Secure" in header


async def test_wrong_password_and_missing_login_csrf(gateway: Gateway, console: Console) -> None:
    await console(None, "olga", "right")
    async with anonymous(gateway_app(gateway)) as client:
        wrong = await submit_login(client, None, "olga", "Wrong-Secret-1")
        assert wrong.status_code == 401 and "Wrong name" in wrong.text
        assert "Wrong-Secret-1" not in wrong.text
        assert "smsgate_console=" not in wrong.headers.get("set-cookie", "")
        forged = await client.post(
            "/console/login", data={"name": "olga", "password": "right", "csrf": "made-up"}
        )
        assert forged.status_code == 403
        assert "smsgate_console=" not in forged.headers.get("set-cookie", "")


async def test_forms_need_the_session_csrf_token(
    gateway: Gateway, console: Console, realms: dict[str, int]
) -> None:
    client = await console(None, "olga")
    page = await client.get("/console/optouts?realm=north")
    form = {"realm": "north", "phone": "2065550100", "action": "add"}
    assert (await client.post("/console/optouts", data=form)).status_code == 403
    bad = await client.post("/console/optouts", data={**form, "csrf": "x" * 43})
    assert bad.status_code == 403
    assert not await gateway.optouts.list(realms["north"])
    good = await client.post("/console/optouts", data={**form, "csrf": csrf_of(page.text)})
    assert good.status_code == 303
    assert [o.phone for o in await gateway.optouts.list(realms["north"])] == ["12065550100"]
    ledger = (await client.get("/console/optouts?realm=north&phone=2065550100")).text
    assert "console" in ledger and "opted out" in ledger
