"""The `smsgate` command: one Typer app, one sub-app per noun."""

import sys

import typer

from smsgate.cli import apikey, db, messages, operator, optout, realm, sender, simulate, webhook
from smsgate.cli.dispatch import dispatch
from smsgate.cli.serve import serve
from smsgate.cli.status import status

app = typer.Typer(
    help="smsgate: WhatCounts-compatible SMS gateway over SMPP 3.4.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)
app.command("serve")(serve)
app.command("dispatch")(dispatch)
app.command("status")(status)
app.add_typer(realm.app, name="realm")
realm.app.add_typer(operator.users, name="user")
app.add_typer(operator.app, name="operator")
app.add_typer(sender.app, name="sender")
app.add_typer(optout.app, name="optout")
app.add_typer(messages.app, name="messages")
app.add_typer(apikey.app, name="apikey")
app.add_typer(webhook.app, name="webhook")
app.add_typer(db.app, name="db")
app.add_typer(simulate.app, name="simulate")


def main() -> None:
    """Entry point: usage errors are one `error:` line and exit status 2, like every other
    CLI error (one line, exit status 1), never a usage box or a traceback."""
    try:
        result = app(standalone_mode=False)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(1)
    except typer.TyperException as exc:  # click's usage errors, as vendored by Typer
        if type(exc).__name__ == "NoArgsIsHelpError":  # a bare `smsgate realm`: show its help
            typer.echo(exc.format_message())
            sys.exit(0)
        typer.echo(f"error: {exc.format_message()} (see --help)", err=True)
        sys.exit(2)
    sys.exit(result if isinstance(result, int) else 0)
