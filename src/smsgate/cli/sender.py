"""`smsgate sender ...`: the short codes and long numbers a realm sends from."""

import typer

from smsgate.cli.common import CliError, command, open_stores

app = typer.Typer(help="Manage sender codes (short codes, long numbers).", no_args_is_help=True)


@app.command("add")
@command
async def add(
    realm: str,
    sender_code: str,
    connection: str | None = typer.Option(
        None, "--connection", help="SMPP connection name (default: the default connection)."
    ),
    max_tps: float | None = typer.Option(
        None, "--max-tps", min=0.01, help="Messages per second from this code (US long codes ~1)."
    ),
) -> None:
    """Give SENDER_CODE to REALM."""
    if not sender_code.isdigit() and not sender_code.isalnum():
        raise CliError("a sender code is digits, or letters and digits (alphanumeric sender id)")
    async with open_stores() as stores:
        await stores.realms.add_sender(realm, sender_code, connection=connection, max_tps=max_tps)
    typer.echo(f"sender code {sender_code} added to realm {realm}")


@app.command("list")
@command
async def list_(realm: str) -> None:
    """List REALM's sender codes with their routing."""
    async with open_stores() as stores:
        for sender in await stores.realms.list_senders(realm):
            route = sender.connection or "(default)"
            tps = "" if sender.max_tps is None else f" max_tps={sender.max_tps:g}"
            typer.echo(f"{sender.code}\tconnection={route}{tps}")


@app.command("remove")
@command
async def remove(realm: str, sender_code: str) -> None:
    """Take SENDER_CODE away from REALM."""
    async with open_stores() as stores:
        await stores.realms.remove_sender(realm, sender_code)
    typer.echo(f"sender code {sender_code} removed from realm {realm}")
