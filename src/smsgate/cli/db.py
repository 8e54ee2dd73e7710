"""`smsgate db ...`: schema migrations."""

import typer

from smsgate.cli.common import command, services

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
@command
async def upgrade_() -> None:
    """Apply every pending migration."""
    async with services(create_schema=False) as cli:
        await cli.schema.upgrade()
        typer.echo(f"database at revision {await cli.schema.current()}")


@app.command("current")
@command
async def current() -> None:
    """Show the schema revision of the database and of this version."""
    async with services(create_schema=False) as cli:
        typer.echo(f"database: {await cli.schema.current()}  code: {cli.schema.head()}")
