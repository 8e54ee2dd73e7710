"""Wrong passwords slowed down (nobody locked out), realm isolation, and passwords kept out of
the server's log."""

import asyncio
import re
import time
import uuid
from urllib.parse import quote, quote_plus, urlencode

import httpx

from smsgate.auth.throttle import Throttle
from smsgate.constants import AUTH_FREE_ATTEMPTS_PER_PAIR
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


def counted(metrics: str, name: str) -> float:
    """A counter's value in the text exposition (`name` with its labels), 0 if absent."""
    found = re.search(rf"^{re.escape(name)} (\S+)$", metrics, re.MULTILINE)
    return float(found[1]) if found else 0.0


def throttled(metrics: str, outcome: str) -> float:
    return counted(metrics, f'smsgate_auth_throttled_total{{outcome="{outcome}"}}')


async def metrics(server: Server) -> str:
    async with make_client(server) as observer:
        return (await observer.get("/metrics")).text


# The pair throttle of the server (auth/guard.py), to know the turns its checks must wait.
PAIR_POLICY = Throttle(free=AUTH_FREE_ATTEMPTS_PER_PAIR)
TIMER_SLACK = 0.05  # uvloop's timers count whole milliseconds: a turn may come ~1 ms early


def earliest(attempts: int) -> float:
    """Seconds from a key's first attempt until its attempt number `attempts` may be checked:
    the turns that the attempts before it earned."""
    return sum(PAIR_POLICY.delay_after(n) for n in range(1, attempts))


async def test_wrong_passwords_slow_their_sender_and_lock_out_nobody(
    shared_server: Server,
) -> None:
    wrong = send_args(LOCKME, p="guess")
    before = await metrics(shared_server)
    async with make_client(shared_server) as attacker:
        # Seven wrong passwords at once from one address for one realm. The policy: the first
        # five are checked at once; each later check of this (realm, address) waits its turn
        # (1 s after the fifth, then 2 s, 4 s ...); while one request waits its turn, any other
        # is answered at once, unchecked and uncounted. Which guesses wait or are turned away,
        # and whether a later request still has a turn to wait for, depends on when each one
        # reaches the server and how long each argon2 check takes (2 at a time, seconds each
        # on a busy machine): this asserts what holds for every such timing.
        start = time.monotonic()
        guesses = [send_args(LOCKME, p=f"guess-{n}") for n in range(7)]
        replies = await asyncio.gather(*(_send(attacker, guess) for guess in guesses))
        assert replies == [NO_MATCH] * 7  # the same text for all
        burst = await metrics(shared_server)
        # Its right password still works, checked in its turn like any attempt from there.
        first = send_args(LOCKME)
        assert await _send(attacker, first) == SUCCESS
        took = time.monotonic() - start
    delayed = throttled(burst, "delayed") - throttled(before, "delayed")
    refused = throttled(burst, "refused") - throttled(before, "refused")
    checked = counted(burst, "smsgate_auth_failures_total") - counted(
        before, "smsgate_auth_failures_total"
    )
    # Every guess was checked (and failed) or turned away unchecked; beyond the five free
    # ones, at most one request of the key waits at a time, so at most one of the burst's
    # two others could be turned away, and only while the other waited its turn.
    assert checked + refused == 7
    assert refused <= 1
    assert refused <= delayed
    # Every check after the fifth waited its turn: the right password, attempt checked + 1,
    # was answered no earlier than the turns earned by the guesses before it (3 s for six
    # checked guesses, 7 s for seven), however the burst was scheduled.
    assert took >= earliest(int(checked) + 1) - TIMER_SLACK, (took, checked)

    others = []
    for _ in range(10):  # the realm keeps working for every address that has not failed
        async with make_client(shared_server) as customer:
            assert await _send(customer, wrong) == NO_MATCH
            others.append(send_args(LOCKME))
            assert await _send(customer, others[-1]) == SUCCESS
    # The realm had 10 wrong passwords within a minute from many addresses: an alert.
    await asyncio.to_thread(shared_server.wait_for_line, "realm 'lockme': 10 wrong passwords")
    after = await metrics(shared_server)
    # Nobody else waited or was turned away: each customer's wrong and right password were
    # free attempts of its own address. (The attacker's right password waited if it came
    # before its turn.)
    assert throttled(after, "delayed") - throttled(burst, "delayed") <= 1
    assert throttled(after, "refused") == throttled(burst, "refused")
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
