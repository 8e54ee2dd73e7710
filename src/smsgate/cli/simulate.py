"""`smsgate simulate mo`: a handset texts the gateway, through the built-in SMSC SIMULATOR."""

import typer

from smsgate.cli.common import fail, load_settings

app = typer.Typer(help="Drive the built-in SMSC simulator.", no_args_is_help=True)


@app.command("mo")
def mo(
    from_: str = typer.Option(..., "--from", help="The handset's number."),
    to: str = typer.Option(..., "--to", help="The sender code it texts."),
    text: str = typer.Option(..., "--text"),
    url: str | None = typer.Option(None, "--url", help="Default: the local gateway."),
) -> None:
    """Deliver a mobile-originated message (e.g. STOP) to the running gateway."""
    import httpx  # only this command needs an HTTP client

    settings = load_settings()
    base = url or f"http://{settings.host}:{settings.port}"
    try:
        response = httpx.post(
            f"{base}/_simulator/mo", data={"from": from_, "to": to, "text": text}, timeout=10
        )
    except httpx.HTTPError as exc:
        fail(f"cannot reach the gateway at {base}: {exc}")
        return
    if response.status_code == 404:
        fail("the gateway is not running its simulator (an [[smpp]] connection is configured)")
    if response.status_code != 200:
        fail(response.text.strip())
    typer.echo(response.text.strip())
