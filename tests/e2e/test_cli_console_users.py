"""`smsgate operator ...` and `smsgate realm user ...`, run as the installed script."""

from pathlib import Path

from tests.e2e.support import Cli


async def test_operators_and_realm_users(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "data")
    (await cli("realm", "add", "north", "--password", "x")).ok()
    assert (await cli("operator", "add", "olga", "--password-stdin", stdin="s3cret\n")).ok() == (
        "operator olga added\n"
    )
    assert (await cli("operator", "list")).ok() == "olga\n"
    added = await cli("realm", "user", "add", "north", "ann", "--password-stdin", stdin="pw\n")
    assert added.ok() == "user ann added to realm north\n"
    assert (await cli("realm", "user", "list", "north")).ok() == "ann\n"

    again = await cli("operator", "add", "olga", "--password-stdin", stdin="x\n")
    assert again.returncode == 1 and again.stderr == "error: operator olga already exists\n"
    empty = await cli("operator", "add", "eve", "--password-stdin", stdin="\n")
    assert empty.stderr == "error: the password must not be empty\n"
    no_tty = await cli("operator", "add", "eve")  # no terminal to ask at, no argument to take
    assert no_tty.returncode == 1 and "--password-stdin" in no_tty.stderr
    missing = await cli("realm", "user", "add", "west", "ann", "--password-stdin", stdin="p\n")
    assert missing.stderr == "error: realm west not found\n"

    assert (await cli("realm", "user", "remove", "north", "ann")).ok() == (
        "user ann removed from realm north\n"
    )
    assert (await cli("realm", "user", "list", "north")).ok() == ""
    assert (await cli("operator", "remove", "olga")).ok() == "operator olga removed\n"
    gone = await cli("operator", "remove", "olga")
    assert gone.returncode == 1 and gone.stderr == "error: operator olga not found\n"
