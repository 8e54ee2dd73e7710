"""The opt-out scope rule."""

from hypothesis import given
from hypothesis import strategies as st

from smsgate.domain.optout import REALM_WIDE, is_blocked

_CODES = st.sampled_from(["12345", "55501", "ACME"])


def test_a_sender_code_opt_out_blocks_only_that_code() -> None:
    assert is_blocked("12345", {"12345"})
    assert not is_blocked("55501", {"12345"})


def test_a_realm_wide_opt_out_blocks_every_code() -> None:
    assert is_blocked("12345", {REALM_WIDE})
    assert is_blocked("ACME", [REALM_WIDE, "55501"])


def test_no_opt_out_blocks_nothing() -> None:
    assert not is_blocked("12345", ())


@given(code=_CODES, scopes=st.sets(st.one_of(_CODES, st.just(REALM_WIDE))))
def test_blocked_iff_a_scope_covers_the_code(code: str, scopes: set[str]) -> None:
    covering = [scope for scope in scopes if scope in (code, REALM_WIDE)]
    assert is_blocked(code, scopes) == bool(covering)
