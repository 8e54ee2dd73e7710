"""`bench.ab`: the order of its runs and its pair ratios."""

import pytest
from bench.ab import order, pair_ratios, summarise


def test_every_side_goes_first_in_half_of_the_pairs() -> None:
    assert order(4) == "ABBAABBA"
    assert order(1) == "AB"


def test_ratios_are_b_over_a_within_each_pair_whatever_its_order() -> None:
    runs = [
        {"side": "A", "e2e_msg_s": 100.0, "cpu_us_per_msg": 10.0, "p99_ms": 4.0},
        {"side": "B", "e2e_msg_s": 110.0, "cpu_us_per_msg": 9.0, "p99_ms": 4.0},
        {"side": "B", "e2e_msg_s": 90.0, "cpu_us_per_msg": 12.0, "p99_ms": 6.0},
        {"side": "A", "e2e_msg_s": 60.0, "cpu_us_per_msg": 15.0, "p99_ms": 3.0},
    ]
    assert pair_ratios(runs, "e2e_msg_s") == [1.1, 1.5]
    summary = summarise(runs)["e2e_msg_s"]
    assert summary["a_median"] == 80.0 and summary["b_median"] == 100.0
    assert (summary["ratio_min"], summary["ratio_max"]) == (1.1, 1.5)
    assert summary["ratio_median"] == pytest.approx(1.3)
