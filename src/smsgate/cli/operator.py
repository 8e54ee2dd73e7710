"""`smsgate operator ...` and `smsgate realm user ...`: who may log in to the console."""

import sys

import typer

from smsgate.cli.common import CliError, command, services

app = typer.Typer(help="Manage console operators (they see every realm).", no_args_is_help=True)
users = typer.Typer(help="Manage a realm's console users (they see that realm only).")

StdinOpt = typer.Option(False, "--password-stdin", help="Read the password from standard input.")


def _password(from_stdin: bool) -> str:
    """From standard input, or asked for twice at a terminal (never an argument: `ps`)."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CliError("no terminal to ask for the password: use --password-stdin")
    first: str = typer.prompt("password", hide_input=True)
    if typer.prompt("again", hide_input=True) != first:
        raise CliError("the passwords differ")
    return first


@app.command("add")
@command
async def add(name: str, password_stdin: bool = StdinOpt) -> None:
    """Add operator NAME (the password is asked for, or read with --password-stdin)."""
    password = _password(password_stdin)
    async with services() as cli:
        try:
            await cli.console.add_operator(name, password)
        except ValueError as exc:
            raise CliError(str(exc)) from None
    typer.echo(f"operator {name} added")


@app.command("list")
@command
async def list_() -> None:
    """List operators."""
    async with services() as cli:
        for user in await cli.console.operators():
            typer.echo(user.name)


@app.command("remove")
@command
async def remove(name: str) -> None:
    """Remove operator NAME; their console sessions end."""
    async with services() as cli:
        await cli.console.remove_operator(name)
    typer.echo(f"operator {name} removed")


@users.command("add")
@command
async def user_add(realm: str, name: str, password_stdin: bool = StdinOpt) -> None:
    """Add NAME as a console user of REALM: they see that realm only."""
    password = _password(password_stdin)
    async with services() as cli:
        try:
            await cli.console.add_realm_user(realm, name, password)
        except ValueError as exc:
            raise CliError(str(exc)) from None
    typer.echo(f"user {name} added to realm {realm}")


@users.command("list")
@command
async def user_list(realm: str) -> None:
    """List REALM's console users."""
    async with services() as cli:
        for user in await cli.console.realm_users(realm):
            typer.echo(user.name)


@users.command("remove")
@command
async def user_remove(realm: str, name: str) -> None:
    """Remove REALM's console user NAME; their sessions end."""
    async with services() as cli:
        await cli.console.remove_realm_user(realm, name)
    typer.echo(f"user {name} removed from realm {realm}")
