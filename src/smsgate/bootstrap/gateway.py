"""A gateway process, built from settings: its stores, services, dispatcher and SMPP links.

Tests build the same `Gateway` with their own settings (a temporary SQLite file, a PostgreSQL
database, a fake SMSC).

With no `[[smpp]]` connection configured, the gateway starts the built-in SMSC SIMULATOR on
loopback and routes every sender code to it, so a newcomer sees messages flow end to end.

The database decides the topology. On SQLite the process is alone: one dispatcher, which holds
every bind and queues `sending` messages again at start. On PostgreSQL any number of processes
may share the database (docs/deployment.md), so each registers as a node with a heartbeat,
dispatchers claim under their node id, lease their bind slots and listen for NOTIFY, and a dead
node's work is taken over by the live ones (delivery/membership.py, delivery/leases.py).
"""

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from smsgate.auth.authenticator import Authenticator
from smsgate.config import GatewayConfig, SmppConnectionConfig, load_config
from smsgate.constants import SIMULATOR_CONNECTION
from smsgate.delivery.deliver import DeliverRouter
from smsgate.delivery.dispatcher import Dispatcher
from smsgate.delivery.inbound import InboundHandler
from smsgate.delivery.intake import Intake, LocalIntake, SharedIntake
from smsgate.delivery.leases import LeaseManager
from smsgate.delivery.link import Link
from smsgate.delivery.membership import Membership, this_process
from smsgate.delivery.webhook_http import WebhookClient, resolve
from smsgate.delivery.webhook_sender import WebhookSender
from smsgate.domain.node import ROLE_ALL, ROLE_API, ROLE_DISPATCH
from smsgate.ids import new_message_id
from smsgate.services.api_keys import ApiKeys
from smsgate.services.api_optouts import ApiOptOuts
from smsgate.services.api_sending import ApiSending
from smsgate.services.api_webhooks import ApiWebhooks
from smsgate.services.group_commit import Accepter
from smsgate.services.history import History
from smsgate.services.inbound import InboundService
from smsgate.services.json_api import JsonApi
from smsgate.services.message_retention import MessageRetention
from smsgate.services.optouts import OptOuts, Stopping
from smsgate.services.readiness import ReadinessCheck
from smsgate.services.senders import Senders
from smsgate.services.sending import Sending
from smsgate.services.status import ConnectionState, connection_states
from smsgate.services.statuses import StatusRecorder
from smsgate.services.webhooks import Webhooks
from smsgate.settings import Settings
from smsgate.smpp.reconnect import Backoff
from smsgate.smpp.simulator import SmscSimulator
from smsgate.store.accept import AcceptTransaction
from smsgate.store.api_keys import ApiKeyStore
from smsgate.store.database import Database, open_database
from smsgate.store.directory import SenderDirectory
from smsgate.store.history import HistoryStore
from smsgate.store.idempotency import IdempotencyStore
from smsgate.store.inbound import InboundStore
from smsgate.store.leases import LeaseStore
from smsgate.store.message_retention import MessageRetentionStore
from smsgate.store.messages import MessageStore
from smsgate.store.migrate import SchemaOutOfDate, ensure_schema
from smsgate.store.nodes import NodeStore
from smsgate.store.notify import QueueListener
from smsgate.store.optouts import OptOutStore
from smsgate.store.probe import probe_write
from smsgate.store.queue import QueueStore
from smsgate.store.realms import RealmStore
from smsgate.store.statuses import StatusStore
from smsgate.store.transactions import TransactionRunner
from smsgate.store.webhook_outbox import HotOutbox
from smsgate.store.webhooks import WebhookStore

__all__ = ["Gateway", "SchemaOutOfDate", "build", "build_dispatcher", "ensure_schema"]

log = logging.getLogger(__name__)

LISTENER_RECONNECT_SECONDS = (0.5, 10.0)  # NOTIFY listener: first and longest wait (polling covers)


