"""What one CLI command works with: the services over a short-lived database pool.

A command opens the bundle, calls services, and closes it; it never sees a store or a
transaction. `schema` is the one thing below the services a command may use: `smsgate db`
reports and applies migrations.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from smsgate.config import load_config
from smsgate.constants import SIMULATOR_CONNECTION
from smsgate.http.metrics_client import MetricsEndpoint
from smsgate.services.api_keys import ApiKeys
from smsgate.services.console_accounts import ConsoleAccounts
from smsgate.services.messages import Messages
from smsgate.services.optouts import OptOuts
from smsgate.services.realms import Realms
from smsgate.services.senders import Senders
from smsgate.services.status_report import StatusReports
from smsgate.services.webhooks import Webhooks
from smsgate.settings import Settings
from smsgate.store.api_keys import ApiKeyStore
from smsgate.store.console_users import ConsoleUserStore
from smsgate.store.database import Database, check_database_location, open_database
from smsgate.store.messages import MessageStore
from smsgate.store.migrate import (
    SchemaOutOfDate,
    current_revision,
    ensure_schema,
    head_revision,
    upgrade,
)
from smsgate.store.optouts import OptOutStore
from smsgate.store.realms import RealmStore
from smsgate.store.stats import StatsStore
from smsgate.store.webhooks import WebhookStore

__all__ = ["CliServices", "SchemaOutOfDate", "check_database_location", "open_cli"]

CLI_POOL_SIZE = 2  # one command, a connection or two


class Schema:
    """The database's schema revision, and applying pending migrations (`smsgate db`)."""

    def __init__(self, db: Database, region: str) -> None:
        self._db = db
        self._region = region

    async def current(self) -> str | None:
        return await current_revision(self._db)

    @staticmethod
    def head() -> str | None:
        return head_revision()

    async def upgrade(self) -> None:
        await upgrade(self._db, region=self._region)


@dataclass(frozen=True)
class CliServices:
    settings: Settings
    realms: Realms
    senders: Senders
    opt_outs: OptOuts
    messages: Messages
    api_keys: ApiKeys
    console: ConsoleAccounts
    schema: Schema
    status: StatusReports
    webhooks: Webhooks


def cli_services(db: Database, settings: Settings) -> CliServices:
    region = settings.resolved_default_region
    realm_store = RealmStore(db)
    senders = Senders(realm_store, default_region=region)
    return CliServices(
        settings=settings,
        realms=Realms(realm_store),
        senders=senders,
        opt_outs=OptOuts(OptOutStore(db), senders, default_region=region),
        messages=Messages(MessageStore(db), realm_store, default_region=region),
        api_keys=ApiKeys(ApiKeyStore(db), realm_store),
        console=ConsoleAccounts(ConsoleUserStore(db), realm_store),
        schema=Schema(db, region),
        status=StatusReports(
            StatsStore(db),
            MetricsEndpoint,
            lambda: _connections(settings),
            shared=not db.is_sqlite,
            node_timeout=settings.node_timeout,
        ),
        webhooks=Webhooks(
            WebhookStore(db),
            realm_store,
            resolver=_resolve,
            allow_private=settings.webhook_allow_private,
        ),
    )


async def _resolve(host: str, port: int) -> list[str]:
    """DNS for `webhook add`'s address check, importing httpx only when a URL is checked."""
    from smsgate.delivery.webhook_http import resolve

    return await resolve(host, port)


def _connections(settings: Settings) -> dict[str, int]:
    """The configured SMPP connections and their binds; none configured: the gateway delivers
    to its built-in simulator, over one bind. ConfigError if the file is bad."""
    config = load_config(settings.config)
    return {c.name: c.binds for c in config.smpp} or {SIMULATOR_CONNECTION: 1}


@asynccontextmanager
async def open_cli(settings: Settings, *, create_schema: bool = True) -> AsyncIterator[CliServices]:
    """The services of one command; the schema is created or upgraded first unless told not
    to (SchemaOutOfDate if the database is newer than this version)."""
    db = open_database(settings.resolved_database_url, pool_size=CLI_POOL_SIZE)
    try:
        if create_schema:
            await ensure_schema(db)
        yield cli_services(db, settings)
    finally:
        await db.dispose()
