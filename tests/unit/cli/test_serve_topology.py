"""The topology plain `smsgate serve` picks: one API worker in front of the gateway where two
or more CPUs are usable and it dispatches; one process on one CPU; none beside `--workers N`
or `--no-dispatch`, which are topologies of their own."""

import pytest

from smsgate.cli.serve import default_api_workers


@pytest.mark.parametrize(
    ("cpus", "workers", "dispatch", "expected"),
    [
        (1, 1, True, 0),
        (2, 1, True, 1),
        (64, 1, True, 1),
        (2, 4, True, 0),
        (2, 1, False, 0),
    ],
)
def test_the_default(cpus: int, workers: int, dispatch: bool, expected: int) -> None:
    assert default_api_workers(cpus, workers=workers, dispatch=dispatch) == expected
