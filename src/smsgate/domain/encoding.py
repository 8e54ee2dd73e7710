"""GSM 03.38 / UCS-2 text encoding and SMS segmentation (concatenation with a UDH).

Choosing the data coding, cutting a message into parts and building the concatenation header
are pure rules from 3GPP TS 23.038 / 23.040. They run once per api_web request, so the
character tables are precomputed and the hot paths use C-level string operations
(`frozenset.issuperset`, `str.translate`, compiled regexes) rather than per-character Python
loops. Hand-written because the available libraries either pack septets (SMPP data_coding 0
carries one septet per octet, unpacked) or split escape / surrogate pairs across parts.

Decoding choices where the standard leaves room (all documented in `gsm7_decode`):
an unknown extension code decodes to the base-table character (23.038 6.2.1.1), ESC ESC
decodes to a space (23.038: "display a space until another extension table is defined"),
a dangling ESC at the end is dropped, and octets above 0x7F decode to "?".
"""

import re
from bisect import bisect_right
from dataclasses import dataclass
from enum import StrEnum
from itertools import accumulate
from typing import Final

from smsgate.constants import (
    GSM7_CONCAT_SEPTETS,
    GSM7_SINGLE_SEPTETS,
    MAX_CONCAT_PARTS,
    UCS2_CONCAT_UNITS,
    UCS2_SINGLE_UNITS,
)


class Encoding(StrEnum):
    """The two data codings the gateway sends with (SMPP data_coding 0x00 and 0x08)."""

    GSM7 = "gsm7"
    UCS2 = "ucs2"


_ESC: Final = 0x1B  # GSM 03.38 escape to the extension table
_UDH_IEI_CONCAT_8BIT: Final = 0x00  # concatenated SMS, 8-bit reference (3GPP 23.040 9.2.3.24.1)
_UDH_IEI_CONCAT_16BIT: Final = 0x08  # concatenated SMS, 16-bit reference (23.040 9.2.3.24.8)

# GSM 03.38 default alphabet, indexed by septet value; position 0x1B is the escape, not a char.
_BASIC: Final = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# Extension table reached with ESC; each of these costs two septets.
_EXTENSION: Final = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}
_GSM_CHARS: Final = frozenset(c for i, c in enumerate(_BASIC) if i != _ESC) | frozenset(_EXTENSION)
# The one printable ASCII character the alphabet lacks ("`"; the unpacking fails at import if
# the tables ever leave out another): `_is_gsm`'s fast path
(_ASCII_NOT_GSM,) = (c for c in map(chr, range(0x20, 0x7F)) if c not in _GSM_CHARS)
_EXT_RE: Final = re.compile("[" + re.escape("".join(_EXTENSION)) + "]")
_ASTRAL_RE: Final = re.compile("[\U00010000-\U0010ffff]")  # chars needing a surrogate pair

# An ASCII character outside the alphabet becomes one that is not ASCII, so that one
# `translate` + `encode("ascii")` encodes a text and fails on any character it cannot encode.
_ENCODE_TABLE: Final[dict[int, str]] = {
    **{i: "\x80" for i in range(0x80) if chr(i) not in _GSM_CHARS},
    **{ord(c): chr(i) for i, c in enumerate(_BASIC) if i != _ESC},
    **{ord(c): chr(_ESC) + chr(code) for c, code in _EXTENSION.items()},
}
# Indexed by octet: base-table char for 0x00-0x7F (ESC handled separately), "?" above.
_DECODE_TABLE: Final = tuple(_BASIC) + ("?",) * 128
_EXT_DECODE: Final = {code: c for c, code in _EXTENSION.items()}
_ESCAPED_RE: Final = re.compile("\x1b([\x00-\xff]?)")  # ESC plus the code it escapes
# The octets GSM 7-bit reads as latin-1 does (letters, digits, space, most punctuation, CR, LF):
# a delivery receipt's text is nearly always made of these alone, and `bytes.translate`
# deleting them tells so in C, for a third of what `str.translate` over the table costs.
_AS_LATIN1: Final = bytes(o for o in range(0x80) if o != _ESC and _DECODE_TABLE[o] == chr(o))


