"""The `smsgate` command: one Typer app, one sub-app per noun."""

import typer

from smsgate.cli import db, messages, optout, realm, sender, simulate
from smsgate.cli.dispatch import dispatch
from smsgate.cli.serve import serve

app = typer.Typer(
    help="smsgate: WhatCounts-compatible SMS gateway over SMPP 3.4.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("serve")(serve)
app.command("dispatch")(dispatch)
app.add_typer(realm.app, name="realm")
app.add_typer(sender.app, name="sender")
app.add_typer(optout.app, name="optout")
app.add_typer(messages.app, name="messages")
app.add_typer(db.app, name="db")
app.add_typer(simulate.app, name="simulate")
