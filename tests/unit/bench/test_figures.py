"""One run's figures from hand-made measurements."""

import pytest
from bench.harness.figures import (
    Measurements,
    cpu_growth_pct,
    db_figures,
    decay_pct,
    full_second_rates,
    run_figures,
)
from bench.harness.sampling import Usage


def _wrk(ok: int = 1000, other: int = 0, idle: int = 0, status_errors: int = 0) -> dict:
    return {
        "ok": ok,
        "other": other,
        "idle": idle,
        "requests": ok + other + idle,
        "duration_us": 2_000_000,
        "errors": {"connect": 0, "read": 0, "write": 0, "status": status_errors, "timeout": 0},
        "other_sample": "",
        "latency_us": {"p50": 1500, "p90": 3000, "p99": 8000, "p999": 9000, "max": 12000},
    }


def _sink(submits: int = 1000, distinct: int = 1000) -> dict:
    return {
        "submits": submits,
        "distinct_destinations": distinct,
        "first_submit": 100.1,
        "last_submit": 104.0,
        "per_second": {"101": 300, "102": 300, "103": 300, "104": 100},
        "deliver_sm_sent": 0,
        "deliver_sm_resp": 0,
        "binds": 1,
    }


def _measurements(**changes: object) -> Measurements:
    usage = Usage(
        target_cpu=0.5,
        sink_cpu=0.1,
        machine_busy=2.0,
        db_cpu=None,
        rss_before_kb=10240,
        rss_after_kb=20480,
        processes=1,
        samples=[(100.0, 10240, 0), (102.0, 30720, 20), (104.0, 20480, 50)],
    )
    values: dict = {
        "wrk": _wrk(),
        "sink": _sink(),
        "drained": True,
        "load_start": 100.0,
        "load_end": 102.0,
        "drain_end": 105.0,
        "wrk_cpu": 0.2,
        "usage": usage,
    }
    values.update(changes)
    return Measurements(**values)


def test_a_clean_run_delivers_everything_it_accepted() -> None:
    f = run_figures(_measurements())
    assert (f["ok"], f["delivered"], f["lost"], f["duplicates"], f["errors"]) == (
        1000,
        1000,
        0,
        0,
        0,
    )
    assert f["e2e_msg_s"] == pytest.approx(1000 / 4.0)  # last submit 4 s after load start
    assert f["http_rps"] == pytest.approx(500.0)
    assert f["p99_ms"] == 8.0
    assert f["cpu_us_per_msg"] == pytest.approx(500.0)
    assert f["cpu_cores_used"] == pytest.approx(0.1)  # 0.5 s over load start to drain end
    assert f["wrk_cpu_pct"] == pytest.approx(10.0)  # 0.2 s over the 2 s of load
    assert f["rss_before_mb"] == 10.0 and f["rss_after_mb"] == 20.0
    assert f["rss_peak_mb"] == 30.0  # the peak is in a sample, not at either end
    assert f["other_cpu_pct"] == pytest.approx((2.0 - 0.5 - 0.1 - 0.2) / 5 * 100)
    assert f["drain_seconds"] == 3.0


def test_accepted_messages_missing_at_the_sink_are_lost_and_resends_are_duplicates() -> None:
    f = run_figures(_measurements(sink=_sink(submits=990, distinct=980)))
    assert f["lost"] == 20
    assert f["duplicates"] == 10
    assert f["unanswered_accepted"] == 0


def test_messages_accepted_after_wrk_stopped_reading_are_not_lost() -> None:
    f = run_figures(_measurements(sink=_sink(submits=1003, distinct=1003)))
    assert f["lost"] == 0
    assert f["unanswered_accepted"] == 3


def test_the_idle_page_of_a_count_bounded_run_is_no_request() -> None:
    f = run_figures(_measurements(wrk=_wrk(ok=1000, idle=200)))
    assert f["http_rps"] == pytest.approx(500.0)
    assert f["requests"] == 1200


def test_errors_are_other_bodies_and_wrk_errors() -> None:
    assert run_figures(_measurements(wrk=_wrk(other=3, status_errors=2)))["errors"] == 5


def test_nothing_delivered_gives_no_cpu_per_message_and_no_rate() -> None:
    sink = {**_sink(submits=0, distinct=0), "last_submit": None}
    f = run_figures(_measurements(sink=sink, wrk=_wrk(ok=0)))
    assert f["cpu_us_per_msg"] is None
    assert f["e2e_msg_s"] == 0.0
    assert f["e2e_seconds"] is None


def test_only_whole_seconds_inside_the_load_count_for_the_rate() -> None:
    per_second = {"10": 5, "11": 100, "12": 90, "13": 7}
    assert full_second_rates(per_second, 10.4, 13.2) == [100, 90]


def test_decay_compares_the_last_third_with_the_first() -> None:
    assert decay_pct([100, 100, 90, 90, 80, 80]) == 20.0
    assert decay_pct([100] * 5) is None  # too short to tell
    assert decay_pct([0] * 6) is None


def test_cpu_growth_is_the_change_of_cpu_per_message_between_the_thirds() -> None:
    per_second = {str(s): 100 for s in range(1, 7)}
    # 1 tick per second at first, 2 per second at the end: twice as dear per message
    ticks = {0: 0, 1: 0, 2: 1, 3: 2, 4: 3, 5: 4, 6: 6, 7: 8}
    samples = [(float(t), 0, v) for t, v in ticks.items()]
    assert cpu_growth_pct(samples, per_second, 0.0, 7.0) == 100.0
    assert cpu_growth_pct([], per_second, 0.0, 7.0) is None


def test_database_figures_are_deltas_over_the_window() -> None:
    before = {"commits": 10, "inserted": 0, "updated": 0, "deleted": 0, "other_commits": 5}
    after = {"commits": 110, "inserted": 1000, "updated": 2000, "deleted": 0, "other_commits": 7}
    f = db_figures(0.5, before, after, submits=1000, window=5.0)
    assert f["db_commits"] == 100 and f["db_commits_per_s"] == 20.0
    assert f["db_msgs_per_commit"] == 10.0
    assert f["db_rows_updated_per_msg"] == 2.0
    assert f["db_cpu_us_per_msg"] == 500.0
    assert f["other_db_commits"] == 0  # our own two stats queries are not someone else's work


def test_without_a_database_only_its_cpu_keys_are_there_and_empty() -> None:
    assert db_figures(None, None, None, submits=10, window=1.0) == {
        "db_cpu_seconds": None,
        "db_cpu_us_per_msg": None,
        "db_cpu_pct": None,
    }
