"""Summaries over runs, the problems found in runs, and the results file."""

import json
from pathlib import Path
from typing import Any

import pytest
from bench.harness.options import Options
from bench.harness.report import check_runs, fmt, options_title, summarise, write_results
from bench.harness.targets import smsgate as smsgate_target
from bench.harness.targets.smsgate import SmsgateTarget


def _run(**changes: Any) -> dict[str, Any]:
    run = {
        "target": "smsgate",
        "run": 1,
        "ok": 300,
        "other": 0,
        "lost": 0,
        "drained": True,
        "delivered": 300,
        "sink_submits": 300,
        "errors": 0,
        "other_sample": "",
    }
    return {**run, **changes}


def test_a_summary_has_median_min_and_max_and_skips_missing_values() -> None:
    runs = [{"e2e_msg_s": v, "p99_ms": None} for v in (300.0, 100.0, 200.0)]
    summary = summarise(runs)
    assert summary["e2e_msg_s"] == {"median": 200.0, "min": 100.0, "max": 300.0}
    assert summary["p99_ms"] == {"median": None, "min": None, "max": None}


def test_a_missing_figure_prints_as_a_dash() -> None:
    assert fmt(None, "{:.1f}") == "-"
    assert fmt(12345.6, "{:,.0f}") == "12,346"


def test_good_runs_have_no_problem() -> None:
    assert check_runs([_run()], Options(requests=300, min_messages=300, smoke=True)) == []


def test_every_kind_of_problem_is_named() -> None:
    opts = Options(requests=300, min_messages=300)
    assert check_runs([_run(lost=2)], opts) == [
        "smsgate run 1: 2 accepted messages never reached the SMSC"
    ]
    assert "did not receive every accepted message" in check_runs([_run(drained=False)], opts)[0]
    assert check_runs([_run(delivered=299)], opts) == ["smsgate run 1: 299 delivered < 300"]
    assert check_runs([_run(ok=299)], opts) == ["smsgate run 1: 299 answers, not 300"]
    smoke = check_runs([_run(errors=1, other_sample="FAILURE")], Options(smoke=True))
    assert smoke == ["smsgate run 1: ok 300 != sink submits 300 or errors 1 ('FAILURE')"]


def test_the_title_names_the_target_setup_and_the_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(smsgate_target, "_default_api_workers", lambda: 1)  # a 2-CPU machine
    title = options_title(SmsgateTarget(Options(runs=2, duration=5)), Options(runs=2, duration=5))
    assert title == (
        "smsgate (database=sqlite, topology=serve (defaults: --api-workers 1), access_log=True, "
        "binds=1, window=500, request_receipts=False): 2 run(s) x 5 s, 50 connections, "
        "1 wrk thread(s)"
    )


def test_results_go_to_the_given_file(tmp_path: Path) -> None:
    path = write_results({"a": 1}, tmp_path / "sub" / "r.json")
    assert json.loads(path.read_text()) == {"a": 1}
