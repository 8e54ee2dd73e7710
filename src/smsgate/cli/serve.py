"""`smsgate serve`: run the gateway (API, and the dispatcher unless told otherwise)."""

import typer
import uvicorn

from smsgate.bootstrap import build
from smsgate.cli.common import fail, load_settings
from smsgate.config import ConfigError
from smsgate.http.app import create_app
from smsgate.http.log_scrub import logging_config


def serve(
    host: str | None = typer.Option(None, "--host", help="Default: SMSGATE_HOST or 127.0.0.1."),
    port: int | None = typer.Option(None, "--port", help="Default: SMSGATE_PORT or 8080."),
    access_log: bool | None = typer.Option(
        None, "--access-log/--no-access-log", help="Default: SMSGATE_ACCESS_LOG or on."
    ),
    no_dispatch: bool = typer.Option(
        False, "--no-dispatch", help="API only: leave delivery to `smsgate dispatch` processes."
    ),
) -> None:
    """Run the gateway (API and dispatcher) in the foreground until interrupted."""
    settings = load_settings()
    if no_dispatch:
        settings = settings.model_copy(update={"dispatch": False})
    if access_log is None:
        access_log = settings.access_log
    try:
        gateway = build(settings)
    except ConfigError as exc:
        fail(str(exc))
        return
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
