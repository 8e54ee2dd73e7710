"""Who sees what in the console: pure rules."""

from hypothesis import given
from hypothesis import strategies as st

from smsgate.domain.console import ConsoleUser, Viewer, name_error

OPERATOR = Viewer(ConsoleUser(1, "olga", None, None, 0.0), csrf="t")


def _user_of(realm_id: int) -> Viewer:
    return Viewer(ConsoleUser(2, "ann", realm_id, "north", 0.0), csrf="t")


@given(st.integers(min_value=1), st.one_of(st.none(), st.integers(min_value=1)))
def test_a_realm_user_sees_their_realm_only(own: int, other: int | None) -> None:
    viewer = _user_of(own)
    assert viewer.sees(other) == (other == own)
    assert OPERATOR.sees(other)
    assert not viewer.is_operator and OPERATOR.is_operator


def test_labels() -> None:
    assert OPERATOR.label == "olga"
    assert _user_of(3).label == "ann (north)"


def test_names() -> None:
    assert name_error("olga") is None
    assert name_error("") is not None
    assert name_error(" olga") is not None
    assert name_error("a" * 65) is not None
    assert name_error("ol\nga") is not None
