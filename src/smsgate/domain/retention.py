"""Which messages the history may forget: the rule of `SMSGATE_MESSAGE_RETENTION_DAYS`.

A message is forgotten once it has not changed for the retention period and is no longer on
its way: never while `queued` (waiting, or waiting to be retried) or `sending` (claimed, a
submit may be in flight), whatever its age, so retention never loses a message that could still
be delivered. A `sent` message that has waited that long for a receipt is forgotten like a
final one: SMSCs keep a message for days at most, so no receipt will come for it; were one to
come, it is parked and dropped like any receipt that matches no message.
"""

from smsgate.domain.model import Status

DAY_SECONDS = 24 * 3600.0
ON_ITS_WAY = frozenset({Status.QUEUED.value, Status.SENDING.value})


def forgotten_before(now: float, retention_days: int) -> float | None:
    """Messages unchanged since before this time are forgotten (None: retention is off)."""
    return now - retention_days * DAY_SECONDS if retention_days > 0 else None


def may_forget(status: str, updated_at: float, before: float) -> bool:
    return status not in ON_ITS_WAY and updated_at < before