def _is_gsm(text: str) -> bool:
    if text.isascii() and text.isprintable():  # the usual text: a few `in`s, no set probes
        return _ASCII_NOT_GSM not in text
    return _GSM_CHARS.issuperset(text)


def choose_encoding(text: str) -> Encoding:
    """GSM7 iff every character is in the default alphabet or its extension table."""
    return Encoding.GSM7 if _is_gsm(text) else Encoding.UCS2


def gsm7_encode(text: str) -> bytes:
    """Unpacked GSM 03.38: one octet per septet, extension chars as ESC + code."""
    try:
        return text.translate(_ENCODE_TABLE).encode("ascii")
    except UnicodeEncodeError:  # a character outside the alphabet (see `_ENCODE_TABLE`)
        bad = next(c for c in text if c not in _GSM_CHARS)
        raise ValueError(f"character {bad!r} is not in the GSM 03.38 alphabet") from None


def _unescape(code: str) -> str:
    """Decode the octet after an ESC (given as a latin-1 char; "" when ESC was last)."""
    if not code:
        return ""  # dangling ESC at the very end: nothing to display
    value = ord(code)
    if value == _ESC:
        return " "  # ESC ESC: reserved for another extension table; 23.038 says show a space
    return _EXT_DECODE.get(value, _DECODE_TABLE[value])


def gsm7_decode(data: bytes) -> str:
    """Inverse of `gsm7_encode`; never raises.

    Unknown extension codes decode to the base-table char, ESC ESC to a space, a trailing
    lone ESC is dropped and octets above 0x7F (not GSM 7-bit) become "?".
    """
    raw = data.decode("latin-1")
    if not data.translate(None, _AS_LATIN1):
        return raw
    if "\x1b" not in raw:
        return raw.translate(_DECODE_TABLE)
    pieces = _ESCAPED_RE.split(raw)  # alternates: plain run, escaped code, plain run, ...
    out = [
        piece.translate(_DECODE_TABLE) if i % 2 == 0 else _unescape(piece)
        for i, piece in enumerate(pieces)
    ]
    return "".join(out)


def ucs2_encode(text: str) -> bytes:
    """UTF-16-BE (astral chars as surrogate pairs; a lone surrogate is passed through)."""
    return text.encode("utf-16-be", "surrogatepass")


def ucs2_decode(data: bytes) -> str:
    """UTF-16-BE; a dangling odd byte is dropped and broken surrogates become U+FFFD."""
    if len(data) % 2:
        data = data[:-1]
    return data.decode("utf-16-be", "replace")


@dataclass(frozen=True, slots=True)
class Segmented:
    """A message cut into parts that each fit one SMS of `encoding`."""

    encoding: Encoding
    parts: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.parts)


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _limits(encoding: Encoding) -> tuple[int, int]:
    if encoding is Encoding.GSM7:
        return GSM7_SINGLE_SEPTETS, GSM7_CONCAT_SEPTETS
    return UCS2_SINGLE_UNITS, UCS2_CONCAT_UNITS


def _wide_positions(encoding: Encoding, text: str) -> list[int]:
    """Indexes of chars that cost two units: escape pairs (GSM7) or surrogate pairs (UCS2)."""
    if encoding is Encoding.GSM7:
        if _EXT_RE.search(text) is None:  # the usual case: one search, no iterator
            return []
        return [m.start() for m in _EXT_RE.finditer(text)]
    if text.isascii() or max(text) <= "\uffff":
        return []
    return [m.start() for m in _ASTRAL_RE.finditer(text)]


def _check_parts(count: int) -> None:
    if count > MAX_CONCAT_PARTS:
        raise ValueError(f"message needs {count} parts; at most {MAX_CONCAT_PARTS} are allowed")


