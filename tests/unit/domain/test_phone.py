"""Tests for phone-number validation and normalisation."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.constants import MAX_PHONE_DIGITS
from smsgate.domain.phone import (
    PHONE_NOT_DIGITS,
    PHONE_REQUIRED,
    PHONE_TOO_LONG,
    normalise_phone,
    phone_error,
)

digits = st.text(alphabet="0123456789", min_size=1, max_size=MAX_PHONE_DIGITS)


def test_failure_texts() -> None:
    assert PHONE_REQUIRED == "Phone number is required"
    assert PHONE_NOT_DIGITS == "Phone number must contain digits only"
    assert PHONE_TOO_LONG == "Phone number is too long"


@pytest.mark.parametrize("raw", [None, "", "  ", "\t\n"])
def test_missing(raw: str | None) -> None:
    assert phone_error(raw) == PHONE_REQUIRED


@pytest.mark.parametrize(
    "raw",
    ["+12065551212", "206-555-1212", "206 555 1212", "(206)5551212", "١٢٣", "12065551212x",
     "²", "\uff11\uff12\uff13", "12\x0065"],
)  # fmt: skip
def test_not_digits(raw: str) -> None:
    assert phone_error(raw) == PHONE_NOT_DIGITS


def test_too_long() -> None:
    assert phone_error("1" * MAX_PHONE_DIGITS) is None
    assert phone_error("1" * (MAX_PHONE_DIGITS + 1)) == PHONE_TOO_LONG
    assert phone_error(" " + "1" * (MAX_PHONE_DIGITS + 1)) == PHONE_TOO_LONG


@pytest.mark.parametrize("raw", ["12065551212", " 12065551212", "2065551212 ", "1"])
def test_valid(raw: str) -> None:
    assert phone_error(raw) is None


def test_decoded_plus_prefix_is_accepted_and_normalised() -> None:
    raw = " 12065551212"  # "+12065551212" after the HTTP layer decoded "+" to a space
    assert phone_error(raw) is None
    assert normalise_phone(raw) == "12065551212"


def test_national_and_international_forms_are_equal() -> None:
    assert normalise_phone("2065551212") == "12065551212"
    assert normalise_phone("12065551212") == "12065551212"
    assert normalise_phone("2065551212") == normalise_phone("12065551212")


def test_only_the_national_length_is_prefixed() -> None:
    assert normalise_phone("206555121") == "206555121"  # 9 digits: untouched
    assert normalise_phone("1206555121") == "1206555121"  # 10 digits starting with 1
    assert normalise_phone("442071838750") == "442071838750"
    assert normalise_phone("2071838750", default_country_code="44") == "2071838750"


@given(digits, st.sampled_from(["1", "44", "", "7"]))
def test_idempotent(phone: str, cc: str) -> None:
    once = normalise_phone(phone, cc)
    assert normalise_phone(once, cc) == once
    assert once.endswith(phone)
    assert phone_error(once) is None or len(once) == MAX_PHONE_DIGITS + 1


@given(
    st.text(alphabet="23456789", min_size=1, max_size=1),
    st.text("0123456789", min_size=9, max_size=9),
)
def test_ten_and_eleven_digit_forms_collide(first: str, rest: str) -> None:
    national = first + rest
    assert normalise_phone(national) == normalise_phone("1" + national) == "1" + national


@given(st.one_of(st.none(), st.text()))
def test_phone_error_total(raw: str | None) -> None:
    error = phone_error(raw)
    if error is None:
        assert raw is not None
        stripped = raw.strip()
        assert stripped.isascii() and stripped.isdigit()
        assert 1 <= len(stripped) <= MAX_PHONE_DIGITS
