"""`smsgate status`: one report of what the gateway is doing, from the database and the
running gateway's metrics.

From the database (store/stats.py), so it holds for every process sharing it: the queue depth
by status, messages accepted over the last minute and hour (and what became of them), inbound
STOPs since midnight UTC, the webhook backlog (the deliveries still to make, new or retrying:
status `pending`; not delivered, failed or cancelled ones), and on PostgreSQL the live nodes
and bind leases. From the running gateway (its `/metrics`, `LiveGateway`): the SMPP sessions
bound per connection, which only the process holding them knows. If it cannot be reached the
report says so and shows the rest.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from smsgate.domain.binds import BindLease

WINDOWS = (("last minute", 60.0), ("last hour", 3600.0))


class StatsPort(Protocol):
    async def queue_depth(self) -> dict[str, int]: ...
    async def made_since(self, since: float) -> dict[str, int]: ...
    async def inbound_stops_since(self, since: float) -> int: ...
    async def webhook_backlog(self) -> int: ...
    async def nodes_alive(self, since: float) -> dict[str, int]: ...
    async def bind_leases(self) -> list[BindLease]: ...


class GatewayUnreachable(Exception):
    """The running gateway did not answer (one line: why)."""


@dataclass(frozen=True, slots=True)
class LiveBinds:
    """What the running gateway reports of its SMPP connections, by connection name."""

    bound: dict[str, int]  # sessions bound
    held: dict[str, int]  # bind slots held (leased, on PostgreSQL)


class LiveGateway(Protocol):
    where: str  # e.g. its URL, for the report

    async def binds(self) -> LiveBinds: ...  # GatewayUnreachable if it cannot tell


@dataclass(frozen=True, slots=True)
class Window:
    name: str
    seconds: float
    accepted: int
    per_second: float
    by_status: dict[str, int]  # what the messages accepted in the window are now


@dataclass(frozen=True, slots=True)
class ConnectionReport:
    name: str
    binds: int  # configured
    bound: int | None  # None: the gateway could not be asked
    held: int | None
    leased: int | None  # slots with a live lease in the database (PostgreSQL only)

    @property
    def state(self) -> str:
        if self.bound is None:
            return "unknown"
        return "up" if self.bound > 0 else "down"


@dataclass(frozen=True, slots=True)
class StatusReport:
    at: float
    database: str  # "sqlite" | "postgresql"
    queue: dict[str, int]
    windows: list[Window]
    connections: list[ConnectionReport]
    gateway: str
    gateway_error: str | None
    inbound_stops_today: int
    webhook_backlog: int  # webhook deliveries still to make, every realm's
    nodes_alive: dict[str, int] | None  # PostgreSQL only


def start_of_day(now: float) -> float:
    """Midnight UTC of `now`'s day."""
    day = datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day.timestamp()


async def status_report(
    stats: StatsPort,
    live: LiveGateway,
    connections: dict[str, int],
    *,
    shared: bool,
    node_timeout: float,
    now: float | None = None,
) -> StatusReport:
    """`connections`: the configured SMPP connections and their binds; `shared`: PostgreSQL,
    where nodes and bind leases are in the database."""
    now = time.time() if now is None else now
    windows = []
    for name, seconds in WINDOWS:
        by_status = await stats.made_since(now - seconds)
        accepted = sum(by_status.values())
        windows.append(Window(name, seconds, accepted, accepted / seconds, by_status))
    try:
        binds: LiveBinds | None = await live.binds()
        error = None
    except GatewayUnreachable as exc:
        binds, error = None, str(exc)
    leased: dict[str, int] | None = None
    if shared:
        leased = {}
        for lease in await stats.bind_leases():
            if lease.live(now):
                leased[lease.connection] = leased.get(lease.connection, 0) + 1
    return StatusReport(
        at=now,
        database="postgresql" if shared else "sqlite",
        queue=await stats.queue_depth(),
        windows=windows,
        connections=[
            ConnectionReport(
                name=name,
                binds=count,
                bound=binds.bound.get(name, 0) if binds is not None else None,
                held=binds.held.get(name, 0) if binds is not None else None,
                leased=leased.get(name, 0) if leased is not None else None,
            )
            for name, count in sorted(connections.items())
        ],
        gateway=live.where,
        gateway_error=error,
        inbound_stops_today=await stats.inbound_stops_since(start_of_day(now)),
        webhook_backlog=await stats.webhook_backlog(),
        nodes_alive=await stats.nodes_alive(now - node_timeout) if shared else None,
    )


class StatusReports:
    """The use case behind `smsgate status`: a report for the gateway at a given URL."""

    def __init__(
        self,
        stats: StatsPort,
        live: Callable[[str], LiveGateway],
        connections: Callable[[], dict[str, int]],
        *,
        shared: bool,
        node_timeout: float,
    ) -> None:
        """`live(url)`: the running gateway there; `connections()`: the configured SMPP
        connections and their binds (read when asked: a bad config file fails this command
        only, with its own one-line error)."""
        self._stats = stats
        self._live = live
        self._connections = connections
        self._shared = shared
        self._node_timeout = node_timeout

    async def report(self, url: str) -> StatusReport:
        return await status_report(
            self._stats,
            self._live(url),
            self._connections(),
            shared=self._shared,
            node_timeout=self._node_timeout,
        )
