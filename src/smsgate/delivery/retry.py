"""The retry policy of a submitted part: what each submit_sm outcome means for the message.

- ESME_ROK: the part is accepted (its SMSC id is recorded);
- ESME_RTHROTTLED / ESME_RMSGQFUL: the link pauses and the part is sent again;
- a lost connection or a timeout (no response at all): sent again on the next bound session
  (at-least-once: the SMSC may have it already);
- ESME_RSYSERR: sent again, up to `SYSERR_ATTEMPTS` times, then the message fails;
- any other status: the message fails, with the SMPP status as its error.

Pure: the dispatcher asks `decide` and carries out the answer.
"""

import enum

from smsgate.smpp.codes import CommandStatus

RETRY_LATER = frozenset({CommandStatus.ESME_RTHROTTLED, CommandStatus.ESME_RMSGQFUL})
SYSERR_ATTEMPTS = 3  # ESME_RSYSERR is retried this many times before the message fails


class Action(enum.Enum):
    ACCEPTED = "accepted"  # record the part as sent
    RESEND = "resend"  # send the same part again now (a new session if the old one is gone)
    PAUSE_AND_RESEND = "pause"  # the SMSC is throttling: pause the link, then send again
    FAIL = "fail"  # the message fails for good (`status_text` is its error)


def decide(status: int | None, syserrs: int) -> Action:
    """What to do after a submit_sm whose response had `status` (None: no response, the
    connection was lost or timed out), when ESME_RSYSERR has been retried `syserrs` times."""
    if status is None:
        return Action.RESEND
    if status == CommandStatus.ESME_ROK:
        return Action.ACCEPTED
    if status in RETRY_LATER:
        return Action.PAUSE_AND_RESEND
    if status == CommandStatus.ESME_RSYSERR and syserrs < SYSERR_ATTEMPTS:
        return Action.RESEND
    return Action.FAIL


def status_text(status: int) -> str:
    """The error a message gets when the SMSC refused it with `status`."""
    try:
        name = CommandStatus(status).name
    except ValueError:
        name = "SMPP error"
    return f"{name} (0x{status:08X})"
