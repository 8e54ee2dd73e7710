"""Delivery receipts: from a deliver_sm to a `ReceiptIn` for the status recorder.

The SMSC message id comes from the receipted_message_id TLV when present, else from the `id:`
field of the receipt text; the state from the message_state TLV, else from `stat:`. Ids are
matched in every spelling (hex/decimal, case, leading zeros) by the status store.
"""

from smsgate.constants import ESM_CLASS_RECEIPT
from smsgate.domain.delivery_events import ReceiptIn
from smsgate.domain.encoding import gsm7_decode
from smsgate.domain.receipt import ReceiptState, parse_receipt, state_from_message_state
from smsgate.smpp.codes import TLV_MESSAGE_STATE, TLV_RECEIPTED_MESSAGE_ID
from smsgate.smpp.pdu import DeliverSm, get_tlv

_MESSAGE_TYPE_MASK = 0x3C  # esm_class bits 2-5: the message type of a deliver_sm


def is_receipt(pdu: DeliverSm) -> bool:
    return pdu.esm_class & _MESSAGE_TYPE_MASK == ESM_CLASS_RECEIPT


def to_receipt(connection: str, pdu: DeliverSm) -> ReceiptIn | None:
    """The receipt carried by `pdu`, or None when it names no message id at all."""
    parsed = parse_receipt(
        gsm7_decode(pdu.payload) if pdu.data_coding == 0 else pdu.payload.decode("latin-1"),
        dates=False,
    )
    raw_id = get_tlv(pdu.tlvs, TLV_RECEIPTED_MESSAGE_ID)
    smsc_id = raw_id.rstrip(b"\x00").decode("latin-1").strip() if raw_id else parsed.message_id
    if not smsc_id:
        return None
    state = parsed.state
    raw_state = get_tlv(pdu.tlvs, TLV_MESSAGE_STATE)
    if raw_state and (state is ReceiptState.UNKNOWN or len(raw_state) == 1):
        state = state_from_message_state(raw_state[0])
    return ReceiptIn(
        connection=connection,
        smsc_id=smsc_id,
        state=state,
        error=parsed.error,
        done_date=parsed.done_date_text,
    )
