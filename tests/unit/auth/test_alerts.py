"""`RealmAlerts`: a WARNING and a metric when a realm collects many wrong passwords."""

import logging

import pytest
from prometheus_client import REGISTRY

from smsgate.auth.alerts import RealmAlerts
from tests.unit.auth.support import FakeClock


def alerts_total() -> float:
    return REGISTRY.get_sample_value("smsgate_auth_realm_alerts_total") or 0.0


def test_an_alert_at_the_threshold_within_the_window_once_per_window(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    alerts = RealmAlerts(threshold=3, window=60.0, clock=clock)
    before = alerts_total()
    with caplog.at_level(logging.WARNING, "smsgate.auth.alerts"):
        raised = []
        for _ in range(5):
            raised.append(alerts.failure("acme", known=True))
            clock.advance(10.0)
        clock.advance(60.0)
        raised += [alerts.failure("acme", known=True) for _ in range(3)]
    assert raised == [False, False, True, False, False, False, False, True]
    assert alerts_total() - before == 2
    [first, _] = [r for r in caplog.records if r.name == "smsgate.auth.alerts"]
    assert first.levelno == logging.WARNING
    assert first.getMessage().startswith("realm 'acme': 3 wrong passwords within 60 s")


def test_failures_spread_wider_than_the_window_raise_nothing(clock: FakeClock) -> None:
    alerts = RealmAlerts(threshold=3, window=60.0, clock=clock)
    raised = []
    for _ in range(10):
        raised.append(alerts.failure("acme", known=True))
        clock.advance(31.0)
    assert not any(raised)


def test_an_unknown_realm_is_named_as_such_and_quoted(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    alerts = RealmAlerts(threshold=1, window=60.0, clock=clock)
    with caplog.at_level(logging.WARNING, "smsgate.auth.alerts"):
        assert alerts.failure("evil\nINFO forged line" + "x" * 100, known=False)
    [record] = caplog.records
    assert "\n" not in record.getMessage() and "(no such realm)" in record.getMessage()


def test_memory_is_bounded(clock: FakeClock) -> None:
    alerts = RealmAlerts(threshold=2, window=60.0, max_realms=100, clock=clock)
    for n in range(1000):
        alerts.failure(f"made-up-{n}", known=False)
    assert len(alerts) == 100
