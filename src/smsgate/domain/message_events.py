"""What happened to an outbound message, event by event: its history as `GET /v1/messages/{id}`
shows it and as webhooks will push it.

Every event is written by the store in the same transaction as the change that causes it
(store/message_events.py), so the history never disagrees with the message's status:

- `accepted`: the message was committed, at its `created_at`. This one is the message row
  itself, not an event row: the accept transaction is the hot path (ADR 0014);
- `submitted`: the SMSC accepted one part (its SMSC message id, part number, SMPP status 0);
- `receipt`: a delivery receipt for one part (`stat`: the receipt state, `err`, the SMSC's
  `done date` as it wrote it);
- `failed`: the message will not be sent (an SMPP error with its status, opted out meanwhile,
  no route); `expired`: its validity ran out before it was sent.
"""

from dataclasses import dataclass
from enum import StrEnum


class EventType(StrEnum):
    ACCEPTED = "accepted"
    SUBMITTED = "submitted"
    RECEIPT = "receipt"
    FAILED = "failed"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class MessageEvent:
    """One event of one message; fields that do not apply to its type are None."""

    message_id: str
    type: EventType
    at: float  # epoch seconds
    part: int | None = None  # 1-based part number (submitted, receipt)
    smsc_message_id: str | None = None  # submitted, receipt
    smpp_status: int | None = None  # submitted (0), failed (the refusing command_status)
    stat: str | None = None  # receipt: domain.receipt.ReceiptState value
    err: str | None = None  # receipt: the SMSC's `err:` value as sent
    done_date: str | None = None  # receipt: `done date:` as sent (YYMMDDhhmm[ss], SMSC time)
    error: str | None = None  # failed / expired: why


def accepted(message_id: str, at: float) -> MessageEvent:
    return MessageEvent(message_id, EventType.ACCEPTED, at)


def submitted(message_id: str, at: float, part: int, smsc_message_id: str) -> MessageEvent:
    return MessageEvent(
        message_id,
        EventType.SUBMITTED,
        at,
        part=part,
        smsc_message_id=smsc_message_id,
        smpp_status=0,
    )


def failed(message_id: str, at: float, error: str, smpp_status: int | None = None) -> MessageEvent:
    return MessageEvent(message_id, EventType.FAILED, at, error=error, smpp_status=smpp_status)


def expired(message_id: str, at: float, error: str) -> MessageEvent:
    return MessageEvent(message_id, EventType.EXPIRED, at, error=error)


def receipt(
    message_id: str,
    at: float,
    *,
    part: int,
    smsc_message_id: str,
    stat: str,
    err: str | None,
    done_date: str | None,
) -> MessageEvent:
    return MessageEvent(
        message_id,
        EventType.RECEIPT,
        at,
        part=part,
        smsc_message_id=smsc_message_id,
        stat=stat,
        err=err,
        done_date=done_date,
    )
