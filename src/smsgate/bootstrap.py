"""Wiring: the one place where settings become stores, services and adapters.

Everything else receives its collaborators as arguments; tests build the same `Gateway` with
their own settings (a temporary SQLite file, a PostgreSQL database, a fake SMSC).
"""

import logging
from dataclasses import dataclass, field

from smsgate.auth.authenticator import Authenticator
from smsgate.settings import Settings
from smsgate.store.accept import Accepter
from smsgate.store.database import Database, open_database
from smsgate.store.directory import SenderDirectory
from smsgate.store.messages import MessageStore
from smsgate.store.migrate import current_revision, head_revision, upgrade
from smsgate.store.optouts import OptOutStore
from smsgate.store.realms import RealmStore

log = logging.getLogger(__name__)


class SchemaOutOfDate(RuntimeError):
    """The database has an older schema than this version needs."""


@dataclass
class Gateway:
    """All long-lived parts of one gateway process."""

    settings: Settings
    db: Database
    realms: RealmStore
    optouts: OptOutStore
    messages: MessageStore
    auth: Authenticator
    senders: SenderDirectory
    accepter: Accepter
    started: bool = field(default=False, init=False)

    async def start(self) -> None:
        await ensure_schema(self.db)
        await self.accepter.start()
        self.started = True

    async def stop(self) -> None:
        if self.started:
            await self.accepter.stop()
            self.started = False
        await self.db.dispose()


async def ensure_schema(db: Database) -> None:
    """Create the schema on an empty database; refuse to run on an outdated one."""
    current = await current_revision(db)
    if current is None:
        log.info("empty database: creating the schema")
        await upgrade(db)
    elif current != head_revision():
        raise SchemaOutOfDate(
            f"database schema is at revision {current}, this version needs "
            f"{head_revision()}; run `smsgate db upgrade`"
        )


def build(settings: Settings) -> Gateway:
    db = open_database(settings.resolved_database_url)
    realms = RealmStore(db)
    accepter = Accepter(db)
    return Gateway(
        settings=settings,
        db=db,
        realms=realms,
        optouts=OptOutStore(db),
        messages=MessageStore(db),
        auth=Authenticator(realms.credential),
        senders=SenderDirectory(realms),
        accepter=accepter,
    )
