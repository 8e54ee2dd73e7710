"""Tests for GSM 03.38 / UCS-2 encoding, segmentation and the concatenation UDH."""

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.constants import (
    GSM7_CONCAT_SEPTETS,
    GSM7_SINGLE_SEPTETS,
    UCS2_CONCAT_UNITS,
    UCS2_SINGLE_UNITS,
)
from smsgate.domain.encoding import (
    _AS_LATIN1,
    _DECODE_TABLE,
    _ESCAPED_RE,
    Encoding,
    Segmented,
    _unescape,
    choose_encoding,
    concat_udh,
    encode_part,
    gsm7_decode,
    gsm7_encode,
    measure,
    part_count,
    segment,
    split_udh,
    ucs2_decode,
    ucs2_encode,
)

BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
EXTENSION = "\f^{}\\[~]|€"
GSM_ALPHABET = BASIC + EXTENSION

gsm_text = st.text(alphabet=GSM_ALPHABET, max_size=800)
gsm_basic_text = st.text(alphabet=BASIC, max_size=800)


def septets(text: str) -> int:
    return len(gsm7_encode(text))


def utf16_units(text: str) -> int:
    return len(ucs2_encode(text)) // 2


def part_limit(seg: Segmented) -> int:
    if seg.count == 1:
        return GSM7_SINGLE_SEPTETS if seg.encoding is Encoding.GSM7 else UCS2_SINGLE_UNITS
    return GSM7_CONCAT_SEPTETS if seg.encoding is Encoding.GSM7 else UCS2_CONCAT_UNITS


def part_size(seg: Segmented, part: str) -> int:
    return septets(part) if seg.encoding is Encoding.GSM7 else utf16_units(part)


# --- alphabet and codecs ---


def test_alphabet_has_127_basic_chars_and_10_extension_chars() -> None:
    assert len(BASIC) == 127 and len(set(BASIC)) == 127
    assert all(choose_encoding(c) is Encoding.GSM7 for c in GSM_ALPHABET)
    assert [len(gsm7_encode(c)) for c in EXTENSION] == [2] * 10


@pytest.mark.parametrize(
    ("char", "code"),
    [("@", 0x00), ("£", 0x01), ("\n", 0x0A), ("Δ", 0x10), ("Æ", 0x1C), ("É", 0x1F),
     (" ", 0x20), ("¤", 0x24), ("¡", 0x40), ("A", 0x41), ("§", 0x5F), ("¿", 0x60),
     ("a", 0x61), ("à", 0x7F)],
)  # fmt: skip
def test_basic_codes(char: str, code: int) -> None:
    assert gsm7_encode(char) == bytes([code])


@pytest.mark.parametrize(
    ("char", "code"),
    [("\f", 0x0A), ("^", 0x14), ("{", 0x28), ("}", 0x29), ("\\", 0x2F), ("[", 0x3C),
     ("~", 0x3D), ("]", 0x3E), ("|", 0x40), ("€", 0x65)],
)  # fmt: skip
def test_extension_codes(char: str, code: int) -> None:
    assert gsm7_encode(char) == bytes([0x1B, code])


@pytest.mark.parametrize("text", ["`", "\t", "\x1b", "ç", "é\u0301", "Привет", "😀", "$`"])
def test_non_gsm_chars(text: str) -> None:
    assert choose_encoding(text) is Encoding.UCS2
    with pytest.raises(ValueError, match=r"GSM 03\.38"):
        gsm7_encode(text)


