"""`smsgate status`: the gateway on one screen (or `--json`), for operators who live in SSH.

A thin adapter: the status service (`services/status_report.py`) gathers the report from the
database and the running gateway's `/metrics` (`--url`, default: SMSGATE_HOST and
SMSGATE_PORT); this prints it.
"""

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import typer

from smsgate.cli.common import CliError, command, services
from smsgate.config import ConfigError
from smsgate.services.status_report import StatusReport
from smsgate.settings import Settings

_ANY_ADDRESS = {"0.0.0.0", "::", ""}


def default_url(settings: Settings) -> str:
    host = "127.0.0.1" if settings.host in _ANY_ADDRESS else settings.host
    return f"http://{f'[{host}]' if ':' in host else host}:{settings.port}"


@command
async def status(
    url: str | None = typer.Option(
        None, "--url", help="The running gateway (its /metrics). Default: SMSGATE_HOST:PORT."
    ),
    as_json: bool = typer.Option(False, "--json", help="One JSON object."),
) -> None:
    """Queue depth, SMPP binds, message rates, inbound STOPs today, webhook backlog."""
    async with services() as bundle:
        try:
            report = await bundle.status.report(url or default_url(bundle.settings))
        except ConfigError as exc:
            raise CliError(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(as_json_object(report), ensure_ascii=False))
    else:
        typer.echo("\n".join(render(report)))


def as_json_object(report: StatusReport) -> dict[str, Any]:
    """The report as JSON: its fields, each connection with its `state` (up/down/unknown)."""
    record = asdict(report)
    for connection, shown in zip(report.connections, record["connections"], strict=True):
        shown["state"] = connection.state
    return record


def _counts(counts: dict[str, int]) -> str:
    return "  ".join(f"{status} {n:,}" for status, n in sorted(counts.items())) or "none"


def render(report: StatusReport) -> list[str]:
    when = datetime.fromtimestamp(report.at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    lines = [f"smsgate status  {when}  ({report.database})", ""]
    lines.append(f"Queue        {_counts(report.queue)}")
    for window in report.windows:
        lines.append(
            f"Accepted     {window.name}: {window.accepted:,} ({window.per_second:.1f}/s)"
            + (f"  now: {_counts(window.by_status)}" if window.accepted else "")
        )
    lines.append("")
    lines.append(f"SMPP binds   (from {report.gateway})")
    if report.gateway_error is not None:
        lines.append(f"             gateway not reachable, binds unknown: {report.gateway_error}")
    for c in report.connections:
        bound = "?" if c.bound is None else str(c.bound)
        leased = "" if c.leased is None else f"  leased {c.leased}/{c.binds}"
        lines.append(f"  {c.name:<16} {c.state.upper():<8} bound {bound}/{c.binds}{leased}")
    lines.append("")
    lines.append(f"Inbound      STOPs today (UTC): {report.inbound_stops_today:,}")
    lines.append(f"Webhooks     backlog {report.webhook_backlog:,} (deliveries still to make)")
    if report.nodes_alive is not None:
        lines.append(f"Nodes        alive: {_counts(report.nodes_alive)}")
    return lines
