"""`smsgate apikey ...`: keys of the JSON API, one realm each (services/api_keys.py)."""

from datetime import UTC, datetime

import typer

from smsgate.cli.common import CliError, command, services

app = typer.Typer(help="Manage API keys of the JSON API (/v1).", no_args_is_help=True)

NameOpt = typer.Option("", "--name", help="A label for the key (who or what uses it).")


def _time(epoch: float | None) -> str:
    if epoch is None:
        return "-"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@app.command("create")
@command
async def create(realm: str, name: str = NameOpt) -> None:
    """Create a key for REALM. The key is printed once, alone on the last line: keep it, it
    cannot be shown again (only its hash is stored)."""
    async with services() as cli:
        try:
            created = await cli.api_keys.create(realm, name)
        except ValueError as exc:
            raise CliError(str(exc)) from None
    typer.echo(f"API key {created.key.id} created for realm {realm}; it is shown only once:")
    typer.echo(created.plaintext)


@app.command("list")
@command
async def list_(realm: str) -> None:
    """List REALM's keys: id, start of the key, created, last used, state, name."""
    async with services() as cli:
        keys = await cli.api_keys.list(realm)
    for key in keys:
        state = "active" if key.revoked_at is None else f"revoked {_time(key.revoked_at)}"
        typer.echo(
            f"{key.id}\t{key.prefix}...\t{_time(key.created_at)}\t{_time(key.last_used_at)}\t"
            f"{state}\t{key.name}".rstrip("\t")
        )


@app.command("revoke")
@command
async def revoke(realm: str, key_id: str) -> None:
    """Revoke REALM's key KEY_ID: requests with it are refused from now on."""
    async with services() as cli:
        await cli.api_keys.revoke(realm, key_id)
    typer.echo(f"API key {key_id.strip()} revoked")