def _split(text: str, wide: list[int], limit: int) -> list[str]:
    """Greedy cut into runs of at most `limit` units, never splitting a two-unit char."""
    if not wide:
        return [text[i : i + limit] for i in range(0, len(text), limit)]
    costs = [1] * len(text)
    for i in wide:
        costs[i] = 2
    cumulative = list(accumulate(costs))  # cumulative[k] = units in text[: k + 1]
    parts: list[str] = []
    start = used = 0
    while start < len(text):
        end = bisect_right(cumulative, used + limit, lo=start)
        parts.append(text[start:end])
        used = cumulative[end - 1]
        start = end
    return parts


def segment(text: str) -> Segmented:
    """Cut `text` into SMS parts; ValueError if it needs more than 255 parts."""
    encoding = choose_encoding(text)
    single, concat = _limits(encoding)
    wide = _wide_positions(encoding, text)
    units = len(text) + len(wide)
    if units <= single:
        return Segmented(encoding, (text,))
    _check_parts(_ceil_div(units, concat))  # a lower bound: reject before building parts
    parts = _split(text, wide, concat)
    _check_parts(len(parts))
    return Segmented(encoding, tuple(parts))


def part_count(text: str) -> int:
    """`segment(text).count` without building parts unless escape/surrogate pairs matter."""
    return measure(text)[1]


def measure(text: str) -> tuple[Encoding, int]:
    """`segment(text)`'s encoding and count, without building parts unless escape/surrogate
    pairs matter (the record of every accepted message needs no more)."""
    encoding = choose_encoding(text)
    single, concat = _limits(encoding)
    wide = _wide_positions(encoding, text)
    units = len(text) + len(wide)
    if units <= single:
        return encoding, 1
    if wide:
        return encoding, segment(text).count
    count = _ceil_div(units, concat)
    _check_parts(count)
    return encoding, count


def encode_part(encoding: Encoding, part: str) -> bytes:
    """The short_message octets for one part (without UDH)."""
    return gsm7_encode(part) if encoding is Encoding.GSM7 else ucs2_encode(part)


def concat_udh(ref: int, total: int, seq: int) -> bytes:
    """The 6-octet concatenation UDH `05 00 03 ref total seq` (8-bit reference)."""
    if not 0 <= ref <= 0xFF:
        raise ValueError(f"reference {ref} does not fit in 8 bits")
    if not 1 <= seq <= total <= MAX_CONCAT_PARTS:
        raise ValueError(f"need 1 <= seq ({seq}) <= total ({total}) <= {MAX_CONCAT_PARTS}")
    return bytes((0x05, _UDH_IEI_CONCAT_8BIT, 0x03, ref, total, seq))


def split_udh(short_message: bytes) -> tuple[tuple[int, int, int] | None, bytes]:
    """Parse a leading UDH: ((ref, total, seq) or None, payload after the UDH).

    A structurally malformed UDH (length past the end, truncated IE) gives
    (None, short_message) unchanged. A well-formed UDH without a concatenation IE, or whose
    concatenation IE has impossible values (total or seq 0, seq > total), gives None with the
    UDH stripped. The first concatenation IE wins.
    """
    if not short_message:
        return None, short_message
    end = 1 + short_message[0]
    if end > len(short_message):
        return None, short_message
    header, payload = short_message[1:end], short_message[end:]
    concat: tuple[int, int, int] | None = None
    pos = 0
    while pos < len(header):
        if pos + 2 > len(header):
            return None, short_message
        iei, length = header[pos], header[pos + 1]
        data = header[pos + 2 : pos + 2 + length]
        if len(data) != length:
            return None, short_message
        if concat is None and iei == _UDH_IEI_CONCAT_8BIT and length == 3:
            concat = (data[0], data[1], data[2])
        elif concat is None and iei == _UDH_IEI_CONCAT_16BIT and length == 4:
            concat = ((data[0] << 8) | data[1], data[2], data[3])
        pos += 2 + length
    if concat is not None and not 1 <= concat[2] <= concat[1]:
        concat = None
    return concat, payload
