"""Inbound (mobile-originated) deliver_sm: decoded here, recorded by `services.inbound`.

A multipart MO (UDH or SAR TLVs) is passed on as a part (`domain.inbound.MoPart`): the service
stores each part before it is acknowledged and reassembles the set before keyword matching. A
source that is neither a phone number nor an alphanumeric sender id (non-ASCII characters,
"²³¹...") is refused with ESME_RINVSRCADR and not stored.
"""

import logging

from smsgate.constants import DATA_CODING_UCS2, ESM_CLASS_UDHI
from smsgate.domain.encoding import gsm7_decode, split_udh, ucs2_decode
from smsgate.domain.inbound import MoPart
from smsgate.services.inbound import InboundService
from smsgate.smpp.codes import (
    TLV_SAR_MSG_REF_NUM,
    TLV_SAR_SEGMENT_SEQNUM,
    TLV_SAR_TOTAL_SEGMENTS,
    CommandStatus,
)
from smsgate.smpp.pdu import DeliverSm, get_tlv

log = logging.getLogger(__name__)

DATA_CODING_LATIN1 = 0x03


def decode_text(data_coding: int, payload: bytes) -> str:
    if data_coding == DATA_CODING_UCS2:
        return ucs2_decode(payload)
    if data_coding == DATA_CODING_LATIN1:
        return payload.decode("latin-1")
    return gsm7_decode(payload)


def _concat_info(pdu: DeliverSm) -> tuple[tuple[int, int, int] | None, bytes]:
    """((ref, total, seq) or None, the payload without UDH)."""
    payload = pdu.payload
    if pdu.esm_class & ESM_CLASS_UDHI:
        return split_udh(payload)
    ref = get_tlv(pdu.tlvs, TLV_SAR_MSG_REF_NUM)
    total = get_tlv(pdu.tlvs, TLV_SAR_TOTAL_SEGMENTS)
    seq = get_tlv(pdu.tlvs, TLV_SAR_SEGMENT_SEQNUM)
    if ref and total and seq:
        return (int.from_bytes(ref, "big"), total[0], seq[0]), payload
    return None, payload


class InboundHandler:
    """Handles one MO deliver_sm at a time (called by the link's deliver callback)."""

    def __init__(self, service: InboundService) -> None:
        self._service = service

    async def handle(self, connection: str, pdu: DeliverSm) -> int | None:
        """None once the MO is stored (or a part of it kept); an error status to refuse it."""
        if not self._service.accepts_source(pdu.source_addr):
            log.warning("MO from %r refused: not a phone number or sender id", pdu.source_addr)
            return CommandStatus.ESME_RINVSRCADR
        concat, payload = _concat_info(pdu)
        text = decode_text(pdu.data_coding, payload)
        received: str | MoPart = text
        # (a part number outside 1..total cannot be placed: kept as a message of its own)
        if concat is not None and concat[1] > 1 and 1 <= concat[2] <= concat[1]:
            ref, total, seq = concat
            source, destination = pdu.source_addr[:32], pdu.destination_addr[:32]
            received = MoPart(connection, source, destination, ref, total, seq, text)
        await self._service.record(connection, pdu.source_addr, pdu.destination_addr, received)
        return None
