"""`smsgate db ...`: schema migrations."""

import typer

from smsgate.cli.common import command, open_stores
from smsgate.store.migrate import current_revision, head_revision, upgrade

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
@command
async def upgrade_() -> None:
    """Apply every pending migration."""
    async with open_stores(create_schema=False) as stores:
        await upgrade(stores.db, region=stores.region)
        typer.echo(f"database at revision {await current_revision(stores.db)}")


@app.command("current")
@command
async def current() -> None:
    """Show the schema revision of the database and of this version."""
    async with open_stores(create_schema=False) as stores:
        typer.echo(f"database: {await current_revision(stores.db)}  code: {head_revision()}")
