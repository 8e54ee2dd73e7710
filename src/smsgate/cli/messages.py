"""`smsgate messages list`: what happened to a realm's messages."""

import json
from dataclasses import asdict
from datetime import UTC, datetime

import typer

from smsgate.cli.common import command, services

app = typer.Typer(help="Inspect messages.", no_args_is_help=True)


def _time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S")


@app.command("list")
@command
async def list_(
    realm: str,
    phone: str | None = typer.Option(None, "--phone"),
    status: str | None = typer.Option(None, "--status"),
    limit: int = typer.Option(50, "--limit", min=1, max=100_000),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
) -> None:
    """List REALM's messages, newest first."""
    async with services() as cli:
        found = await cli.messages.list(realm, phone=phone, status=status, limit=limit)
    for m in found:
        if as_json:
            record = asdict(m)
            del record["done_parts"]  # delivery bookkeeping, not part of the listing
            typer.echo(json.dumps(record, ensure_ascii=False))
        else:
            error = f"\t{m.error}" if m.error else ""
            typer.echo(
                f"{m.id}\t{_time(m.created_at)}\t{m.status}\t{m.sender_code}\t{m.phone}\t"
                f"{m.encoding}/{m.parts}\t{m.text!r}{error}"
            )