def webhook_service(db: Database, realms: RealmStore, settings: Settings) -> Webhooks:
    """The webhook use cases over `db`, for /v1 and the console (the CLI builds its own without
    importing the gateway)."""
    return Webhooks(
        WebhookStore(db), realms, resolver=resolve, allow_private=settings.webhook_allow_private
    )


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
    sending: Sending
    stopping: Stopping  # WhatCounts' stop commands (api_web, REST)
    api_keys: ApiKeys
    json_api: JsonApi
    transactions: TransactionRunner
    statuses: StatusRecorder
    dispatcher: Dispatcher | None
    simulator: SmscSimulator | None
    readiness: ReadinessCheck
    # PostgreSQL only: this process's node row, its bind leases, and the NOTIFY listener.
    membership: Membership | None = None
    leases: LeaseManager | None = None
    listener: QueueListener | None = None
    # Delivers webhooks (processes that dispatch; on PostgreSQL each claims its own share).
    webhooks: WebhookSender | None = None
    retention: MessageRetention | None = None  # deletes old message history (dispatchers)
    started: bool = field(default=False, init=False)

    async def start(self) -> None:
        await ensure_schema(self.db)
        try:  # /v1 Idempotency-Keys past their 24 h (a key claimed again is renewed anyway)
            await IdempotencyStore(self.db).purge(time.time())
        except Exception as exc:
            log.warning("cannot purge old Idempotency-Keys: %s", exc)
        if self.simulator is not None:
            await self.simulator.start("127.0.0.1", self.settings.simulator_port)
            for link in self._links():
                link.config = link.config.model_copy(update={"port": self.simulator.port})
        self.started = True  # from here on, stop() undoes whatever has started
        try:
            await self.statuses.start()
            if self.membership is not None:
                await self.membership.start()  # dispatcher: first reaper pass and bind leases
            if self.dispatcher is not None:
                await self.dispatcher.start()
            if self.listener is not None:
                await self.listener.start()
            await self.accepter.start()
            if self.webhooks is not None:
                await self.webhooks.start()
            if self.retention is not None:
                self.retention.start()
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        if self.started:
            if self.retention is not None:
                await self.retention.stop()
            if self.webhooks is not None:
                await self.webhooks.stop()
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
            await self.statuses.stop()
            if self.membership is not None:
                # Last: until the status recorder has flushed, nobody may take us for dead.
                await self.membership.stop()
            if self.simulator is not None:
                await self.simulator.stop()
            self.started = False
        await self.transactions.close()
        await self.db.dispose()

    def _links(self) -> list[Link]:
        return list(self.dispatcher.links.values()) if self.dispatcher is not None else []

    def connections(self) -> list[ConnectionState]:
        """This process's SMPP connections and their binds (none without a dispatcher): for
        the console and anything else that shows them."""
        return connection_states(self._links())


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
        this_process(role or (ROLE_ALL if settings.dispatch else ROLE_API), settings.node_id)
        if shared
        else None
    )
    membership: Membership | None = None
    leases: LeaseManager | None = None
    listener: QueueListener | None = None
    realms = RealmStore(db)
    optouts = OptOutStore(db)
    senders = SenderDirectory(realms, region=settings.resolved_default_region)
    hot = TransactionRunner(db)  # every hot transaction; on SQLite the one write thread
    statuses = StatusRecorder(StatusStore(hot))
    simulator: SmscSimulator | None = None
    dispatcher: Dispatcher | None = None
    accept_transaction = AcceptTransaction(hot)
    accepter = Accepter(accept_transaction)
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
            InboundService(
                InboundStore(db, optouts),
                senders,
                default_region=settings.resolved_default_region,
                on_reply=lambda replies: dispatcher.enqueue(replies) if dispatcher else None,
                new_id=new_message_id,
            )
        )
        on_deliver = DeliverRouter(statuses, inbound)
        links = {c.name: Link(c, on_deliver, leased=shared) for c in connections}
        queue = QueueStore(
            db, hot, owner=node.node_id if node is not None else None, default_route=default
        )
        intake: Intake = (
            SharedIntake(queue, poll_interval=settings.poll_interval)
            if shared  # several dispatchers: NOTIFY and SKIP LOCKED claims
            else LocalIntake(queue, poll_interval=settings.poll_interval)  # hand-off and polling
        )
        dispatcher = Dispatcher(
            intake,
            queue,
            statuses,
            links,
            senders,
            optouts,
            default_link=default,
            batch=settings.dispatch_batch,
            poll_interval=settings.poll_interval,
        )
        # SQLite: one dispatcher, which takes what it has room for already claimed
        accepter = Accepter(
            accept_transaction,
            on_committed=dispatcher.enqueue,
            handoff=dispatcher if not shared else None,
        )
        if node is not None:
            lease_store = LeaseStore(db, node.node_id, lease_seconds=settings.node_timeout)
            leases = LeaseManager(lease_store, links.values())
            listener = QueueListener(
                db.url, dispatcher.wake, backoff=Backoff(*LISTENER_RECONNECT_SECONDS)
            )
    webhooks: WebhookSender | None = None
    retention: MessageRetention | None = None
    if settings.dispatch:
        client = WebhookClient(allow_private=settings.webhook_allow_private)
        webhooks = WebhookSender(HotOutbox(hot), client)
        retention = MessageRetention(MessageRetentionStore(hot), settings.message_retention_days)
    if node is not None:
        membership = Membership(
            NodeStore(db),
            node,
            node_timeout=settings.node_timeout,
            heartbeat_interval=settings.resolved_heartbeat_interval,
            coordinate=_coordinator(dispatcher, leases) if dispatcher is not None else None,
        )
    messages = MessageStore(db)
    api_keys = ApiKeys(ApiKeyStore(db), realms)
    region = settings.resolved_default_region
    json_api = JsonApi(
        keys=api_keys,
        sending=ApiSending(
            senders,
            accepter,
            IdempotencyStore(db),
            messages,
            region=region,
            new_id=new_message_id,
        ),
        history=History(HistoryStore(db), region=region),
        optouts=ApiOptOuts(
            OptOuts(optouts, Senders(realms, default_region=region), default_region=region)
        ),
        webhooks=ApiWebhooks(webhook_service(db, realms, settings)),
    )
    return Gateway(
        settings=settings,
        config=config,
        db=db,
        realms=realms,
        optouts=optouts,
        messages=messages,
        auth=Authenticator(realms.credential),
        senders=senders,
        accepter=accepter,
        sending=Sending(
            senders,
            accepter,
            default_region=settings.resolved_default_region,
            new_id=new_message_id,
        ),
        stopping=Stopping(senders, optouts, default_region=settings.resolved_default_region),
        api_keys=api_keys,
        json_api=json_api,
        transactions=hot,
        statuses=statuses,
        dispatcher=dispatcher,
        simulator=simulator,
        readiness=ReadinessCheck(lambda: probe_write(hot), _connections(dispatcher)),
        membership=membership,
        leases=leases,
        listener=listener,
        webhooks=webhooks,
        retention=retention,
    )


def build_dispatcher(settings: Settings) -> Gateway:
    """A dispatcher-only process (`smsgate dispatch`): no HTTP, node role "dispatch"."""
    return build(settings.model_copy(update={"dispatch": True}), role=ROLE_DISPATCH)


def _connections(
    dispatcher: Dispatcher | None,
) -> Callable[[], list[ConnectionState]] | None:
    """The live state of the dispatcher's connections, for readiness (None: no dispatcher)."""
    if dispatcher is None:
        return None
    return lambda: connection_states(dispatcher.links.values())


def _coordinator(
    dispatcher: Dispatcher, leases: LeaseManager | None
) -> Callable[[int], Awaitable[None]]:
    """What a dispatcher does after each reaper pass: share rates and binds among the live."""

    async def coordinate(live_dispatchers: int) -> None:
        dispatcher.set_peers(live_dispatchers)
        if leases is not None:
            await leases.tick(live_dispatchers)

    return coordinate
