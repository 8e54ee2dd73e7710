"""Tests for delivery-receipt parsing and message-id matching."""

from dataclasses import replace
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.domain.receipt import (
    _USUAL_RE,
    Receipt,
    ReceiptState,
    _parse_date,
    is_final,
    message_id_variants,
    normalise_message_id,
    parse_receipt,
    state_from_message_state,
    state_from_stat,
)
from smsgate.domain.receipt import _fields as fields
from smsgate.domain.receipt import _scan_fields as scan_fields

STANDARD = (
    "id:0123456789 sub:001 dlvrd:001 submit date:2401021530 done date:240102153145 "
    "stat:DELIVRD err:000 text:Hello there"
)


def test_standard_receipt() -> None:
    assert parse_receipt(STANDARD) == Receipt(
        message_id="0123456789",
        state=ReceiptState.DELIVERED,
        error="000",
        submit_date=datetime(2024, 1, 2, 15, 30),
        done_date=datetime(2024, 1, 2, 15, 31, 45),
        done_date_text="240102153145",
    )


def test_without_dates_only_the_dates_are_left_out() -> None:
    assert parse_receipt(STANDARD, dates=False) == replace(
        parse_receipt(STANDARD), submit_date=None, done_date=None
    )


@pytest.mark.parametrize("key", ["SUBMIT DATE", "Submit_Date", "submit\t date", "sUbMiT_dAtE"])
def test_any_spelling_of_a_date_key(key: str) -> None:
    assert parse_receipt(f"id:1 {key}:2401010000").submit_date == datetime(2024, 1, 1, 0, 0)


def test_reordered_upper_case_extra_spaces_missing_fields() -> None:
    text = "  STAT:undeliv   ERR:0x0B  Done Date:2312312359   ID:abc123  "
    assert parse_receipt(text) == Receipt(
        message_id="abc123",
        state=ReceiptState.UNDELIVERABLE,
        error="0x0B",
        submit_date=None,
        done_date=datetime(2023, 12, 31, 23, 59),
        done_date_text="2312312359",
    )


def test_underscored_and_doubly_spaced_date_keys() -> None:
    receipt = parse_receipt("id:1 submit_date:2401010000 done  date:2401010001 stat:EXPIRED")
    assert receipt.submit_date == datetime(2024, 1, 1, 0, 0)
    assert receipt.done_date == datetime(2024, 1, 1, 0, 1)
    assert receipt.state is ReceiptState.EXPIRED


def test_message_text_cannot_override_fields() -> None:
    text = "id:7 stat:UNDELIV err:001 text:stat:DELIVRD id:8 err:000"
    receipt = parse_receipt(text)
    assert (receipt.message_id, receipt.state, receipt.error) == (
        "7",
        ReceiptState.UNDELIVERABLE,
        "001",
    )


def test_first_occurrence_wins() -> None:
    assert parse_receipt("stat:REJECTD stat:DELIVRD").state is ReceiptState.REJECTED


def test_empty_values_are_none() -> None:
    receipt = parse_receipt("id: err: stat:")
    assert receipt == Receipt(None, ReceiptState.UNKNOWN, None, None, None)


@pytest.mark.parametrize("value", ["2413011200", "240101120", "24010112000", "2401011260",
                                   "24O1011200", "٢٤٠١٠١١٢٠٠", "240101120075"])  # fmt: skip
def test_bad_dates_are_none(value: str) -> None:
    assert parse_receipt(f"submit date:{value}").submit_date is None


def test_not_a_receipt() -> None:
    assert parse_receipt("Hello, how are you?") == Receipt(
        None, ReceiptState.UNKNOWN, None, None, None
    )


@pytest.mark.parametrize(
    ("stat", "state"),
    [("DELIVRD", ReceiptState.DELIVERED), ("UNDELIV", ReceiptState.UNDELIVERABLE),
     ("EXPIRED", ReceiptState.EXPIRED), ("REJECTD", ReceiptState.REJECTED),
     ("DELETED", ReceiptState.DELETED), ("UNKNOWN", ReceiptState.UNKNOWN),
     ("ACCEPTD", ReceiptState.ACCEPTED), ("ENROUTE", ReceiptState.ENROUTE),
     ("delivrd", ReceiptState.DELIVERED), ("DELIVERED", ReceiptState.UNKNOWN),
     ("", ReceiptState.UNKNOWN), ("FOO", ReceiptState.UNKNOWN)],
)  # fmt: skip
def test_stat_mapping(stat: str, state: ReceiptState) -> None:
    assert state_from_stat(stat) is state
    assert parse_receipt(f"id:1 stat:{stat} err:0").state is state


def test_message_state_mapping() -> None:
    expected = [
        ReceiptState.ENROUTE, ReceiptState.DELIVERED, ReceiptState.EXPIRED,
        ReceiptState.DELETED, ReceiptState.UNDELIVERABLE, ReceiptState.ACCEPTED,
        ReceiptState.UNKNOWN, ReceiptState.REJECTED,
    ]  # fmt: skip
    assert [state_from_message_state(v) for v in range(1, 9)] == expected
    assert state_from_message_state(0) is ReceiptState.UNKNOWN
    assert state_from_message_state(9) is ReceiptState.UNKNOWN


def test_is_final() -> None:
    assert {s for s in ReceiptState if not is_final(s)} == {
        ReceiptState.ACCEPTED,
        ReceiptState.ENROUTE,
    }


