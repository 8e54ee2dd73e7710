"""Wiring: the one place where settings become stores, services and adapters.

Everything else receives its collaborators as arguments; tests build the same `Gateway` with
their own settings (a temporary SQLite file, a PostgreSQL database, a fake SMSC).

With no `[[smpp]]` connection configured, the gateway starts the built-in SMSC SIMULATOR on
loopback and routes every sender code to it, so a newcomer sees messages flow end to end.
"""

import logging
from dataclasses import dataclass, field

from smsgate.auth.authenticator import Authenticator
from smsgate.config import GatewayConfig, SmppConnectionConfig, load_config
from smsgate.delivery.dispatcher import Dispatcher
from smsgate.delivery.inbound import InboundHandler
from smsgate.delivery.link import Link
from smsgate.delivery.queue_store import QueueStore
from smsgate.delivery.receipts import is_receipt, to_receipt
from smsgate.delivery.status_writer import StatusWriter
from smsgate.settings import Settings
from smsgate.smpp.pdu import DeliverSm
from smsgate.smpp.simulator import SmscSimulator
from smsgate.store.accept import Accepter
from smsgate.store.database import Database, open_database
from smsgate.store.directory import SenderDirectory
from smsgate.store.messages import MessageStore
from smsgate.store.migrate import current_revision, head_revision, upgrade
from smsgate.store.optouts import OptOutStore
from smsgate.store.realms import RealmStore

log = logging.getLogger(__name__)

SIMULATOR_CONNECTION = "simulator"


class SchemaOutOfDate(RuntimeError):
    """The database has an older schema than this version needs."""


@dataclass
class Gateway:
    """All long-lived parts of one gateway process."""

    settings: Settings
    config: GatewayConfig
    db: Database
    realms: RealmStore
    optouts: OptOutStore
    messages: MessageStore
    auth: Authenticator
    senders: SenderDirectory
    accepter: Accepter
    writer: StatusWriter
    dispatcher: Dispatcher | None
    simulator: SmscSimulator | None
    started: bool = field(default=False, init=False)

    async def start(self) -> None:
        await ensure_schema(self.db)
        if self.simulator is not None:
            await self.simulator.start("127.0.0.1", self.settings.simulator_port)
            for link in self._links():
                link.config = link.config.model_copy(update={"port": self.simulator.port})
        await self.writer.start()
        if self.dispatcher is not None:
            await self.dispatcher.start()
        await self.accepter.start()
        self.started = True

    async def stop(self) -> None:
        if self.started:
            await self.accepter.stop()
            if self.dispatcher is not None:
                await self.dispatcher.stop()
            await self.writer.stop()
            if self.simulator is not None:
                await self.simulator.stop()
            self.started = False
        await self.db.dispose()

    def _links(self) -> list[Link]:
        return list(self.dispatcher.links.values()) if self.dispatcher is not None else []


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


def simulator_connection() -> SmppConnectionConfig:
    """The connection to the built-in simulator (its port is filled in once it listens)."""
    return SmppConnectionConfig(
        name=SIMULATOR_CONNECTION,
        host="127.0.0.1",
        port=1,
        system_id="smsgate",
        password="sim",
        default=True,
        reconnect_initial=0.1,
        reconnect_max=2.0,
    )


def build(settings: Settings, config: GatewayConfig | None = None) -> Gateway:
    """Build every part from settings (and the TOML config, read here unless given)."""
    if config is None:
        config = load_config(settings.config)
    db = open_database(settings.resolved_database_url)
    realms = RealmStore(db)
    optouts = OptOutStore(db)
    senders = SenderDirectory(realms)
    writer = StatusWriter(db)
    simulator: SmscSimulator | None = None
    dispatcher: Dispatcher | None = None
    accepter = Accepter(db)
    if settings.dispatch:
        connections = config.smpp
        default = config.default_connection
        if not connections:
            simulator = SmscSimulator()
            connections = (simulator_connection(),)
            default = SIMULATOR_CONNECTION
        inbound = InboundHandler(
            db,
            senders,
            optouts,
            default_country_code=settings.default_country_code,
            on_reply=lambda replies: dispatcher.enqueue(replies) if dispatcher else None,
        )

        async def on_deliver(connection: str, pdu: DeliverSm) -> int | None:
            if is_receipt(pdu):
                receipt = to_receipt(connection, pdu)
                if receipt is not None:
                    await writer.receipt(receipt)
            else:
                await inbound.handle(connection, pdu)
            return None

        links = {c.name: Link(c, on_deliver) for c in connections}
        dispatcher = Dispatcher(
            QueueStore(db), writer, links, senders, optouts, default_link=default
        )
        accepter = Accepter(db, on_committed=dispatcher.enqueue)
    return Gateway(
        settings=settings,
        config=config,
        db=db,
        realms=realms,
        optouts=optouts,
        messages=MessageStore(db),
        auth=Authenticator(realms.credential),
        senders=senders,
        accepter=accepter,
        writer=writer,
        dispatcher=dispatcher,
        simulator=simulator,
    )
