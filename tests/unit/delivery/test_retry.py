"""The retry policy of a submitted part."""

from hypothesis import given
from hypothesis import strategies as st

from smsgate.delivery.retry import RETRY_LATER, SYSERR_ATTEMPTS, Action, decide, status_text
from smsgate.smpp.codes import CommandStatus


def test_accepted_throttled_and_lost() -> None:
    assert decide(CommandStatus.ESME_ROK, 0) is Action.ACCEPTED
    assert decide(CommandStatus.ESME_RTHROTTLED, 0) is Action.PAUSE_AND_RESEND
    assert decide(CommandStatus.ESME_RMSGQFUL, 99) is Action.PAUSE_AND_RESEND
    assert decide(None, 99) is Action.RESEND  # no response: at-least-once, send again


def test_syserr_is_retried_a_few_times_then_fails() -> None:
    verdicts = [decide(CommandStatus.ESME_RSYSERR, n) for n in range(SYSERR_ATTEMPTS + 2)]
    assert verdicts == [Action.RESEND] * SYSERR_ATTEMPTS + [Action.FAIL] * 2


@given(st.integers(min_value=0, max_value=0xFFFFFFFF), st.integers(min_value=0, max_value=10))
def test_every_other_status_fails_the_message(status: int, syserrs: int) -> None:
    special = {CommandStatus.ESME_ROK, CommandStatus.ESME_RSYSERR, *RETRY_LATER}
    if status not in special:
        assert decide(status, syserrs) is Action.FAIL


def test_status_text_names_the_status() -> None:
    assert status_text(CommandStatus.ESME_RINVDSTADR) == "ESME_RINVDSTADR (0x0000000B)"
    assert status_text(0x0400) == "SMPP error (0x00000400)"
