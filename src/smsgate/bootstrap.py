"""Wiring: the one place where settings become stores, services and adapters.

Everything else receives its collaborators as arguments; tests build the same `Gateway` with
their own settings (a temporary SQLite file, a PostgreSQL database, a fake SMSC).

With no `[[smpp]]` connection configured, the gateway starts the built-in SMSC SIMULATOR on
loopback and routes every sender code to it, so a newcomer sees messages flow end to end.

The database decides the topology. On SQLite the process is alone: one dispatcher, which holds
every bind and queues `sending` messages again at start. On PostgreSQL any number of processes
may share the database (docs/deployment.md), so each registers as a node with a heartbeat,
dispatchers claim under their node id, lease their bind slots and listen for NOTIFY, and a dead
node's work is taken over by the live ones (delivery/nodes.py, delivery/leases.py).
"""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from smsgate.auth.authenticator import Authenticator
from smsgate.config import GatewayConfig, SmppConnectionConfig, load_config
from smsgate.delivery.deliver import DeliverRouter
from smsgate.delivery.dispatcher import Dispatcher
from smsgate.delivery.inbound import InboundHandler
from smsgate.delivery.leases import LeaseManager, LeaseStore
from smsgate.delivery.link import Link
from smsgate.delivery.nodes import ROLE_ALL, ROLE_API, Membership, NodeIdentity, NodeStore
from smsgate.delivery.queue_store import QueueStore
from smsgate.delivery.status_writer import StatusWriter
from smsgate.settings import Settings
from smsgate.smpp.simulator import SmscSimulator
from smsgate.store.accept import Accepter
from smsgate.store.database import Database, open_database
from smsgate.store.directory import SenderDirectory
from smsgate.store.hot_writer import HotWriter
from smsgate.store.messages import MessageStore
from smsgate.store.migrate import SchemaOutOfDate, ensure_schema
from smsgate.store.notify import QueueListener
from smsgate.store.optouts import OptOutStore
from smsgate.store.realms import RealmStore

__all__ = ["Gateway", "SchemaOutOfDate", "build", "ensure_schema"]

log = logging.getLogger(__name__)

SIMULATOR_CONNECTION = "simulator"


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
    hot: HotWriter
    writer: StatusWriter
    dispatcher: Dispatcher | None
    simulator: SmscSimulator | None
    # PostgreSQL only: this process's node row, its bind leases, and the NOTIFY listener.
    membership: Membership | None = None
    leases: LeaseManager | None = None
    listener: QueueListener | None = None
    started: bool = field(default=False, init=False)

    async def start(self) -> None:
        await ensure_schema(self.db)
        if self.simulator is not None:
            await self.simulator.start("127.0.0.1", self.settings.simulator_port)
            for link in self._links():
                link.config = link.config.model_copy(update={"port": self.simulator.port})
        self.started = True  # from here on, stop() undoes whatever has started
        try:
            await self.writer.start()
            if self.membership is not None:
                await self.membership.start()  # dispatcher: first reaper pass and bind leases
            if self.dispatcher is not None:
                await self.dispatcher.start()
            if self.listener is not None:
                await self.listener.start()
            await self.accepter.start()
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        if self.started:
            await self.accepter.stop()
            if self.listener is not None:
                await self.listener.stop()
            if self.membership is not None:
                await self.membership.stop_coordinating()  # no lease changes while unbinding
            if self.dispatcher is not None:
                await self.dispatcher.stop()
            if self.leases is not None:
                try:
                    await self.leases.release_all()
                except Exception as exc:  # they expire, or the reaper frees them
                    log.warning("cannot release bind leases: %s", exc)
            await self.writer.stop()
            if self.membership is not None:
                # Last: until the status writer has flushed, nobody may take us for dead.
                await self.membership.stop()
            if self.simulator is not None:
                await self.simulator.stop()
            self.started = False
        await self.hot.close()
        await self.db.dispose()

    def _links(self) -> list[Link]:
        return list(self.dispatcher.links.values()) if self.dispatcher is not None else []


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


def build(
    settings: Settings, config: GatewayConfig | None = None, *, role: str | None = None
) -> Gateway:
    """Build every part from settings (and the TOML config, read here unless given).
    `role` names the process in `nodes` (default: "all" when dispatching, else "api")."""
    if config is None:
        config = load_config(settings.config)
    db = open_database(settings.resolved_database_url)
    shared = not db.is_sqlite  # several processes may share the database
    node = (
        NodeIdentity.this_process(
            role or (ROLE_ALL if settings.dispatch else ROLE_API), settings.node_id
        )
        if shared
        else None
    )
    membership: Membership | None = None
    leases: LeaseManager | None = None
    listener: QueueListener | None = None
    realms = RealmStore(db)
    optouts = OptOutStore(db)
    senders = SenderDirectory(realms, region=settings.resolved_default_region)
    hot = HotWriter(db)  # one write connection for every hot transaction (SQLite: one writer)
    writer = StatusWriter(db, writer=hot)
    simulator: SmscSimulator | None = None
    dispatcher: Dispatcher | None = None
    accepter = Accepter(db, writer=hot)
    if settings.dispatch:
        connections = config.smpp
        default = config.default_connection
        if not connections:
            simulator = SmscSimulator(
                redeliver_attempts=settings.simulator_receipt_retries,
                redeliver_delay=settings.simulator_receipt_retry_delay,
                redeliver_max_delay=settings.simulator_receipt_retry_max_delay,
            )
            connections = (simulator_connection(),)
            default = SIMULATOR_CONNECTION
        inbound = InboundHandler(
            db,
            senders,
            optouts,
            default_region=settings.resolved_default_region,
            on_reply=lambda replies: dispatcher.enqueue(replies) if dispatcher else None,
        )
        on_deliver = DeliverRouter(writer, inbound)
        links = {c.name: Link(c, on_deliver, leased=shared) for c in connections}
        queue = QueueStore(
            db, hot, owner=node.node_id if node is not None else None, default_route=default
        )
        dispatcher = Dispatcher(
            queue,
            writer,
            links,
            senders,
            optouts,
            default_link=default,
            batch=settings.dispatch_batch,
            poll_interval=settings.poll_interval,
            recover_on_start=not shared,  # shared: the reaper queues dead nodes' messages
        )
        # SQLite: one dispatcher, which takes what it has room for already claimed
        accepter = Accepter(
            db,
            writer=hot,
            on_committed=dispatcher.enqueue,
            handoff=dispatcher if not shared else None,
        )
        if node is not None:
            lease_store = LeaseStore(db, node.node_id, lease_seconds=settings.node_timeout)
            leases = LeaseManager(lease_store, links.values())
            listener = QueueListener(db.url, dispatcher.wake)
    if node is not None:
        membership = Membership(
            NodeStore(db),
            node,
            node_timeout=settings.node_timeout,
            heartbeat_interval=settings.resolved_heartbeat_interval,
            coordinate=_coordinator(dispatcher, leases) if dispatcher is not None else None,
        )
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
        hot=hot,
        writer=writer,
        dispatcher=dispatcher,
        simulator=simulator,
        membership=membership,
        leases=leases,
        listener=listener,
    )


def _coordinator(
    dispatcher: Dispatcher, leases: LeaseManager | None
) -> Callable[[int], Awaitable[None]]:
    """What a dispatcher does after each reaper pass: share rates and binds among the live."""

    async def coordinate(live_dispatchers: int) -> None:
        dispatcher.set_peers(live_dispatchers)
        if leases is not None:
            await leases.tick(live_dispatchers)

    return coordinate
