"""The binds of a running gateway, read from the text its /metrics serves."""

from prometheus_client import CollectorRegistry, Gauge, generate_latest

from smsgate.http.metrics_client import parse_binds


def test_bound_sessions_and_held_slots_by_connection() -> None:
    registry = CollectorRegistry()
    bound = Gauge("smsgate_smpp_sessions_bound", "b", ["connection"], registry=registry)
    held = Gauge("smsgate_smpp_binds_held", "h", ["connection"], registry=registry)
    other = Gauge("smsgate_queue_depth", "q", registry=registry)
    bound.labels("carrier").set(2)
    bound.labels("backup").set(0)
    held.labels("carrier").set(3)
    other.set(99)
    binds = parse_binds(generate_latest(registry).decode())
    assert binds.bound == {"carrier": 2, "backup": 0}
    assert binds.held == {"carrier": 3}


def test_no_smpp_metrics_means_no_connections() -> None:
    binds = parse_binds("# nothing here\n")
    assert (binds.bound, binds.held) == ({}, {})
