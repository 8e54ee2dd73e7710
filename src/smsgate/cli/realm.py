"""`smsgate realm ...`: customer accounts and their passwords."""

import sys

import typer

from smsgate.cli.common import CliError, command, services

app = typer.Typer(help="Manage realms (customer accounts).", no_args_is_help=True)

PasswordOpt = typer.Option(None, "--password", help="The new password (visible in `ps`).")
StdinOpt = typer.Option(False, "--password-stdin", help="Read the password from standard input.")


def _password(password: str | None, from_stdin: bool) -> str | None:
    """The password given (None: let the service generate one)."""
    if password is not None and from_stdin:
        raise CliError("give either --password or --password-stdin, not both")
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return password


@app.command("add")
@command
async def add(
    realm: str,
    password: str | None = PasswordOpt,
    password_stdin: bool = StdinOpt,
) -> None:
    """Create REALM. With no password given, one is generated and printed once."""
    secret = _password(password, password_stdin)
    async with services() as cli:
        result = await cli.realms.add(realm, secret)
    typer.echo(f"realm {realm} added")
    if result.generated is not None:
        typer.echo(f"password: {result.generated}")


@app.command("passwd")
@command
async def passwd(
    realm: str,
    password: str | None = PasswordOpt,
    password_stdin: bool = StdinOpt,
) -> None:
    """Set a new password for REALM (generated and printed if none is given)."""
    secret = _password(password, password_stdin)
    async with services() as cli:
        result = await cli.realms.set_password(realm, secret)
    typer.echo(f"password of realm {realm} changed")
    if result.generated is not None:
        typer.echo(f"password: {result.generated}")


@app.command("list")
@command
async def list_() -> None:
    """List realms."""
    async with services() as cli:
        for realm in await cli.realms.list():
            typer.echo(realm.name)