@given(st.text())
def test_parse_receipt_never_raises(text: str) -> None:
    receipt = parse_receipt(text)
    assert isinstance(receipt.state, ReceiptState)
    if receipt.message_id is not None:
        assert receipt.message_id and not any(c.isspace() for c in receipt.message_id)


@given(
    st.lists(
        st.sampled_from(["id:", "stat:", "err:", "submit date:", "done date:", "text:", " ",
                         "DELIVRD", "2401010000", "00A", ":", "x"]),
    ).map("".join)
)  # fmt: skip
def test_parse_receipt_never_raises_on_receipt_like_text(text: str) -> None:
    parse_receipt(text)


# --- message ids ---


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [("0000ABC", "abc"), (" abc ", "abc"), ("000", "0"), ("", "0"), ("0012", "12")],
)
def test_normalise_message_id(raw: str, canonical: str) -> None:
    assert normalise_message_id(raw) == canonical


def test_hex_and_decimal_ids_match() -> None:
    ids = ["0000ABC", "abc", str(int("abc", 16))]
    variant_sets = [set(message_id_variants(i)) for i in ids]
    for a in variant_sets:
        for b in variant_sets:
            assert a & b
    assert message_id_variants("0000ABC") == ("abc", "2748")
    assert message_id_variants("2748") == ("2748", "abc", "10056")
    assert message_id_variants("xyz-1") == ("xyz-1",)
    assert message_id_variants("0") == ("0",)


def test_variants_reject_int_parser_leniency() -> None:
    assert message_id_variants("1_0") == ("1_0",)  # int() would accept the underscore
    assert message_id_variants("٣") == ("٣",)  # int() would accept Arabic-Indic digits


def test_long_ids_get_no_variants() -> None:
    assert message_id_variants("9" * 5000) == ("9" * 5000,)


@given(st.integers(min_value=0, max_value=2**128))
def test_variants_cross_match(value: int) -> None:
    as_hex = format(value, "X").zfill(10)
    as_dec = str(value)
    assert normalise_message_id(as_dec) in message_id_variants(as_hex)
    assert normalise_message_id(as_hex) in message_id_variants(as_dec)


@pytest.mark.parametrize(
    ("mid", "canonical"),
    [("0\r0", "0"), ("00 0 12", "12"), (" 0A1 ", "a1"), ("000", "0"), ("", "0"), ("1 0", "1 0")],
)
def test_normalise_takes_zeros_and_whitespace_off_the_front(mid: str, canonical: str) -> None:
    assert normalise_message_id(mid) == canonical
    assert normalise_message_id(canonical) == canonical


@given(st.text())
def test_normalise_is_idempotent(mid: str) -> None:
    once = normalise_message_id(mid)
    assert normalise_message_id(once) == once
    assert message_id_variants(mid)[0] == once


# The usual layout is read by one regex (`_fields`), anything else by the tolerant scan
# (`_scan_fields`): the two must agree on every text, in that layout or near it.
_VALUE = st.text(alphabet=st.sampled_from("0123456789abcDEF:_-\t \x1c\u00a0xyz"), max_size=12)
_GAP = st.sampled_from([" ", " ", " ", "  ", "\t", "_", ""])
_KEY_SPELLINGS = [
    "id",
    "sub",
    "dlvrd",
    "submit date",
    "done date",
    "stat",
    "err",
    "text",
    "ID",
    "Submit_Date",
    "done  date",
    "STAT",
    "Text",
]


@st.composite
def _receipt_texts(draw: st.DrawFn) -> str:
    keys = ["id", "sub", "dlvrd", "submit date", "done date", "stat", "err", "text"]
    if draw(st.booleans()):
        keys = draw(st.lists(st.sampled_from(_KEY_SPELLINGS), max_size=10))
    parts = [f"{key}:{draw(_VALUE)}" for key in keys]
    return "".join(part + draw(_GAP) for part in parts) + draw(_VALUE)


@given(text=_receipt_texts() | st.text(max_size=80))
def test_usual_layout_reads_as_the_scan_does(text: str) -> None:
    assert fields(text) == scan_fields(text)


def test_the_usual_layout_takes_the_regex() -> None:
    assert _USUAL_RE.match(STANDARD) is not None


def _from_fields(text: str, dates: bool) -> Receipt:
    """`parse_receipt` as it was written over `_fields` (its dict), the reference of the one
    that reads the usual layout's regex groups without the dict."""
    found = fields(text)
    return Receipt(
        message_id=found.get("id") or None,
        state=state_from_stat(found.get("stat", "")),
        error=found.get("err") or None,
        submit_date=_parse_date(found.get("submit date")) if dates else None,
        done_date=_parse_date(found.get("done date")) if dates else None,
        done_date_text=found.get("done date") or None,
    )


@given(text=_receipt_texts() | st.text(max_size=80), dates=st.booleans())
def test_parse_receipt_reads_what_fields_reads(text: str, dates: bool) -> None:
    assert parse_receipt(text, dates=dates) == _from_fields(text, dates)


def test_parse_receipt_of_the_usual_layout() -> None:
    assert parse_receipt(STANDARD, dates=False) == _from_fields(STANDARD, False)
    assert parse_receipt(STANDARD) == _from_fields(STANDARD, True)
