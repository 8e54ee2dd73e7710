"""The retention rule: a message unchanged since the cutoff is forgotten unless it is still on
its way (queued or sending), whatever its age; retention 0 forgets nothing."""

from hypothesis import given
from hypothesis import strategies as st

from smsgate.domain.model import Status
from smsgate.domain.retention import DAY_SECONDS, forgotten_before, may_forget


def test_the_cutoff() -> None:
    assert forgotten_before(1_000_000.0, 0) is None
    assert forgotten_before(1_000_000.0, 2) == 1_000_000.0 - 2 * DAY_SECONDS


@given(st.sampled_from(list(Status)), st.floats(0, 1e10), st.floats(0, 1e10))
def test_only_what_is_no_longer_on_its_way_and_old(
    status: Status, updated_at: float, before: float
) -> None:
    on_its_way = status in (Status.QUEUED, Status.SENDING)
    assert may_forget(status.value, updated_at, before) == (not on_its_way and updated_at < before)
