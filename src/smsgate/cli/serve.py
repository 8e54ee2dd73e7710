"""`smsgate serve`: run the gateway (API, and the dispatcher unless told otherwise)."""

import typer
import uvicorn

from smsgate.bootstrap import build
from smsgate.cli.common import load_settings
from smsgate.http.app import create_app
from smsgate.http.log_scrub import logging_config


def serve(
    host: str | None = typer.Option(None, "--host", help="Default: SMSGATE_HOST or 127.0.0.1."),
    port: int | None = typer.Option(None, "--port", help="Default: SMSGATE_PORT or 8080."),
    access_log: bool = typer.Option(True, "--access-log/--no-access-log"),
) -> None:
    """Run the gateway in the foreground until interrupted."""
    settings = load_settings()
    gateway = build(settings)
    config = uvicorn.Config(
        create_app(gateway),
        host=host or settings.host,
        port=port or settings.port,
        log_config=logging_config(settings.log_level, access_log=access_log),
        access_log=access_log,
        loop="auto",
        http="auto",
        lifespan="on",
        server_header=False,
    )
    server = uvicorn.Server(config)
    server.run()
    if not server.started:
        raise typer.Exit(1)
