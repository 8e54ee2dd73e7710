"""Build the deliver_sm an SMSC sends as a delivery receipt (SMPP 3.4 Appendix B).

Used by the simulator. The text follows the de-facto format
`id:<id> sub:001 dlvrd:001 submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DELIVRD err:000
text:<first 20 characters>`; the receipted_message_id and message_state TLVs are added as
SMPP 3.4 section 2.11 describes. Parsing receipts is `smsgate.domain.receipt`'s job.
"""

import time
from typing import Final

from smsgate.constants import DATA_CODING_UCS2, ESM_CLASS_RECEIPT, ESM_CLASS_UDHI
from smsgate.smpp.codes import TLV_MESSAGE_STATE, TLV_RECEIPTED_MESSAGE_ID, MessageState
from smsgate.smpp.pdu import DeliverSm, SubmitSm

RECEIPT_TEXT_CHARS: Final = 20  # Appendix B: "the first 20 characters of the short message"
_STATES: Final = {
    "ENROUTE": MessageState.ENROUTE,
    "DELIVRD": MessageState.DELIVERED,
    "EXPIRED": MessageState.EXPIRED,
    "DELETED": MessageState.DELETED,
    "UNDELIV": MessageState.UNDELIVERABLE,
    "ACCEPTD": MessageState.ACCEPTED,
    "UNKNOWN": MessageState.UNKNOWN,
    "REJECTD": MessageState.REJECTED,
}
_PRINTABLE: Final = bytes(c if 0x20 <= c < 0x7F else 0x3F for c in range(256))


def make_receipt(
    pdu: SubmitSm,
    *,
    text_id: str,
    tlv_id: str,
    stat: str = "DELIVRD",
    err: str = "000",
    submitted_at: float | None = None,
    done_at: float | None = None,
) -> DeliverSm:
    """The receipt for `pdu`: `text_id` goes in the text, `tlv_id` in receipted_message_id."""
    now = time.time()
    submit_date = time.strftime("%y%m%d%H%M", time.gmtime(submitted_at or now))
    done_date = time.strftime("%y%m%d%H%M", time.gmtime(done_at or now))
    delivered = "001" if stat == "DELIVRD" else "000"
    text = (
        f"id:{text_id} sub:001 dlvrd:{delivered} submit date:{submit_date} "
        f"done date:{done_date} stat:{stat} err:{err} text:"
    ).encode("ascii") + _excerpt(pdu)
    state = _STATES.get(stat, MessageState.UNKNOWN)
    return DeliverSm(
        source_addr_ton=pdu.dest_addr_ton,
        source_addr_npi=pdu.dest_addr_npi,
        source_addr=pdu.destination_addr,
        dest_addr_ton=pdu.source_addr_ton,
        dest_addr_npi=pdu.source_addr_npi,
        destination_addr=pdu.source_addr,
        esm_class=ESM_CLASS_RECEIPT,
        short_message=text,
        tlvs=(
            (TLV_RECEIPTED_MESSAGE_ID, tlv_id.encode("ascii") + b"\0"),
            (TLV_MESSAGE_STATE, bytes((state,))),
        ),
    )


def _excerpt(pdu: SubmitSm) -> bytes:
    """The first 20 characters of the message as printable ASCII ('?' for anything else).

    Not a text codec: enough to make receipts look real, UDH skipped, UCS-2 read as UTF-16.
    """
    data = pdu.payload
    if pdu.esm_class & ESM_CLASS_UDHI and data:
        data = data[1 + data[0] :]
    if pdu.data_coding == DATA_CODING_UCS2:
        chars = data.decode("utf-16-be", errors="replace")[:RECEIPT_TEXT_CHARS]
        return chars.encode("ascii", errors="replace")
    return data[:RECEIPT_TEXT_CHARS].translate(_PRINTABLE)
