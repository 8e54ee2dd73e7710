"""Lockout, realm isolation, and passwords kept out of the server's log."""

import asyncio
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


async def test_lockout_by_address_and_by_realm(shared_server: Server) -> None:
    wrong = send_args(LOCKME, p="guess")
    async with make_client(shared_server) as attacker:
        # 9 wrong passwords (at once: they share one argon2 run, each still counts) ...
        replies = await asyncio.gather(*(_send(attacker, wrong) for _ in range(9)))
        assert replies == [NO_MATCH] * 9
        # ... are not yet a lockout; the right password resets the realm's count,
        # not the address's.
        first = send_args(LOCKME)
        assert await _send(attacker, first) == SUCCESS
        assert await _send(attacker, wrong) == NO_MATCH  # the address's 10th failure
        # The address is locked now: the right password fails, for every realm.
        assert await _send(attacker, send_args(LOCKME)) == NO_MATCH
        assert await _send(attacker, send_args(ALPHA)) == NO_MATCH

    async with make_client(shared_server) as customer:  # another address: the realm is fine
        second = send_args(LOCKME)
        assert await _send(customer, second) == SUCCESS
        replies = await asyncio.gather(*(_send(customer, wrong) for _ in range(10)))
        assert replies == [NO_MATCH] * 10

    async with make_client(shared_server) as bystander:  # a third address
        # The realm has had 10 wrong passwords: locked for everyone, with the same text ...
        locked_out = send_args(LOCKME)
        assert await _send(bystander, locked_out) == NO_MATCH
        # ... while this address may still use other realms.
        assert await _send(bystander, send_args(ALPHA)) == SUCCESS

    for args, count in ((first, 1), (second, 1), (locked_out, 0), (wrong, 0)):
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
