"""What a text costs to send: its encoding, parts and length, and which characters force UCS-2.

`POST /v1/encoding` answers with this, so a sender can replace "smart quotes" and the like
before a 150-character text goes out as three UCS-2 parts instead of one GSM 03.38 part. The
rules are those of `encoding.segment`, the one used to send.
"""

from dataclasses import dataclass

from smsgate.domain.encoding import Encoding, choose_encoding, gsm7_encode, segment, ucs2_encode


@dataclass(frozen=True, slots=True)
class TextCost:
    encoding: Encoding
    parts: int
    length: int  # characters (Unicode code points)
    units: int  # GSM 03.38 septets (escaped characters count two) or UTF-16 code units
    ucs2_characters: tuple[str, ...]  # the characters outside GSM 03.38, first seen first


def text_cost(text: str) -> TextCost:
    """The cost of sending `text`; ValueError if it needs more parts than can be sent."""
    cut = segment(text)
    if cut.encoding is Encoding.GSM7:
        units = len(gsm7_encode(text))
        forcing: tuple[str, ...] = ()
    else:
        units = len(ucs2_encode(text)) // 2
        forcing = tuple(c for c in dict.fromkeys(text) if choose_encoding(c) is Encoding.UCS2)
    return TextCost(cut.encoding, cut.count, len(text), units, forcing)
