"""The `smsgate` admin command, run as the installed script against the shared data directory."""

import asyncio
import csv
import io
import re
from pathlib import Path

import pytest

from tests.e2e.support import (
    ALPHA,
    BETA,
    SUCCESS,
    Cli,
    RealmSpec,
    Server,
    make_client,
    next_phone,
    reply,
    send_args,
)

STATUSES = (
    "queued, sending, sent, delivered, undeliverable, expired, rejected, deleted, unknown, failed"
)

ERRORS: list[tuple[str, tuple[str, ...], str]] = [
    ("duplicate realm", ("realm", "add", ALPHA.name, "--password", "x"), (
        f"error: realm {ALPHA.name} already exists"
    )),
    ("sender for an unknown realm", ("sender", "add", "nosuch", "123"), (
        "error: realm nosuch not found"
    )),
    ("bad phone", ("optout", "add", ALPHA.name, "206-555-1212"), (
        "error: Phone number must contain digits only: '206-555-1212'"
    )),
    ("bad status filter", ("messages", "list", ALPHA.name, "--status", "bogus"), (
        f"error: unknown status bogus; one of {STATUSES}"
    )),
    ("sender code of another realm", ("sender", "add", BETA.name, ALPHA.senders[0]), (
        f"error: sender code {ALPHA.senders[0]} is already in use"
    )),
]  # fmt: skip


async def test_errors_are_one_line_and_a_failing_exit_status(
    cli: Cli, subtests: pytest.Subtests
) -> None:
    results = await asyncio.gather(*(cli(*args) for _, args, _ in ERRORS))
    for (case, _, expected), result in zip(ERRORS, results, strict=True):
        with subtests.test(case):
            assert result.returncode == 1
            assert result.stderr == expected + "\n"
            assert "Traceback" not in result.stderr + result.stdout
            assert result.stdout == ""


async def test_generated_password_works_over_http(cli: Cli, shared_server: Server) -> None:
    first, second = (await cli("realm", "add", "generated")).ok().splitlines()
    assert first == "realm generated added"
    password = second.removeprefix("password: ")
    assert re.fullmatch(r"[A-Za-z0-9_-]{20}", password), second
    (await cli("sender", "add", "generated", "44401")).ok()

    realm = RealmSpec("generated", password, ("44401",))
    async with make_client(shared_server) as client:
        assert reply(await client.get("/api_web", params=send_args(realm))) == SUCCESS
        wrong = send_args(realm, p=password[::-1])
        assert reply(await client.get("/api_web", params=wrong)) == (
            "FAILURE: Realm and password do not match"
        )


async def test_optout_list_searches_by_phone_and_scope(cli: Cli) -> None:
    phone, other = next_phone(), next_phone()
    first = ALPHA.senders[0]
    for args in ((phone,), (phone, "--sender-code", first), (other, "--sender-code", first)):
        (await cli("optout", "add", ALPHA.name, *args)).ok()
    by_phone, realm_wide, by_code = await asyncio.gather(
        cli("optout", "list", ALPHA.name, "--phone", f"+1{phone}"),
        cli("optout", "list", ALPHA.name, "--phone", phone, "--sender-code", "*"),
        cli("optout", "list", ALPHA.name, "--sender-code", first),
    )
    assert by_phone.ok() == f"1{phone}\t*\tcli\n1{phone}\t{first}\tcli\n"
    assert realm_wide.ok() == f"1{phone}\t*\tcli\n"
    listed = [line.split("\t") for line in by_code.ok().splitlines()]
    assert {p for p, _, _ in listed} >= {f"1{phone}", f"1{other}"}
    assert {code for _, code, _ in listed} == {first}


async def test_optout_import_export_round_trip(
    cli: Cli, shared_server: Server, tmp_path: Path
) -> None:
    p1, p2, p3, p4 = (next_phone() for _ in range(4))
    first, second = ALPHA.senders
    good = tmp_path / "good.csv"
    good.write_text(
        f"phone,sender_code\n{p1},\n+1{p2},{first}\n\n1{p3}, {second} \n", encoding="utf-8"
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{p4}\n12ab\n")  # no header; line 2 is bad: line 1 is imported

    imported, refused = await asyncio.gather(
        cli("optout", "import", ALPHA.name, str(good)),
        cli("optout", "import", ALPHA.name, str(bad)),
    )
    assert imported.ok() == "3 opt-outs added, 0 already present\n"
    assert refused.returncode == 1
    assert refused.stdout == "1 opt-outs added, 0 already present\n"
    assert refused.stderr == (
        f"{bad}:2: Phone number must contain digits only: '12ab'\n"
        f"error: 1 bad rows in {bad} not imported (listed above)\n"
    )

    exported = (await cli("optout", "export", ALPHA.name)).ok()
    rows = list(csv.reader(io.StringIO(exported)))
    assert rows[0] == ["phone", "sender_code", "source", "created_at"]
    mine = {tuple(r[:3]) for r in rows[1:] if r[0] in {"1" + p for p in (p1, p2, p3, p4)}}
    assert mine == {
        ("1" + p1, "", "import"),
        ("1" + p2, first, "import"),
        ("1" + p3, second, "import"),
        ("1" + p4, "", "import"),
    }
    assert all(re.fullmatch(r"\d+\.\d{3}", r[3]) for r in rows[1:])

    again = tmp_path / "exported.csv"
    again.write_text(exported)
    assert (await cli("optout", "import", ALPHA.name, str(again))).ok() == (
        f"0 opt-outs added, {len(rows) - 1} already present\n"
    )

    async with make_client(shared_server) as client:  # and the server honours them
        for phone, code, refused_text in (
            (p1, second, f"FAILURE: Phone {p1} has opted out of sender code {second}"),
            (p2, first, f"FAILURE: Phone {p2} has opted out of sender code {first}"),
            (p2, second, SUCCESS),
            (p4, first, f"FAILURE: Phone {p4} has opted out of sender code {first}"),
        ):
            args = send_args(phone=phone, sender_code=code)
            assert reply(await client.get("/api_web", params=args)) == refused_text
