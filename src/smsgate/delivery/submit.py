"""From a stored message to the submit_sm bodies that carry it: one per SMS part.

The parts and their payloads are `domain.sms_parts.encode_message`'s; the concatenation
reference derives from the message id, so a part sent again after a reconnect carries the
same reference and the handset still joins it. A part is its number and its submit_sm body
(`smpp.encoder.submit_sm_body`), encoded once, here: the session puts a header in front of it
for each attempt.

Most messages are one part (the count stored when the message was accepted says so): that
part is the whole text, encoded, without segmenting it again or building the records of
`encode_message` (tests/unit/delivery/test_submit.py proves the bytes equal).
"""

from typing import Final, NamedTuple

from smsgate.config import SmppConnectionConfig
from smsgate.constants import (
    DATA_CODING_GSM7,
    DATA_CODING_UCS2,
    ESM_CLASS_UDHI,
    REGISTERED_DELIVERY_FINAL,
)
from smsgate.domain.encoding import Encoding, Segmented, gsm7_encode, ucs2_encode
from smsgate.domain.model import Message
from smsgate.domain.sms_parts import concat_reference, encode_message
from smsgate.smpp.encoder import submit_sm_body

SHORT_CODE_MAX_DIGITS = 8  # longer numeric senders are long numbers (E.164)
TON_INTERNATIONAL, TON_NATIONAL, TON_NETWORK, TON_ALPHANUMERIC = 1, 2, 3, 5
NPI_UNKNOWN, NPI_ISDN = 0, 1
_GSM7: Final = Encoding.GSM7.value
_UCS2: Final = Encoding.UCS2.value


class Part(NamedTuple):
    number: int  # 1-based
    body: bytes  # the submit_sm body (`smpp.encoder.submit_sm_body`)


def source_address(code: str, config: SmppConnectionConfig) -> tuple[int, int]:
    """(TON, NPI) for a sender code: configured, or chosen by the kind of code."""
    if config.source_ton >= 0:
        return config.source_ton, config.source_npi
    if not code.isdigit():
        return TON_ALPHANUMERIC, NPI_UNKNOWN
    if len(code) <= SHORT_CODE_MAX_DIGITS:
        return TON_NETWORK, NPI_UNKNOWN
    return TON_INTERNATIONAL, NPI_ISDN


def relative_validity(seconds: int) -> str:
    """SMPP 3.4 relative time (7.1.1) for `seconds`: `YYMMDDhhmmss000R` (days up to 99)."""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"0000{min(days, 99):02d}{hours:02d}{minutes:02d}{secs:02d}000R"


def build_parts(message: Message, config: SmppConnectionConfig) -> list[Part]:
    """The submit_sm of every part of `message` not yet accepted by the SMSC."""
    code, text = message.sender_code, message.text
    ton, npi = source_address(code, config)
    registered_delivery = REGISTERED_DELIVERY_FINAL if config.request_receipts else 0
    seconds = message.validity_seconds
    validity = relative_validity(seconds) if seconds else ""  # "": the SMSC's default

    if message.parts == 1 and message.encoding in (_GSM7, _UCS2):
        # Segmented when it was accepted: the one part is the whole text, without a UDH.
        if 1 in message.done_parts:
            return []  # accepted before a restart
        if message.encoding == _GSM7:
            data_coding, payload = DATA_CODING_GSM7, gsm7_encode(text)
        else:
            data_coding, payload = DATA_CODING_UCS2, ucs2_encode(text)
        only = submit_sm_body(
            ton, npi, code, config.dest_ton, config.dest_npi, message.phone, 0,
            registered_delivery, validity, data_coding, payload,
        )  # fmt: skip
        return [Part(1, only)]

    def body(esm_class: int, data_coding: int, short_message: bytes) -> bytes:
        return submit_sm_body(
            ton, npi, code, config.dest_ton, config.dest_npi, message.phone, esm_class,
            registered_delivery, validity, data_coding, short_message,
        )  # fmt: skip

    one = Segmented(Encoding(message.encoding), (text,)) if message.parts == 1 else None
    encoded = encode_message(text, concat_reference(message.id), segmented=one)
    return [
        Part(
            part.number, body(ESM_CLASS_UDHI if part.udhi else 0, encoded.data_coding, part.payload)
        )
        for part in encoded.parts
        if part.number not in message.done_parts
    ]
