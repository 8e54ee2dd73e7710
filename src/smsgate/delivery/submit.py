"""From a stored message to the submit_sm PDUs that carry it: one per SMS part.

Parts were counted when the message was accepted (`domain.encoding.segment`); here they are
encoded (GSM 03.38 unpacked, data_coding 0, or UCS-2, data_coding 8) and, for a multipart
message, prefixed with a concatenation UDH with an 8-bit reference derived from the message id,
so a part sent again after a reconnect carries the same reference and the handset still joins it.
"""

import zlib
from dataclasses import dataclass

from smsgate.config import SmppConnectionConfig
from smsgate.constants import (
    DATA_CODING_GSM7,
    DATA_CODING_UCS2,
    ESM_CLASS_UDHI,
    REGISTERED_DELIVERY_FINAL,
)
from smsgate.delivery.queue_store import Outbound
from smsgate.domain.encoding import Encoding, concat_udh, encode_part, segment
from smsgate.smpp.pdu import SubmitSm

SHORT_CODE_MAX_DIGITS = 8  # longer numeric senders are long numbers (E.164)
TON_INTERNATIONAL, TON_NATIONAL, TON_NETWORK, TON_ALPHANUMERIC = 1, 2, 3, 5
NPI_UNKNOWN, NPI_ISDN = 0, 1


@dataclass(frozen=True, slots=True)
class Part:
    number: int  # 1-based
    pdu: SubmitSm


def source_address(code: str, config: SmppConnectionConfig) -> tuple[int, int]:
    """(TON, NPI) for a sender code: configured, or chosen by the kind of code."""
    if config.source_ton >= 0:
        return config.source_ton, config.source_npi
    if not code.isdigit():
        return TON_ALPHANUMERIC, NPI_UNKNOWN
    if len(code) <= SHORT_CODE_MAX_DIGITS:
        return TON_NETWORK, NPI_UNKNOWN
    return TON_INTERNATIONAL, NPI_ISDN


def reference(message_id: str) -> int:
    """The 8-bit concatenation reference of a message, stable across resends and restarts
    (`hash()` is salted per process, so it is not used)."""
    return zlib.crc32(message_id.encode()) & 0xFF


def build_parts(message: Outbound, config: SmppConnectionConfig) -> list[Part]:
    """The PDUs for every part of `message` not yet accepted by the SMSC."""
    # The message was segmented when it was accepted: one part is the whole text.
    texts = (message.text,) if message.parts == 1 else segment(message.text).parts
    encoding = Encoding(message.encoding)
    data_coding = DATA_CODING_GSM7 if encoding is Encoding.GSM7 else DATA_CODING_UCS2
    ton, npi = source_address(message.sender_code, config)
    total = len(texts)
    ref = reference(message.id)
    parts: list[Part] = []
    for number, text in enumerate(texts, start=1):
        if number in message.done_parts:
            continue
        payload = encode_part(encoding, text)
        esm_class = 0
        if total > 1:
            payload = concat_udh(ref, total, number) + payload
            esm_class = ESM_CLASS_UDHI
        pdu = SubmitSm(
            source_addr_ton=ton,
            source_addr_npi=npi,
            source_addr=message.sender_code,
            dest_addr_ton=config.dest_ton,
            dest_addr_npi=config.dest_npi,
            destination_addr=message.phone,
            esm_class=esm_class,
            registered_delivery=REGISTERED_DELIVERY_FINAL if config.request_receipts else 0,
            data_coding=data_coding,
            short_message=payload,
        )
        parts.append(Part(number, pdu))
    return parts
