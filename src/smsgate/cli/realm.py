"""`smsgate realm ...`: customer accounts and their passwords."""

import sys

import typer

from smsgate.auth.passwords import generate_password, hash_password
from smsgate.cli.common import CliError, command, open_stores

app = typer.Typer(help="Manage realms (customer accounts).", no_args_is_help=True)

PasswordOpt = typer.Option(None, "--password", help="The new password (visible in `ps`).")
StdinOpt = typer.Option(False, "--password-stdin", help="Read the password from standard input.")


def _password(password: str | None, from_stdin: bool) -> tuple[str, bool]:
    """The password to set and whether it was generated (and must be shown)."""
    if password is not None and from_stdin:
        raise CliError("give either --password or --password-stdin, not both")
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    if password is None:
        return generate_password(), True
    if not password:
        raise CliError("the password must not be empty")
    return password, False


@app.command("add")
@command
async def add(
    realm: str,
    password: str | None = PasswordOpt,
    password_stdin: bool = StdinOpt,
) -> None:
    """Create REALM. With no password given, one is generated and printed once."""
    if not realm.strip() or realm != realm.strip():
        raise CliError("the realm name must not be empty or have surrounding spaces")
    secret, generated = _password(password, password_stdin)
    async with open_stores() as stores:
        await stores.realms.add_realm(realm, hash_password(secret))
    typer.echo(f"realm {realm} added")
    if generated:
        typer.echo(f"password: {secret}")


@app.command("passwd")
@command
async def passwd(
    realm: str,
    password: str | None = PasswordOpt,
    password_stdin: bool = StdinOpt,
) -> None:
    """Set a new password for REALM (generated and printed if none is given)."""
    secret, generated = _password(password, password_stdin)
    async with open_stores() as stores:
        await stores.realms.set_password(realm, hash_password(secret))
    typer.echo(f"password of realm {realm} changed")
    if generated:
        typer.echo(f"password: {secret}")


@app.command("list")
@command
async def list_() -> None:
    """List realms."""
    async with open_stores() as stores:
        for realm in await stores.realms.list_realms():
            typer.echo(realm.name)
