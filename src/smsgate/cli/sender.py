"""`smsgate sender ...`: the short codes and long numbers a realm sends from.

Codes are stored in one spelling (services/senders.py, `domain.sender_code`): a long code as
its phone key, so `sender add acme 2016270155` (or +12016270155) stores 12016270155. The
other commands find a code however it is written.
"""

import typer

from smsgate.cli.common import command, services

app = typer.Typer(help="Manage sender codes (short codes, long numbers).", no_args_is_help=True)


ConnectionOpt = typer.Option(
    None, "--connection", help="SMPP connection name (default: the default connection)."
)
MaxTpsOpt = typer.Option(
    None, "--max-tps", min=0.01, help="Messages per second from this code (US long codes ~1)."
)
StopOpt = typer.Option(None, "--stop-reply", help="Confirmation sent after STOP.")
StartOpt = typer.Option(None, "--start-reply", help="Confirmation sent after START.")
HelpOpt = typer.Option(None, "--help-reply", help="Reply sent after HELP or INFO.")


def _replies(stop: str | None, start: str | None, help_: str | None) -> dict[str, str | None]:
    return {"stop_reply": stop, "start_reply": start, "help_reply": help_}


@app.command("add")
@command
async def add(
    realm: str,
    sender_code: str,
    connection: str | None = ConnectionOpt,
    max_tps: float | None = MaxTpsOpt,
    stop_reply: str | None = StopOpt,
    start_reply: str | None = StartOpt,
    help_reply: str | None = HelpOpt,
) -> None:
    """Give SENDER_CODE to REALM."""
    replies = _replies(stop_reply, start_reply, help_reply)
    async with services() as cli:
        code = await cli.senders.add(
            realm, sender_code, connection=connection, max_tps=max_tps, replies=replies
        )
    typer.echo(f"sender code {code} added to realm {realm}")


@app.command("set")
@command
async def set_(
    realm: str,
    sender_code: str,
    connection: str | None = ConnectionOpt,
    max_tps: float | None = MaxTpsOpt,
    stop_reply: str | None = StopOpt,
    start_reply: str | None = StartOpt,
    help_reply: str | None = HelpOpt,
) -> None:
    """Change the routing, rate limit or keyword replies of one of REALM's sender codes."""
    replies = _replies(stop_reply, start_reply, help_reply)
    async with services() as cli:
        code = await cli.senders.update(
            realm, sender_code, connection=connection, max_tps=max_tps, replies=replies
        )
    typer.echo(f"sender code {code} updated")


@app.command("list")
@command
async def list_(realm: str) -> None:
    """List REALM's sender codes with their routing."""
    async with services() as cli:
        for sender in await cli.senders.list(realm):
            route = sender.connection or "(default)"
            tps = "" if sender.max_tps is None else f" max_tps={sender.max_tps:g}"
            typer.echo(f"{sender.code}\tconnection={route}{tps}")


@app.command("remove")
@command
async def remove(realm: str, sender_code: str) -> None:
    """Take SENDER_CODE away from REALM."""
    async with services() as cli:
        code = await cli.senders.remove(realm, sender_code)
    typer.echo(f"sender code {code} removed from realm {realm}")