@given(st.text(alphabet=GSM_ALPHABET + "`\t\x1b\x00\x7fçé😀Ж", max_size=200))
def test_gsm7_encode_is_the_table_char_by_char_and_refuses_what_is_not_in_it(text: str) -> None:
    """One `translate` both encodes and checks: it fails exactly on the texts `choose_encoding`
    sends as UCS-2, naming the first character outside the alphabet."""
    table = BASIC[:0x1B] + "\x1b" + BASIC[0x1B:]  # 0x1B: the escape
    codes = {c: bytes([i]) for i, c in enumerate(table) if i != 0x1B}
    codes |= {c: gsm7_encode(c) for c in EXTENSION}
    bad = [c for c in text if c not in GSM_ALPHABET]
    if bad:
        assert choose_encoding(text) is Encoding.UCS2
        with pytest.raises(ValueError, match=re.escape(f"character {bad[0]!r} is not in")):
            gsm7_encode(text)
    else:
        assert gsm7_encode(text) == b"".join(codes[c] for c in text)


def test_gsm7_decode_choices() -> None:
    assert gsm7_decode(b"\x1b\x41") == "A"  # unknown extension code -> base char
    assert gsm7_decode(b"a\x1b\x1bb") == "a b"  # ESC ESC -> space
    assert gsm7_decode(b"ab\x1b") == "ab"  # dangling escape dropped
    assert gsm7_decode(b"a\x80\xff") == "a??"  # not 7-bit
    assert gsm7_decode(b"\x1b\x65\x00\x1b\x0a\x0a") == "€@\f\n"


def test_ucs2_codec() -> None:
    assert ucs2_encode("A😀") == b"\x00A\xd8\x3d\xde\x00"
    assert ucs2_decode(b"\x00A\xd8\x3d\xde\x00") == "A😀"
    assert ucs2_decode(b"\x00A\x00") == "A"  # dangling odd byte dropped
    assert ucs2_decode(b"\xd8\x3d\x00A") == "\ufffdA"  # lone surrogate replaced


@given(gsm_text)
def test_gsm7_round_trip(text: str) -> None:
    assert gsm7_decode(gsm7_encode(text)) == text


@given(st.binary())
def test_gsm7_decode_never_raises(data: bytes) -> None:
    assert len(gsm7_decode(data)) <= len(data)


@given(st.text())
def test_ucs2_round_trip(text: str) -> None:
    assert ucs2_decode(ucs2_encode(text)) == text


@given(st.binary())
def test_ucs2_decode_never_raises(data: bytes) -> None:
    assert len(ucs2_decode(data)) <= len(data) // 2


@given(st.text())
def test_choose_encoding_iff_representable(text: str) -> None:
    representable = all(c in GSM_ALPHABET for c in text)
    assert (choose_encoding(text) is Encoding.GSM7) == representable


@given(st.text(alphabet=st.characters(min_codepoint=0x0A, max_codepoint=0x7F), max_size=40))
def test_choose_encoding_of_ascii_text(text: str) -> None:
    """The printable-ASCII fast path of choose_encoding agrees with the alphabet."""
    representable = all(c in GSM_ALPHABET for c in text)
    assert (choose_encoding(text) is Encoding.GSM7) == representable


# --- segmentation examples ---


def test_empty_text_is_one_empty_gsm_part() -> None:
    assert segment("") == Segmented(Encoding.GSM7, ("",))
    assert part_count("") == 1


def test_160_ascii_is_one_part_161_is_two() -> None:
    assert segment("a" * 160) == Segmented(Encoding.GSM7, ("a" * 160,))
    seg = segment("a" * 161)
    assert seg.encoding is Encoding.GSM7
    assert seg.parts == ("a" * 153, "a" * 8)
    assert part_count("a" * 160) == 1 and part_count("a" * 161) == 2


def test_emoji_forces_ucs2_and_surrogate_pair_stays_whole() -> None:
    text = "😀" + "a" * 159
    assert utf16_units(text) == 161
    seg = segment(text)
    assert seg.encoding is Encoding.UCS2
    assert [utf16_units(p) for p in seg.parts] == [67, 67, 27]
    assert "".join(seg.parts) == text
    assert part_count(text) == 3


def test_surrogate_pair_at_the_cut_moves_to_next_part() -> None:
    text = "a" * 66 + "😀" + "a" * 10  # the emoji would be units 67 and 68
    seg = segment(text)
    assert seg.parts == ("a" * 66, "😀" + "a" * 10)
    assert [len(encode_part(seg.encoding, p)) for p in seg.parts] == [132, 24]


