"""Tests for phone-number validation and normalisation."""

import phonenumbers
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import smsgate.domain.phone as phone_module
from smsgate.constants import MAX_PHONE_DIGITS
from smsgate.domain.phone import (
    PHONE_NOT_DIGITS,
    PHONE_REQUIRED,
    PHONE_TOO_LONG,
    library_normalise,
    normalise_phone,
    phone_error,
    region_error,
    region_for_country_code,
)

digits = st.text(alphabet="0123456789", min_size=1, max_size=MAX_PHONE_DIGITS)
# numbers as people write them: a prefix that means something somewhere, then digits
spelled = st.builds(
    lambda prefix, rest: (prefix + rest)[:MAX_PHONE_DIGITS] or "0",
    st.sampled_from(["", "0", "00", "011", "0011", "1", "44", "49", "810", "009"]),
    st.text(alphabet="0123456789", max_size=MAX_PHONE_DIGITS),
)
REGIONS = ["US", "CA", "GB", "DE", "FR", "AU", "IN", "JP", "BR", "RU", "NG", "IT"]
NANP = sorted(phonenumbers.region_codes_for_country_code(1))


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


SPELLINGS_OF_ONE_US_PHONE = [
    "12065551212",
    "2065551212",
    " 12065551212",  # "+12065551212" in a query string: the "+" decoded to a space
    "+12065551212",
    "0012065551212",  # "00", the international prefix of most of the world
    "01112065551212",  # "011", the NANP's
    "+1 2065551212",
]


@pytest.mark.parametrize("spelling", SPELLINGS_OF_ONE_US_PHONE)
def test_every_spelling_is_one_key(spelling: str) -> None:
    assert normalise_phone(spelling) == "12065551212"
    assert normalise_phone(spelling, "US") == normalise_phone(spelling, "CA")


@pytest.mark.parametrize(
    ("spelling", "region", "key"),
    [
        ("442071838750", "US", "442071838750"),  # another country, written without "+"
        ("00442071838750", "US", "442071838750"),
        ("011442071838750", "US", "442071838750"),
        ("02071838750", "GB", "442071838750"),  # national, with its trunk prefix
        ("2071838750", "GB", "442071838750"),
        ("00442071838750", "GB", "442071838750"),
        ("0012065551212", "GB", "12065551212"),
        ("01132960000", "GB", "441132960000"),  # 0113 is Leeds in GB, not the NANP prefix
        ("030123456", "DE", "4930123456"),
        ("206555121", "US", "206555121"),  # too short anywhere: as given
        ("120162701555", "US", "120162701555"),  # too long for the NANP: as given
        ("1206555121", "US", "11206555121"),  # area codes are not validated
        ("3725123456", "US", "13725123456"),  # 10 digits in the NANP are a national number
        ("003725123456", "US", "003725123456"),  # ... so Estonia's keeps its prefix
        ("0113725123456", "US", "003725123456"),
        ("5551212", "US", "5551212"),  # a local number: as given
    ],
)
def test_keys(spelling: str, region: str, key: str) -> None:
    assert normalise_phone(spelling, region) == key


@given(spelled, st.sampled_from(REGIONS))
@example("430023190", "US")  # libphonenumber drops one "0" after the code per reading
@example("0015278782720", "BR")  # Brazil's prefixes begin 00: "00" in front would be misread
@example("011252008467560", "US")
def test_a_key_is_its_own_key(phone: str, region: str) -> None:
    once = normalise_phone(phone, region)
    assert normalise_phone(once, region) == once
    assert phone_error(once) is None


@given(digits, st.sampled_from(NANP))
@example("12065551212", "US")
@example("10065551212", "US")
def test_the_fast_path_is_the_library(phone: str, region: str) -> None:
    assert normalise_phone(phone, region) == library_normalise.__wrapped__(phone, region)


@given(
    st.sampled_from(["", "1"]),
    st.sampled_from("23456789"),
    st.text(alphabet="0123456789", min_size=9, max_size=9),
    st.sampled_from(NANP),
)
def test_the_fast_path_on_its_own_shapes(prefix: str, first: str, rest: str, region: str) -> None:
    phone = prefix + first + rest
    assert normalise_phone(phone, region) == library_normalise.__wrapped__(phone, region)


def test_regions() -> None:
    assert region_error("US") is None
    assert region_error("XX") is not None
    assert region_for_country_code("1") == "US"
    assert region_for_country_code("44") == "GB"
    with pytest.raises(ValueError, match="no region"):
        region_for_country_code("999")


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


@settings(deadline=None)  # libphonenumber, twice: slow on a loaded machine
@given(spelled, st.sampled_from(REGIONS + ["US"] * 4))
@example("1123450100001", "US")  # the benchmark's numbers: "+1..." read twice
@example("447911123456", "US")  # read again by _kept_apart
def test_remembered_readings_change_no_key(phone: str, region: str) -> None:
    remembered = library_normalise.__wrapped__(phone, region)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(phone_module, "_possible", phone_module._possible.__wrapped__)
        assert library_normalise.__wrapped__(phone, region) == remembered
