"""The overview's counts of today: a slow answer is reused for a while, a fast one is not."""

from typing import Any

from smsgate.constants import CONSOLE_OVERVIEW_REUSE_FACTOR
from smsgate.domain.console import ConsoleUser, Viewer
from smsgate.services.console_views import ConsoleViews

OPERATOR = Viewer(ConsoleUser(1, "olga", None, None, 0.0), csrf="t")
DAY = 86400.0


class FakeQueries:
    """Today's counts that take `took` seconds of a fake monotonic clock to compute."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.took = 0.0
        self.accepted = 0
        self.scans = 0

    def monotonic(self) -> float:
        return self.now

    async def since(self, first_id: str, realm_ids: Any) -> dict[tuple[int, str], int]:
        self.scans += 1
        self.now += self.took
        return {(1, "queued"): self.accepted}

    async def opted_out_since(self, epoch: float, realm_ids: Any) -> dict[int, int]:
        return {}

    async def realm_names(self) -> dict[int, str]:
        return {1: "north"}

    async def waiting(self, realm_ids: Any) -> dict[str, int]:
        return {}

    async def stops_since(self, epoch: float, realm_ids: Any) -> int:
        return 0

    async def bind_leases(self) -> list[Any]:
        return []


def _views(queries: FakeQueries) -> ConsoleViews:
    return ConsoleViews(
        queries,  # type: ignore[arg-type]
        directory=None,  # type: ignore[arg-type]
        clock=lambda: 20 * DAY + 3600,
        monotonic=queries.monotonic,
    )


async def test_a_slow_count_is_reused_for_a_while() -> None:
    queries = FakeQueries()
    views = _views(queries)
    queries.took, queries.accepted = 1.0, 5
    assert (await views.overview(OPERATOR)).realms[0].accepted == 5
    queries.accepted = 6
    queries.now += CONSOLE_OVERVIEW_REUSE_FACTOR * 1.0 - 0.5
    assert (await views.overview(OPERATOR)).realms[0].accepted == 5  # reused
    queries.now += 1.0
    assert (await views.overview(OPERATOR)).realms[0].accepted == 6
    assert queries.scans == 2


async def test_a_fast_count_is_live() -> None:
    queries = FakeQueries()
    views = _views(queries)
    for accepted in range(3):
        queries.accepted = accepted
        queries.now += 0.001
        assert (await views.overview(OPERATOR)).today == {"queued": accepted}
    assert queries.scans == 3
