"""`smsgate webhook ...`: a realm's webhook endpoints and their deliveries
(services/webhooks.py). The running gateway delivers; these commands only write and read."""

import json
from dataclasses import asdict
from datetime import UTC, datetime

import typer

from smsgate.cli.common import CliError, command, services

app = typer.Typer(help="Manage webhooks (signed event callbacks).", no_args_is_help=True)

EventsOpt = typer.Option(
    None,
    "--events",
    help="Comma-separated event types (default all): message.status, message.inbound, "
    "optout.changed.",
)


def _time(epoch: float | None) -> str:
    if epoch is None:
        return "-"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@app.command("add")
@command
async def add(realm: str, url: str, events: str | None = EventsOpt) -> None:
    """Add an endpoint URL to REALM. Prints its id, then its signing secret (whsec_...) alone on
    the last line: receivers verify signatures with it."""
    async with services() as stores:
        try:
            endpoint = await stores.webhooks.add(realm, url, events)
        except ValueError as exc:
            raise CliError(f"{url.strip()}: {exc}") from None
    kinds = ",".join(e.value for e in endpoint.events)
    typer.echo(f"webhook endpoint {endpoint.id} added to realm {realm} for {kinds}; secret:")
    typer.echo(endpoint.secret)


@app.command("list")
@command
async def list_(realm: str) -> None:
    """List REALM's endpoints: id, state, events, created, URL."""
    async with services() as stores:
        endpoints = await stores.webhooks.list(realm)
    for ep in endpoints:
        kinds = ",".join(e.value for e in ep.events)
        typer.echo(f"{ep.id}\t{ep.state.value}\t{kinds}\t{_time(ep.created_at)}\t{ep.url}")


@app.command("remove")
@command
async def remove(realm: str, endpoint_id: str) -> None:
    """Remove REALM's endpoint ENDPOINT_ID; deliveries still pending for it are cancelled."""
    async with services() as stores:
        await stores.webhooks.remove(realm, endpoint_id)
    typer.echo(f"webhook endpoint {endpoint_id.strip()} removed")


@app.command("test")
@command
async def test(realm: str, endpoint_id: str) -> None:
    """Queue a `webhook.test` event for REALM's endpoint ENDPOINT_ID (the running gateway
    delivers it; see `webhook deliveries`)."""
    async with services() as stores:
        event_id = await stores.webhooks.test(realm, endpoint_id)
    typer.echo(f"test event {event_id} queued for {endpoint_id.strip()}")


@app.command("deliveries")
@command
async def deliveries(
    realm: str,
    failed: bool = typer.Option(False, "--failed", help="Only failed (or failing) ones."),
    limit: int = typer.Option(100, "--limit", min=1, max=100_000),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
) -> None:
    """List REALM's latest deliveries, newest first: id, status, attempts, event, endpoint,
    last attempt, last answer."""
    async with services() as stores:
        found = await stores.webhooks.deliveries(realm, failed_only=failed, limit=limit)
    for d in found:
        if as_json:
            typer.echo(json.dumps(asdict(d), ensure_ascii=False))
            continue
        answer = d.last_error or (str(d.last_status) if d.last_status is not None else "-")
        typer.echo(
            f"{d.id}\t{d.status.value}\t{d.attempts}\t{d.event_type}\t{d.event_id}\t"
            f"{d.endpoint_id}\t{_time(d.last_attempt_at)}\t{answer}"
        )


@app.command("replay")
@command
async def replay(delivery_id: int) -> None:
    """Deliver the event of DELIVERY_ID again, now (as a new delivery)."""
    async with services() as stores:
        new_id = await stores.webhooks.replay(delivery_id)
    typer.echo(f"delivery {delivery_id} replayed as delivery {new_id}")
