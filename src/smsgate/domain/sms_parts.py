"""A message text as the short_message payloads that carry it: one per SMS part.

The one rule for turning text into parts, used to send (`delivery.submit`) and by the built-in
simulator's MO hook: `encoding.segment` cuts the text, each part is encoded (GSM 03.38
unpacked, or UCS-2), and a multipart message gets a concatenation UDH in front of every part.
The PDU around a payload is the SMPP layer's business.
"""

import zlib
from dataclasses import dataclass

from smsgate.constants import DATA_CODING_GSM7, DATA_CODING_UCS2
from smsgate.domain.encoding import Encoding, Segmented, concat_udh, encode_part, segment


@dataclass(frozen=True, slots=True)
class EncodedPart:
    number: int  # 1-based
    payload: bytes  # short_message octets, the UDH included when `udhi`
    udhi: bool  # a concatenation UDH leads the payload (set esm_class UDHI)


@dataclass(frozen=True, slots=True)
class EncodedMessage:
    encoding: Encoding
    data_coding: int  # SMPP data_coding: 0 (GSM 03.38) or 8 (UCS-2)
    parts: tuple[EncodedPart, ...]


def concat_reference(message_id: str) -> int:
    """The 8-bit concatenation reference of a message, stable across resends and restarts
    (`hash()` is salted per process, so it is not used)."""
    return zlib.crc32(message_id.encode()) & 0xFF


def encode_message(
    text: str, reference: int, *, segmented: Segmented | None = None
) -> EncodedMessage:
    """Every part of `text`, encoded; `segmented`: `segment(text)` if the caller has it.
    ValueError if the text needs more than 255 parts."""
    cut = segmented if segmented is not None else segment(text)
    encoding = cut.encoding
    data_coding = DATA_CODING_GSM7 if encoding is Encoding.GSM7 else DATA_CODING_UCS2
    total = cut.count
    if total == 1:
        return EncodedMessage(
            encoding, data_coding, (EncodedPart(1, encode_part(encoding, text), False),)
        )
    parts = tuple(
        EncodedPart(
            number, concat_udh(reference, total, number) + encode_part(encoding, part), True
        )
        for number, part in enumerate(cut.parts, start=1)
    )
    return EncodedMessage(encoding, data_coding, parts)
