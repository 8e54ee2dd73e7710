"""The console in a real browser: Debian's chromium driven by Playwright for Python.

One `smsgate serve` (dispatching to the built-in SMSC simulator) for the module, with two
realms, an operator and a user of one realm made by the CLI. Screenshots of the main pages go
to test-artifacts/console/ (see `artifacts`).
These tests are synchronous: Playwright's sync API, outside the asyncio loop.
"""

import asyncio
import os
import re
import sqlite3
import subprocess
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e.support import SMSGATE, SUCCESS, Cli, Server, clean_env, next_phone, stored
from tests.support.waiting import eventually, scaled

CHROMIUM = Path("/usr/bin/chromium")
REALMS = {"acme": ("acme-pass-1", "44401"), "globex": ("globex-pass-2", "44402")}
OPERATOR = ("olga", "operator pass 1")
REALM_USER = ("acme", "ann", "ann pass 2")
TIMEOUT_MS = scaled(20) * 1000

# One worker runs them all (scripts/test: --dist loadgroup): one server and one browser.
pytestmark = pytest.mark.xdist_group("console-browser")

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip("no /usr/bin/chromium (scripts/test installs it)", allow_module_level=True)


def _add_user(data_dir: Path, *args: str, password: str) -> None:
    done = subprocess.run(
        [str(SMSGATE), *args, "--password-stdin"],
        input=password + "\n",
        capture_output=True,
        text=True,
        env=clean_env(data_dir),
        timeout=scaled(60),
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("console")
    data_dir = root / "data"
    Cli(data_dir).run_batch(
        *(("realm", "add", name, "--password", pw) for name, (pw, _) in REALMS.items()),
        *(("sender", "add", name, code) for name, (_, code) in REALMS.items()),
    )
    _add_user(data_dir, "operator", "add", OPERATOR[0], password=OPERATOR[1])
    _add_user(data_dir, "realm", "user", "add", *REALM_USER[:2], password=REALM_USER[2])
    running = Server(data_dir, root / "server.log", dispatch=True).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def artifacts() -> Path:
    """Where the screenshots go: $SMSGATE_TEST_ARTIFACTS/console, default
    test-artifacts/console in the repository (ignored by git). Not pytest's temp directory:
    other pytest runs on the machine prune that."""
    base = os.environ.get("SMSGATE_TEST_ARTIFACTS") or Path(__file__).parents[2] / "test-artifacts"
    path = Path(base) / "console"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def _login(page: Page, server: Server, name: str, password: str, realm: str = "") -> None:
    page.goto(f"{server.url}/console/")
    expect(page).to_have_url(re.compile(r"/console/login$"))
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Realm").fill(realm)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    assert password not in page.url
    assert password not in server.log_text()  # posted, never in a URL or the access log


def _send(server: Server, realm: str, phone: str, text: str = "hello") -> str:
    password, code = REALMS[realm]
    response = httpx.get(
        f"{server.url}/bin/api_web",
        params={
            "r": realm,
            "p": password,
            "c": "smssendmessagetophone",
            "phone": phone,
            "sender_code": code,
            "message_text": text,
        },
        timeout=scaled(30),
    )
    return response.text


def test_overview_figures_change_after_sends(page: Page, server: Server, artifacts: Path) -> None:
    _login(page, server, *OPERATOR)
    accepted = page.locator("#realms-today tr[data-realm='globex'] td.accepted")
    before = int(accepted.inner_text())
    for _ in range(3):
        assert _send(server, "globex", next_phone()) == SUCCESS
    expect(accepted).to_have_text(str(before + 3))  # htmx refreshes the figures by itself
    chart = page.locator("#throughput")
    expect(chart.locator("canvas")).to_be_visible()
    expect(chart).to_have_attribute("data-points", re.compile(r"^[1-9]\d*$"))
    page.screenshot(path=artifacts / "overview.png", full_page=True)


def test_search_a_message_and_see_its_timeline(page: Page, server: Server, artifacts: Path) -> None:
    phone = next_phone()
    assert _send(server, "acme", phone, "where am I") == SUCCESS
    _login(page, server, *OPERATOR)
    page.get_by_role("link", name="Messages").click()
    page.get_by_label("Phone").fill(phone)
    page.get_by_role("button", name="Search").click()
    rows = page.locator("#messages tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("where am I")
    page.screenshot(path=artifacts / "messages.png", full_page=True)
    rows.first.get_by_role("link").click()
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("accepted")
    # the simulator answers and sends a receipt; once it is stored, the page shows it
    _wait(
        eventually(
            lambda: _status_is(server, "where am I", "delivered"),
            timeout=30,
            what="the message delivered",
        )
    )
    page.reload()
    expect(timeline).to_contain_text("SMSC id")
    expect(page.locator("#status")).to_have_text("delivered")
    page.screenshot(path=artifacts / "message.png", full_page=True)


def test_opt_a_phone_out_and_see_a_send_refused(
    page: Page, server: Server, artifacts: Path
) -> None:
    phone = next_phone()
    _login(page, server, *OPERATOR)
    page.get_by_role("link", name="Opt-outs").click()
    adding = page.get_by_role("region", name="Opt a phone out")
    adding.get_by_label("Realm").select_option("acme")
    adding.get_by_label("Phone").fill(phone)
    page.get_by_role("button", name="Opt out").click()
    expect(page.get_by_role("status")).to_contain_text("opted out")
    expect(page.locator("#ledger")).to_contain_text("console")
    page.screenshot(path=artifacts / "optouts.png", full_page=True)
    refused = _send(server, "acme", phone)
    assert refused == f"FAILURE: Phone {phone} has opted out of sender code 44401"


def test_realm_user_cannot_see_another_realm(page: Page, server: Server, artifacts: Path) -> None:
    theirs = _send(server, "globex", next_phone(), "globex only")
    assert theirs == SUCCESS
    ours_phone = next_phone()
    assert _send(server, "acme", ours_phone, "acme only") == SUCCESS
    _login(page, server, REALM_USER[1], REALM_USER[2], realm=REALM_USER[0])
    expect(page.locator("#realms-today tr[data-realm='globex']")).to_have_count(0)
    expect(page.locator("#throughput")).to_have_count(0)
    page.goto(f"{server.url}/console/messages")
    expect(page.locator("#messages")).to_contain_text("acme only")
    expect(page.locator("#messages")).not_to_contain_text("globex only")
    with httpx.Client(base_url=server.url) as http:
        other = http.get("/console/messages", params={"phone": "1"}).status_code
    assert other == 303  # no session outside the browser
    globex_id = _message_id(server, "globex only")
    response = page.goto(f"{server.url}/console/messages/{globex_id}")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    page.goto(f"{server.url}/console/realms")
    expect(page.locator("main")).not_to_contain_text("globex")
    page.screenshot(path=artifacts / "realm-user.png", full_page=True)


def test_a_form_without_its_csrf_token_is_rejected(page: Page, server: Server) -> None:
    _login(page, server, *OPERATOR)
    page.goto(f"{server.url}/console/optouts")
    page.locator("#add-optout input[name=csrf]").evaluate("input => input.remove()")
    page.locator("#add-phone").fill(next_phone())
    with page.expect_response(re.compile(r"/console/optouts$")) as answer:
        page.get_by_role("button", name="Opt out").click()
    assert answer.value.status == 403
    expect(page.locator("body")).to_contain_text("CSRF token is missing or wrong")


def _wait(waiting: Coroutine[Any, Any, None]) -> None:
    """Run a wait of the suite's polling helper: on a thread of its own, since Playwright's
    sync API keeps an event loop running on this one."""
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, waiting).result()


def _message_id(server: Server, text: str) -> str:
    with sqlite3.connect(server.data_dir / "smsgate.db") as db:
        (found,) = db.execute("SELECT id FROM messages WHERE text = ?", (text,)).fetchone()
    return str(found)


async def _status_is(server: Server, text: str, status: str) -> bool:
    rows = [row for row in await stored(server) if row["text"] == text]
    return bool(rows) and rows[0]["status"] == status


def test_operator_adds_and_removes_a_sender_code(
    page: Page, server: Server, artifacts: Path
) -> None:
    _login(page, server, *OPERATOR)
    page.get_by_role("link", name="Realms").click()
    globex = page.get_by_role("region", name="globex")
    globex.get_by_text("Add a sender code to globex").click()
    globex.get_by_label("Sender code").fill("44409")
    globex.get_by_label("Max per second").fill("5")
    globex.get_by_label("STOP reply").fill("globex: you will get no more texts")
    globex.get_by_role("button", name="Add the sender code").click()
    expect(page.get_by_role("status").first).to_contain_text("Sender code 44409 added to globex.")
    row = page.get_by_role("region", name="globex").locator("tr[data-sender='44409']")
    expect(row).to_contain_text("5")
    page.screenshot(path=artifacts / "realms.png", full_page=True)
    sent = httpx.get(
        f"{server.url}/bin/api_web",
        params={
            "r": "globex",
            "p": REALMS["globex"][0],
            "c": "smssendmessagetophone",
            "phone": next_phone(),
            "sender_code": "44409",
            "message_text": "from the new code",
        },
        timeout=scaled(30),
    )
    assert sent.text == SUCCESS

    row.get_by_role("link", name="44409").click()
    page.get_by_role("link", name="Remove this sender code…").click()
    expect(page.get_by_role("heading", name=re.compile("Remove sender code 44409"))).to_be_visible()
    page.get_by_role("button", name="Remove the sender code").click()
    expect(page.get_by_role("status").first).to_contain_text("Sender code 44409 removed")
    expect(page.locator("tr[data-sender='44409']")).to_have_count(0)


def test_add_a_webhook_endpoint_see_its_secret_once_and_remove_it(
    page: Page, server: Server, artifacts: Path
) -> None:
    url = "https://93.184.215.14/globex-hooks"  # an address literal: never called (no events)
    _login(page, server, *OPERATOR)
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_label("Realm").select_option("globex")
    page.get_by_role("button", name="Show").click()
    adding = page.get_by_role("region", name="Add an endpoint")
    adding.get_by_label("URL").fill(url)
    adding.get_by_label("message.status").uncheck()
    adding.get_by_label("message.inbound").uncheck()
    adding.get_by_role("button", name="Add the endpoint").click()
    secret = page.locator("#new-secret")
    expect(secret).to_have_text(re.compile(r"^whsec_\S+$"))
    assert secret.inner_text() not in page.url
    row = page.locator("#endpoints tbody tr", has_text=url)
    expect(row).to_contain_text("optout.changed")
    expect(row).not_to_contain_text("message.status")
    page.screenshot(path=artifacts / "webhooks.png", full_page=True)
    page.reload()  # shown once: not again, and nothing is posted again
    expect(page.locator("#new-secret")).to_have_count(0)
    expect(page.locator("#endpoints tbody tr", has_text=url)).to_have_count(1)

    row.get_by_role("link", name="Remove…").click()
    expect(page.get_by_role("heading", name=re.compile("Remove webhook endpoint"))).to_be_visible()
    page.get_by_role("button", name="Remove the endpoint").click()
    expect(page.get_by_role("status").first).to_contain_text("removed")
    expect(page.locator("#endpoints tbody tr", has_text=url)).to_have_count(0)
