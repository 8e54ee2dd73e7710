"""The status report: what the database counts and the running gateway reports, put together;
the gateway's absence is reported, not fatal."""

from datetime import UTC, datetime

from smsgate.domain.binds import BindLease
from smsgate.services.status_report import (
    GatewayUnreachable,
    LiveBinds,
    start_of_day,
    status_report,
)

NOW = datetime(2026, 12, 5, 7, 30, tzinfo=UTC).timestamp()


class Stats:
    def __init__(self) -> None:
        self.asked: list[tuple[str, float]] = []

    async def queue_depth(self) -> dict[str, int]:
        return {"queued": 4, "sending": 2}

    async def made_since(self, since: float) -> dict[str, int]:
        self.asked.append(("made", since))
        return {"delivered": 50, "failed": 10} if NOW - since > 60 else {"queued": 6}

    async def inbound_stops_since(self, since: float) -> int:
        self.asked.append(("stops", since))
        return 3

    async def webhook_backlog(self) -> int:
        return 7

    async def nodes_alive(self, since: float) -> dict[str, int]:
        self.asked.append(("nodes", since))
        return {"all": 2}

    async def bind_leases(self) -> list[BindLease]:
        return [
            BindLease("a", 0, "n1", NOW + 5),
            BindLease("a", 1, "n2", NOW - 5),  # expired
            BindLease("b", 0, None, 0.0),
        ]


class Live:
    where = "http://127.0.0.1:8080"

    def __init__(self, binds: LiveBinds | None) -> None:
        self._binds = binds

    async def binds(self) -> LiveBinds:
        if self._binds is None:
            raise GatewayUnreachable("connection refused")
        return self._binds


async def test_a_report_from_sqlite_and_a_reachable_gateway() -> None:
    stats = Stats()
    live = Live(LiveBinds(bound={"a": 2}, held={"a": 2}))
    report = await status_report(
        stats, live, {"a": 2, "b": 1}, shared=False, node_timeout=15, now=NOW
    )
    assert report.queue == {"queued": 4, "sending": 2}
    minute, hour = report.windows
    assert (minute.accepted, minute.per_second) == (6, 0.1)
    assert (hour.accepted, hour.by_status) == (60, {"delivered": 50, "failed": 10})
    assert [(c.name, c.bound, c.state, c.leased) for c in report.connections] == [
        ("a", 2, "up", None),
        ("b", 0, "down", None),
    ]
    assert report.gateway_error is None
    assert report.inbound_stops_today == 3
    assert ("stops", start_of_day(NOW)) in stats.asked
    assert report.webhook_backlog == 7 and report.nodes_alive is None
    assert report.database == "sqlite"


async def test_on_postgresql_leases_and_nodes_come_from_the_database() -> None:
    stats = Stats()
    report = await status_report(
        stats, Live(None), {"a": 2, "b": 1}, shared=True, node_timeout=15, now=NOW
    )
    assert [(c.name, c.leased, c.bound, c.state) for c in report.connections] == [
        ("a", 1, None, "unknown"),  # one live lease; the gateway could not be asked
        ("b", 0, None, "unknown"),
    ]
    assert report.gateway_error == "connection refused"
    assert report.nodes_alive == {"all": 2}
    assert ("nodes", NOW - 15) in stats.asked


def test_the_day_starts_at_midnight_utc() -> None:
    assert start_of_day(NOW) == datetime(2026, 12, 5, tzinfo=UTC).timestamp()
