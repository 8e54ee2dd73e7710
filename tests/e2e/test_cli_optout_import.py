"""`smsgate optout import` and `smsgate sender add`, run as the installed script: every good row
of a file is imported and every bad one reported, phones in any spelling, a million rows in
flat memory with a progress bar on a terminal; sender codes stored in one spelling."""

import asyncio
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.support import (
    ALPHA,
    SUCCESS,
    Cli,
    Server,
    clean_env,
    make_client,
    next_phone,
    reply,
    send_args,
)


async def test_every_good_row_is_imported_and_every_bad_one_reported(
    cli: Cli, shared_server: Server, tmp_path: Path
) -> None:
    p1, p2, p3, p4, p5 = (next_phone() for _ in range(5))
    first, second = ALPHA.senders
    path = tmp_path / "mixed.csv"
    path.write_text(
        "phone,sender_code\n"
        f"{p1},\n"  # national
        f"001{p2},{first}\n"  # "00" international prefix
        "206-555-1212,\n"  # line 4: not digits
        f"011 1{p3},\n"  # line 5: a space inside
        f"0111{p3},+{second}\n"  # "011" and a sender code with "+"
        f"+1{p4},99999\n"  # line 7: not a sender code of the realm
        "\n"
        f'"1{p5}", {second}\n'
        f"{p1},\n",  # again: already present
        encoding="utf-8",
    )

    result = await cli("optout", "import", ALPHA.name, str(path))

    assert result.returncode == 1
    assert result.stdout == "4 opt-outs added, 1 already present\n"
    assert result.stderr.splitlines() == [
        f"{path}:4: Phone number must contain digits only: '206-555-1212'",
        f"{path}:5: Phone number must contain digits only: '011 1{p3}'",
        f"{path}:7: sender code 99999 not found in realm {ALPHA.name}",
        f"error: 3 bad rows in {path} not imported (listed above)",
    ]
    async with make_client(shared_server) as client:  # the server honours what was imported
        for phone, code, expected in (
            (p1, second, f"FAILURE: Phone {p1} has opted out of sender code {second}"),
            ("001" + p2, first, f"FAILURE: Phone 001{p2} has opted out of sender code {first}"),
            (p2, second, SUCCESS),
            ("1" + p3, second, f"FAILURE: Phone 1{p3} has opted out of sender code {second}"),
            (p4, first, SUCCESS),  # its row was bad
            ("0111" + p5, second, f"FAILURE: Phone 0111{p5} has opted out of sender code {second}"),
        ):
            answer = reply(
                await client.get("/api_web", params=send_args(phone=phone, sender_code=code))
            )
            assert answer.startswith(expected), (phone, answer)


async def test_sender_codes_are_stored_in_one_spelling(cli: Cli) -> None:
    (await cli("realm", "add", "spelled", "--password", "pw")).ok()
    added = (await cli("sender", "add", "spelled", "2016270177")).ok()
    assert added == "sender code 12016270177 added to realm spelled\n"
    assert (await cli("sender", "add", "spelled", "+12016270177")).stderr == (
        "error: sender code 12016270177 is already in use\n"
    )
    assert (await cli("sender", "set", "spelled", "2016270177", "--max-tps", "1")).ok() == (
        "sender code 12016270177 updated\n"
    )
    assert (await cli("sender", "list", "spelled")).ok() == (
        "12016270177\tconnection=(default) max_tps=1\n"
    )
    assert (await cli("sender", "add", "spelled", "+Acme")).stderr == (
        "error: a sender code is digits (a leading + allowed), or letters and digits\n"
    )


# Runs the CLI, then prints its peak resident set size (KiB) on a last line of stdout.
_MEASURED = """
import resource, sys
from smsgate.cli.main import app
try:
    app(sys.argv[1:], prog_name="smsgate")
    status = 0
except SystemExit as exc:
    status = exc.code or 0
sys.stdout.flush()
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
sys.exit(status)
"""
ROWS = 1_000_000
MAX_GROWTH_KIB = 32 * 1024  # a list of a million rows alone would take ~150 MB


async def _import_on_a_terminal(data_dir: Path, path: Path) -> tuple[str, bytes]:
    """Import `path` with stderr on a pseudo-terminal: (stdout, what the terminal showed)."""
    controller, terminal = pty.openpty()
    shown = bytearray()

    def drain() -> None:  # until the child has closed the terminal
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:
                return
            if not chunk:
                return
            shown.extend(chunk)

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _MEASURED,
        "optout",
        "import",
        "big",
        str(path),
        stdout=subprocess.PIPE,
        stderr=terminal,
        env=clean_env(data_dir, TERM="xterm", COLUMNS="100"),
    )
    os.close(terminal)
    reader = asyncio.create_task(asyncio.to_thread(drain))
    try:
        async with asyncio.timeout(300):
            out, _ = await process.communicate()
    finally:
        if process.returncode is None:  # timed out: stop it, the terminal then closes
            process.kill()
            await process.wait()
        await reader
        os.close(controller)
    assert process.returncode == 0, shown.decode(errors="replace")
    return out.decode(), bytes(shown)


@pytest.mark.slow
async def test_a_million_rows_in_flat_memory_with_a_progress_bar(tmp_path: Path) -> None:
    """About 20 s for the million rows on SQLite on a 2-core machine; the file is streamed,
    so the import's peak memory is that of a 1,000-row import plus a little."""
    cli = Cli(tmp_path / "data")
    (await cli("realm", "add", "big", "--password", "pw")).ok()
    small, big = tmp_path / "small.csv", tmp_path / "big.csv"
    with big.open("w") as handle:
        handle.write("phone\n")
        handle.writelines(f"1206{n:07d}\n" for n in range(ROWS))
    small.write_text("phone\n" + "".join(f"0013035{n:06d}\n" for n in range(1000)))

    small_out, _ = await _import_on_a_terminal(tmp_path / "data", small)
    big_out, shown = await _import_on_a_terminal(tmp_path / "data", big)

    summary, small_peak = small_out.splitlines()
    assert summary == "1000 opt-outs added, 0 already present"
    summary, big_peak = big_out.splitlines()
    assert summary == f"{ROWS} opt-outs added, 0 already present"
    assert int(big_peak) - int(small_peak) < MAX_GROWTH_KIB, (small_peak, big_peak)
    assert b"importing" in shown and b"%" in shown  # the progress bar was drawn
    listed = await cli("optout", "list", "big")
    assert listed.ok().count("\n") == ROWS + 1000
