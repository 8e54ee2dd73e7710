"""rollup: a multipart message's status from its parts' receipt states."""

import pytest

from smsgate.domain.model import Status, rollup

D, U, E, R, X, K = "delivered", "undeliverable", "expired", "rejected", "deleted", "unknown"
S, A, N = "sent", "accepted", "enroute"


@pytest.mark.parametrize(
    ("states", "total", "expected"),
    [
        ([D], 1, Status.DELIVERED),
        ([U], 1, Status.UNDELIVERABLE),
        ([S], 1, Status.SENT),  # no receipt yet
        ([D, D, D], 3, Status.DELIVERED),
        ([D, D], 3, Status.SENT),  # a part has not been accepted yet
        ([D, D, S], 3, Status.SENT),  # a part has no receipt yet
        ([D, A, D], 3, Status.SENT),  # ACCEPTD is not final
        ([D, N, D], 3, Status.SENT),  # nor is ENROUTE
        ([D, U, D], 3, Status.UNDELIVERABLE),
        ([U, D, E], 3, Status.UNDELIVERABLE),  # the worst wins
        ([E, D], 2, Status.EXPIRED),
        ([R, U, E], 3, Status.REJECTED),
        ([X, D], 2, Status.DELETED),
        ([K, D], 2, Status.UNKNOWN),
        ([E, X, K], 3, Status.EXPIRED),
        ([], 1, Status.SENT),
    ],
)
def test_rollup(states: list[str], total: int, expected: Status) -> None:
    assert rollup(states, total) is expected
    assert rollup(list(reversed(states)), total) is expected  # order does not matter