def test_euro_escapes() -> None:
    assert segment("€" * 80) == Segmented(Encoding.GSM7, ("€" * 80,))
    seg = segment("€" * 81)
    assert seg.encoding is Encoding.GSM7
    assert seg.parts == ("€" * 76, "€" * 5)  # 152 septets: a 77th would straddle the cut
    for part in seg.parts:
        encoded = gsm7_encode(part)
        assert len(encoded) <= GSM7_CONCAT_SEPTETS
        assert not encoded.endswith(b"\x1b") or encoded.endswith(b"\x1b\x65")
        assert gsm7_decode(encoded) == part
    assert part_count("€" * 81) == 2


def test_cyrillic_70_is_one_part_71_is_two() -> None:
    text = "Привет, мир! " * 6
    assert len(text) == 78
    assert segment(text[:70]) == Segmented(Encoding.UCS2, (text[:70],))
    seg = segment(text[:71])
    assert seg.encoding is Encoding.UCS2
    assert seg.parts == (text[:67], text[67:71])
    assert part_count(text[:71]) == 2


def test_too_many_parts() -> None:
    assert segment("a" * (153 * 255)).count == 255
    with pytest.raises(ValueError, match="255"):
        segment("a" * (153 * 255 + 1))
    with pytest.raises(ValueError, match="255"):
        part_count("a" * (153 * 255 + 1))
    with pytest.raises(ValueError, match="255"):
        segment("€" * (76 * 255 + 1))  # 153*255 septets would fit, but escapes waste one each


@pytest.mark.parametrize("encoding", [Encoding.GSM7, Encoding.UCS2])
def test_encode_part(encoding: Encoding) -> None:
    assert encode_part(encoding, "A€") == (
        b"\x41\x1b\x65" if encoding is Encoding.GSM7 else b"\x00A\x20\xac"
    )


# --- segmentation properties ---


def check_segmentation(text: str) -> Segmented:
    seg = segment(text)
    assert "".join(seg.parts) == text
    assert seg.encoding is choose_encoding(text)
    assert seg.count == part_count(text)
    assert measure(text) == (seg.encoding, seg.count)
    assert all(part for part in seg.parts) or seg.parts == ("",)
    limit = part_limit(seg)
    for part in seg.parts:
        assert part_size(seg, part) <= limit
        # decodes on its own: no escape or surrogate pair was cut
        if seg.encoding is Encoding.GSM7:
            assert gsm7_decode(gsm7_encode(part)) == part
        else:
            assert ucs2_decode(ucs2_encode(part)) == part
    total = sum(part_size(seg, p) for p in seg.parts)
    if seg.count > 1:
        assert total > (GSM7_SINGLE_SEPTETS if seg.encoding is Encoding.GSM7 else 70)
        # greedy: each part but the last is full up to one two-unit char
        assert all(part_size(seg, p) >= limit - 1 for p in seg.parts[:-1])
    return seg


@given(st.text(max_size=600))
def test_segment_any_text(text: str) -> None:
    check_segmentation(text)


@given(gsm_text)
def test_segment_gsm_text(text: str) -> None:
    assert check_segmentation(text).encoding is Encoding.GSM7


@given(gsm_basic_text)
def test_segment_gsm_without_escapes_is_minimal(text: str) -> None:
    seg = check_segmentation(text)
    expected = 1 if len(text) <= GSM7_SINGLE_SEPTETS else math.ceil(len(text) / 153)
    assert seg.count == expected


@given(
    st.text(
        alphabet=st.characters(
            max_codepoint=0xFFFF, exclude_categories=["Cs"], exclude_characters=GSM_ALPHABET
        )
    )
)
def test_segment_bmp_ucs2_is_minimal(text: str) -> None:
    seg = check_segmentation(text)
    if text:
        assert seg.encoding is Encoding.UCS2
    expected = 1 if len(text) <= UCS2_SINGLE_UNITS else math.ceil(len(text) / 67)
    assert seg.count == expected


