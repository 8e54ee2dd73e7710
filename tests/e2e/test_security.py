"""Wrong passwords slowed down (nobody locked out), realm isolation, and passwords kept out of
the server's log."""

import asyncio
import re
import uuid
from urllib.parse import quote, quote_plus, urlencode

import httpx

from tests.e2e.support import (
    ALPHA,
    BETA,
    LOCKME,
    SUCCESS,
    VAULT,
    Cli,
    Server,
    make_client,
    reply,
    send_args,
    stored,
)

NO_MATCH = "FAILURE: Realm and password do not match"


async def _send(client: httpx.AsyncClient, args: dict[str, str]) -> str:
    return reply(await client.get("/api_web", params=args))


def throttled(metrics: str, outcome: str) -> float:
    found = re.search(rf'smsgate_auth_throttled_total{{outcome="{outcome}"}} (\S+)', metrics)
    return float(found[1]) if found else 0.0


async def test_wrong_passwords_slow_their_sender_and_lock_out_nobody(
    shared_server: Server,
) -> None:
    wrong = send_args(LOCKME, p="guess")
    async with make_client(shared_server) as observer:
        before = (await observer.get("/metrics")).text
    async with make_client(shared_server) as attacker:
        # Seven wrong passwords at once from one address for one realm: the five free ones
        # are checked, the sixth waits its turn (a second), the seventh is answered at once
        # without a check. The same text for all.
        guesses = [send_args(LOCKME, p=f"guess-{n}") for n in range(7)]
        replies = await asyncio.gather(*(_send(attacker, guess) for guess in guesses))
        assert replies == [NO_MATCH] * 7
        # Its right password still works: it waits its turn like any attempt from there.
        first = send_args(LOCKME)
        assert await _send(attacker, first) == SUCCESS

    others = []
    for _ in range(10):  # the realm keeps working for every address that has not failed
        async with make_client(shared_server) as customer:
            assert await _send(customer, wrong) == NO_MATCH
            others.append(send_args(LOCKME))
            assert await _send(customer, others[-1]) == SUCCESS
    # The realm had 10 wrong passwords within a minute from many addresses: an alert.
    await asyncio.to_thread(shared_server.wait_for_line, "realm 'lockme': 10 wrong passwords")
    async with make_client(shared_server) as observer:
        after = (await observer.get("/metrics")).text
    assert throttled(after, "delayed") - throttled(before, "delayed") >= 2
    assert throttled(after, "refused") - throttled(before, "refused") >= 1
    for args, count in ((first, 1), *((a, 1) for a in others), (wrong, 0)):
        assert len(await stored(shared_server, "1" + args["phone"])) == count


async def test_realm_isolation(client: httpx.AsyncClient, cli: Cli, shared_server: Server) -> None:
    alphas = send_args(ALPHA, message_text="alpha only")
    assert await _send(client, alphas) == SUCCESS
    # Beta can neither use alpha's sender codes nor alpha's password.
    for code in ALPHA.senders:
        assert await _send(client, send_args(BETA, sender_code=code)) == (
            f"FAILURE: Sender code {code} not found in realm"
        )
    assert await _send(client, send_args(BETA, p=ALPHA.password)) == NO_MATCH
    betas = send_args(BETA, message_text="beta only")
    assert await _send(client, betas) == SUCCESS

    listed = await cli.messages(BETA.name)
    assert "1" + betas["phone"] in {m["phone"] for m in listed}
    assert {m["sender_code"] for m in listed} <= set(BETA.senders)
    assert {m["realm_id"] for m in listed} == {listed[0]["realm_id"]}
    assert "alpha only" not in {m["text"] for m in listed}
    assert "1" + alphas["phone"] not in {m["phone"] for m in listed}
    [row] = await stored(shared_server, "1" + alphas["phone"])
    assert row["realm"] == ALPHA.name


async def test_the_password_never_reaches_the_log(shared_server: Server) -> None:
    password = VAULT.password
    assert {"%", "+", "&", "="} <= set(password)  # every character that needs encoding
    encoded = quote(password, safe="")
    start = shared_server.line_count
    requests = 0
    async with make_client(shared_server) as client:
        for name in ("p", "pwd", "P", "PWD", "%70", "%50%57%44", "p%77d", "Pw%64"):
            args = send_args(VAULT, p=None)
            url = f"/api_web?{urlencode(args)}&{name}={encoded}"
            assert reply(await client.get(url)) == SUCCESS, name
            requests += 1
        # plus-encoded, as HTML forms and httpx do it
        assert await _send(client, send_args(VAULT)) == SUCCESS
        # wrong, and for an unknown realm
        assert await _send(client, send_args(VAULT, p=password + "x")) == NO_MATCH
        assert await _send(client, send_args(VAULT, r="novault")) == NO_MATCH
        # in a form body, and in both body and query string
        both = send_args(VAULT)
        assert reply(await client.post("/api_web", params=both, data=both)) == SUCCESS
        requests += 4
        assert reply(await client.post("/api_web", data=send_args(VAULT))) == SUCCESS
        # and to other routes, which are access-logged too
        await client.get("/healthz", params={"p": password})
        await client.get("/nowhere", params={"pwd": password, "r": VAULT.name})
        marker = uuid.uuid4().hex
        await client.get("/healthz", params={"marker": marker})
    await asyncio.to_thread(shared_server.wait_for_line, marker, start=start)

    log = shared_server.log_text()
    for form in {password, encoded, quote_plus(password), password[3:9]}:
        assert form not in log, form
    assert log == shared_server.log_path.read_text()  # the file is what the server printed
    api_lines = [line for line in log.splitlines()[start:] if "/api_web" in line]
    assert len(api_lines) == requests + 1  # every request was logged (the body-only POST ...
    assert sum("=***" in line for line in api_lines) == requests  # ... has no query string)
