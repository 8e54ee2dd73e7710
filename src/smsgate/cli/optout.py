"""`smsgate optout ...`: the opt-out list (services/optouts.py; source "cli" or "import")."""

import csv
import sys
from pathlib import Path

import typer

from smsgate.cli.common import CliError, command, services
from smsgate.cli.optout_import import import_file
from smsgate.domain.model import OptOut
from smsgate.domain.optout import REALM_WIDE
from smsgate.services.optouts import Source

app = typer.Typer(help="Manage opt-outs. They are always honoured.", no_args_is_help=True)

SenderOpt = typer.Option(
    None, "--sender-code", help="Only this sender code (default: every sender code of the realm)."
)
CSV_HEADER = ("phone", "sender_code", "source", "created_at")


@app.command("add")
@command
async def add(realm: str, phone: str, sender_code: str | None = SenderOpt) -> None:
    """Opt PHONE out of REALM (or of one sender code)."""
    async with services() as cli:
        change = await cli.opt_outs.opt_out(realm, phone, sender_code, source=Source.CLI)
    done = "opted out" if change.changed else "was already opted out"
    typer.echo(f"{change.phone} {done}")


@app.command("remove")
@command
async def remove(realm: str, phone: str, sender_code: str | None = SenderOpt) -> None:
    """Remove PHONE's opt-out of exactly that scope (realm-wide, or one sender code)."""
    async with services() as cli:
        change = await cli.opt_outs.opt_in(realm, phone, sender_code, source=Source.CLI)
    typer.echo(f"{change.phone} opted back in")


async def _list(realm: str, phone: str | None = None, code: str | None = None) -> list[OptOut]:
    scope = REALM_WIDE if code == "*" else code
    async with services() as cli:
        return await cli.opt_outs.list(realm, phone=phone, sender_code=scope)


def _write_csv(rows: list[OptOut]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for o in rows:
        writer.writerow((o.phone, o.sender_code, o.source, f"{o.created_at:.3f}"))


@app.command("list")
@command
async def list_(
    realm: str,
    phone: str | None = typer.Option(None, "--phone", help="Only this phone's opt-outs."),
    sender_code: str | None = typer.Option(
        None, "--sender-code", help="Only opt-outs of exactly this code ('*': realm-wide ones)."
    ),
    as_csv: bool = typer.Option(False, "--csv"),
) -> None:
    """List REALM's opt-outs ('*' is every sender code), or search them."""
    rows = await _list(realm, phone, sender_code)
    if as_csv:
        _write_csv(rows)
        return
    for o in rows:
        typer.echo(f"{o.phone}\t{o.sender_code or '*'}\t{o.source}")


@app.command("export")
@command
async def export(realm: str) -> None:
    """Write REALM's opt-outs as CSV (phone,sender_code,source,created_at) to standard output."""
    _write_csv(await _list(realm))


@app.command("import")
@command
async def import_(realm: str, file: Path) -> None:
    """Add opt-outs from a CSV file: a phone per row, optionally a sender code second.

    Every good row is imported, in one transaction; each bad row is reported on standard error
    with its line number, and the exit status is then 1. Files of any size are streamed.
    """
    async with services() as cli:
        result = await import_file(cli.opt_outs, realm, file)
    typer.echo(f"{result.added} opt-outs added, {result.present} already present")
    if result.bad:
        raise CliError(f"{result.bad} bad rows in {file} not imported (listed above)")