# --- UDH ---


def test_concat_udh() -> None:
    assert concat_udh(0xAB, 3, 2) == bytes.fromhex("050003ab0302")
    for bad in [(256, 2, 1), (-1, 2, 1), (1, 2, 0), (1, 2, 3), (1, 256, 1)]:
        with pytest.raises(ValueError):
            concat_udh(*bad)


@given(st.integers(0, 255), st.integers(1, 255), st.data(), st.binary())
def test_udh_round_trip(ref: int, total: int, data: st.DataObject, payload: bytes) -> None:
    seq = data.draw(st.integers(1, total))
    assert split_udh(concat_udh(ref, total, seq) + payload) == ((ref, total, seq), payload)


def test_split_udh_16bit_and_other_ies() -> None:
    # 16-bit concat IE preceded by an unrelated IE (0x24, national language single shift)
    msg = bytes.fromhex("09240101080412340201") + b"hi"
    assert split_udh(msg) == ((0x1234, 2, 1), b"hi")
    assert split_udh(bytes.fromhex("03240101") + b"x") == (None, b"x")  # no concat IE
    assert split_udh(b"\x00abc") == (None, b"abc")  # empty UDH


@pytest.mark.parametrize(
    "msg",
    [b"", b"\x05\x00\x03\x01", b"\x06\x00\x03\x01\x02\x01", b"\x02\x00\x03", b"\x01\x00"],
)
def test_split_udh_malformed_returns_original(msg: bytes) -> None:
    assert split_udh(msg) == (None, msg)


@pytest.mark.parametrize("ies", ["0003010000", "0003010001", "0003010203"])
def test_split_udh_impossible_concat_values(ies: str) -> None:
    assert split_udh(bytes.fromhex("05" + ies) + b"x") == (None, b"x")


@given(st.binary())
def test_split_udh_never_raises(msg: bytes) -> None:
    info, payload = split_udh(msg)
    assert msg.endswith(payload)
    if info is not None:
        assert 1 <= info[2] <= info[1]


@given(st.text(alphabet="a😀", max_size=400))
def test_segment_dense_surrogates(text: str) -> None:
    seg = check_segmentation(text)
    assert all(not ("\ud800" <= p[-1:] <= "\udfff") for p in seg.parts)


@given(st.text(alphabet="a€{", max_size=400))
def test_segment_dense_escapes(text: str) -> None:
    seg = check_segmentation(text)
    assert seg.count >= math.ceil(septets(text) / 153)


def _gsm7_decode_by_table(data: bytes) -> str:
    """`gsm7_decode` without its latin-1 shortcut: the table and the escapes, always."""
    raw = data.decode("latin-1")
    if "\x1b" not in raw:
        return raw.translate(_DECODE_TABLE)
    pieces = _ESCAPED_RE.split(raw)
    return "".join(
        piece.translate(_DECODE_TABLE) if i % 2 == 0 else _unescape(piece)
        for i, piece in enumerate(pieces)
    )


# receipt-like octets: mostly those read as latin-1, now and then one that is not
_RECEIPT_OCTETS = st.binary() | st.lists(
    st.sampled_from(b"id:0aZ \r\n" + bytes([0x00, 0x11, 0x1B, 0x24, 0x40, 0x5F, 0x7F, 0x80]))
).map(bytes)


@given(_RECEIPT_OCTETS)
def test_gsm7_decode_of_latin1_octets_is_their_latin1(data: bytes) -> None:
    assert gsm7_decode(data) == _gsm7_decode_by_table(data)


def test_the_latin1_octets_are_read_alike_and_esc_is_not_one() -> None:
    assert 0x1B not in _AS_LATIN1
    assert gsm7_decode(_AS_LATIN1) == _gsm7_decode_by_table(_AS_LATIN1) == _AS_LATIN1.decode()
    assert len(_AS_LATIN1) > 80  # letters, digits, space and most punctuation
