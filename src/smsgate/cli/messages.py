"""`smsgate messages list`: what happened to a realm's messages."""

import json
from dataclasses import asdict
from datetime import UTC, datetime

import typer

from smsgate.cli.common import CliError, command, open_stores
from smsgate.domain.model import Status

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
    if status is not None and status not in {s.value for s in Status}:
        raise CliError(f"unknown status {status}; one of {', '.join(s.value for s in Status)}")
    async with open_stores() as stores:
        realm_id = await stores.realms.realm_id(realm)
        found = await stores.messages.list(
            realm_id,
            phone=stores.phone(phone) if phone is not None else None,
            status=status,
            limit=limit,
        )
    for m in found:
        if as_json:
            typer.echo(json.dumps(asdict(m), ensure_ascii=False))
        else:
            error = f"\t{m.error}" if m.error else ""
            typer.echo(
                f"{m.id}\t{_time(m.created_at)}\t{m.status}\t{m.sender_code}\t{m.phone}\t"
                f"{m.encoding}/{m.parts}\t{m.text!r}{error}"
            )
