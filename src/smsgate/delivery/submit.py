"""From a stored message to the submit_sm PDUs that carry it: one per SMS part.

The parts and their payloads are `domain.sms_parts.encode_message`'s; the concatenation
reference derives from the message id, so a part sent again after a reconnect carries the
same reference and the handset still joins it.
"""

from dataclasses import dataclass

from smsgate.config import SmppConnectionConfig
from smsgate.constants import ESM_CLASS_UDHI, REGISTERED_DELIVERY_FINAL
from smsgate.domain.encoding import Encoding, Segmented
from smsgate.domain.model import Message
from smsgate.domain.sms_parts import concat_reference, encode_message
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


def relative_validity(seconds: int) -> str:
    """SMPP 3.4 relative time (7.1.1) for `seconds`: `YYMMDDhhmmss000R` (days up to 99)."""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"0000{min(days, 99):02d}{hours:02d}{minutes:02d}{secs:02d}000R"


def build_parts(message: Message, config: SmppConnectionConfig) -> list[Part]:
    """The PDUs for every part of `message` not yet accepted by the SMSC."""
    # The message was segmented when it was accepted: one part is the whole text.
    one = Segmented(Encoding(message.encoding), (message.text,)) if message.parts == 1 else None
    encoded = encode_message(message.text, concat_reference(message.id), segmented=one)
    ton, npi = source_address(message.sender_code, config)
    registered_delivery = REGISTERED_DELIVERY_FINAL if config.request_receipts else 0
    seconds = message.validity_seconds
    validity = relative_validity(seconds) if seconds else ""  # "": the SMSC's default
    return [
        Part(
            part.number,
            SubmitSm(
                source_addr_ton=ton,
                source_addr_npi=npi,
                source_addr=message.sender_code,
                dest_addr_ton=config.dest_ton,
                dest_addr_npi=config.dest_npi,
                destination_addr=message.phone,
                esm_class=ESM_CLASS_UDHI if part.udhi else 0,
                registered_delivery=registered_delivery,
                validity_period=validity,
                data_coding=encoded.data_coding,
                short_message=part.payload,
            ),
        )
        for part in encoded.parts
        if part.number not in message.done_parts
    ]
