"""`smsgate optout ...`: the opt-out list (phones normalised, ledger kept by the store)."""

import csv
import sys
from pathlib import Path

import typer

from smsgate.cli.common import CliError, Stores, command, open_stores
from smsgate.cli.optout_import import import_file
from smsgate.store.optouts import REALM_WIDE

app = typer.Typer(help="Manage opt-outs. They are always honoured.", no_args_is_help=True)

SenderOpt = typer.Option(
    None, "--sender-code", help="Only this sender code (default: every sender code of the realm)."
)
CSV_HEADER = ("phone", "sender_code", "source", "created_at")


async def _scope(stores: Stores, realm: str, sender_code: str | None) -> tuple[int, str]:
    realm_id = await stores.realms.realm_id(realm)
    if sender_code is None:
        return realm_id, REALM_WIDE
    return realm_id, (await stores.realm_sender(realm, sender_code)).code


@app.command("add")
@command
async def add(realm: str, phone: str, sender_code: str | None = SenderOpt) -> None:
    """Opt PHONE out of REALM (or of one sender code)."""
    async with open_stores() as stores:
        normalised = stores.phone(phone)
        realm_id, code = await _scope(stores, realm, sender_code)
        added = await stores.optouts.add(realm_id, normalised, code, source="cli")
    typer.echo(f"{normalised} opted out" if added else f"{normalised} was already opted out")


@app.command("remove")
@command
async def remove(realm: str, phone: str, sender_code: str | None = SenderOpt) -> None:
    """Remove PHONE's opt-out of exactly that scope (realm-wide, or one sender code)."""
    async with open_stores() as stores:
        normalised = stores.phone(phone)
        realm_id, code = await _scope(stores, realm, sender_code)
        if not await stores.optouts.remove(realm_id, normalised, code, source="cli"):
            raise CliError(f"{normalised} has no such opt-out in realm {realm}")
    typer.echo(f"{normalised} opted back in")


async def _write_csv(realm: str, header: bool) -> None:
    async with open_stores() as stores:
        realm_id = await stores.realms.realm_id(realm)
        rows = await stores.optouts.list(realm_id)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    if header:
        writer.writerow(CSV_HEADER)
    for o in rows:
        writer.writerow((o.phone, o.sender_code, o.source, f"{o.created_at:.3f}"))


@app.command("list")
@command
async def list_(realm: str, as_csv: bool = typer.Option(False, "--csv")) -> None:
    """List REALM's opt-outs ('*' is every sender code)."""
    if as_csv:
        await _write_csv(realm, header=True)
        return
    async with open_stores() as stores:
        realm_id = await stores.realms.realm_id(realm)
        for o in await stores.optouts.list(realm_id):
            typer.echo(f"{o.phone}\t{o.sender_code or '*'}\t{o.source}")


@app.command("export")
@command
async def export(realm: str) -> None:
    """Write REALM's opt-outs as CSV (phone,sender_code,source,created_at) to standard output."""
    await _write_csv(realm, header=True)


@app.command("import")
@command
async def import_(realm: str, file: Path) -> None:
    """Add opt-outs from a CSV file: a phone per row, optionally a sender code second.

    Every good row is imported, in one transaction; each bad row is reported on standard error
    with its line number, and the exit status is then 1. Files of any size are streamed.
    """
    async with open_stores() as stores:
        result = await import_file(stores, realm, file)
    typer.echo(f"{result.added} opt-outs added, {result.present} already present")
    if result.bad:
        raise CliError(f"{result.bad} bad rows in {file} not imported (listed above)")
