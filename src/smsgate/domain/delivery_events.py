"""What the delivery path reports for the store to record: submit results and receipts.

The dispatcher and the SMPP sessions produce these; `services.statuses` batches them and
`store.statuses` writes each batch in one transaction. Records (domain/record.py): one or two
are made for every message sent, and a frozen dataclass's fields cost ~1,500 instructions each.
"""

from smsgate.domain.receipt import ReceiptState
from smsgate.domain.record import record


@record
class PartSent:
    message_id: str
    part_no: int
    connection: str
    smsc_id: str
    last: bool  # every part of the message has now been accepted


@record
class MessageFailed:
    message_id: str
    error: str
    smpp_status: int | None = None  # the submit_sm_resp command_status that refused it


@record
class ReceiptIn:
    connection: str
    smsc_id: str
    state: ReceiptState
    error: str | None
    received_at: float | None = None  # set when it comes back from `pending_receipts`
    done_date: str | None = None  # `done date:` as the SMSC wrote it (not kept when parked)


@record
class Sweep:
    """Match parked receipts again: their part may have been stored by another node, in a
    transaction that could not see the receipt being parked."""


StatusEvent = PartSent | MessageFailed | ReceiptIn | Sweep
