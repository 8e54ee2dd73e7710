"""Phone numbers: the api_web `phone` check, and one key per subscriber.

`phone_error` gives the WhatCounts FAILURE reason for a raw `phone` parameter (or None when it is
acceptable): digits only, at most 15. `normalise_phone` maps every spelling of a number to one
key, its E.164 digits without "+", so that the opt-out list, duplicate checks and inbound
messages agree on who a subscriber is: with the default region US, "2065551212",
"12065551212", "+12065551212", "0012065551212" and "01112065551212" are all "12065551212".

The numbering plans come from Google's libphonenumber (the `phonenumbers` package). The
interpretations are tried in this order; the first that gives a *possible* number (a length
its country uses; area codes are never validated, as the WhatCounts contract says) wins:

1. an international prefix ("00" in every region, and the region's own: 011 in the NANP) and
   then a country code and number;
2. a number of the default region, written nationally or starting with its country code;
3. a country code and number without "+" (the contract's form for other countries);
4. none of these: the digits as given (numbers are normalised, never refused, here).

So a key normalises to itself, an international number that would read as a number of the
default region once its prefix is dropped (a 10-digit foreign number in the NANP) keeps "00" in
front: "003725123456" stays "003725123456", while "3725123456" is the US "13725123456".

Cost: the library takes 35-80 µs per number on the 2-core benchmark machine, against ~85 µs of
CPU for a whole api_web request, so the NANP's usual spellings (10 digits, or 11 starting with
1, area code 2-9) take a fast path of ~0.2 µs (the old rule took ~0.1 µs) that a property test
holds equal to the library; other results are kept in a small LRU cache. One normalisation
may read the same text in the same region more than once (a number starting with the region's
country code that is not one of its numbers: "+" and the digits, as the region's number and again
as a foreign one; `_kept_apart` reading a result again): `_possible` remembers its last
`READINGS_KEPT` answers, so each reading is parsed once (50 -> 33 µs for the benchmark's
13-digit numbers in the NANP).
"""

import re
from functools import cache, lru_cache
from typing import Final

import phonenumbers
from phonenumbers import NumberParseException, PhoneMetadata, PhoneNumberFormat, ValidationResult

from smsgate.constants import MAX_PHONE_DIGITS

DEFAULT_REGION: Final = "US"
GENERIC_IDD: Final = "00"  # the ITU-T international prefix, used by most of the world
CACHED_NUMBERS: Final = 4096  # normalised numbers kept (LRU); ~0.5 MB
READINGS_KEPT: Final = 32  # (text, region) readings kept (LRU): those of the last few numbers

PHONE_REQUIRED: Final = "Phone number is required"
PHONE_NOT_DIGITS: Final = "Phone number must contain digits only"
PHONE_TOO_LONG: Final = "Phone number is too long"

_AREA_CODE_FIRST = frozenset("23456789")  # NANP area codes start with 2-9


def phone_error(raw: str | None) -> str | None:
    """The FAILURE reason for a raw `phone` parameter, or None if it is acceptable.

    Surrounding whitespace is stripped first: the HTTP layer decodes a literal "+" in the
    query string to a space, so "+12065551212" arrives as " 12065551212" and is accepted.
    Whitespace inside the number, "+" (sent as %2B), and non-ASCII digits (e.g. Arabic-Indic) fail.
    """
    if raw is None:
        return PHONE_REQUIRED
    phone = raw.strip()
    if not phone:
        return PHONE_REQUIRED
    if not (phone.isascii() and phone.isdigit()):
        return PHONE_NOT_DIGITS
    if len(phone) > MAX_PHONE_DIGITS:
        return PHONE_TOO_LONG
    return None


def region_error(region: str) -> str | None:
    """Why `region` cannot be the default region (None: libphonenumber knows it)."""
    if country_code(region) == 0:
        return f"{region} is not a region libphonenumber knows (ISO 3166 code, e.g. US, GB)"
    return None


def region_for_country_code(code: str) -> str:
    """The main region of a country calling code ("1" -> US, "44" -> GB); ValueError if none."""
    region = phonenumbers.region_code_for_country_code(int(code))
    if region_error(region) is not None:
        raise ValueError(f"no region has the country code {code}")
    return region


def normalise_phone(phone: str, region: str = DEFAULT_REGION) -> str:
    """The key of an accepted phone: E.164 digits, without "+" (see the module docstring).

    `phone` is ASCII digits (at most 15), with surrounding whitespace and one leading "+"
    ignored. `region` is the default region (ISO 3166, e.g. "US").
    """
    digits = phone.strip().removeprefix("+").strip()
    fast = _nanp_fast_path(digits, region)
    return fast if fast is not None else library_normalise(digits, region)


def _nanp_fast_path(digits: str, region: str) -> str | None:
    """The result for the NANP's usual spellings without the library, else None."""
    if country_code(region) != 1:
        return None
    if len(digits) == 11 and digits[0] == "1" and digits[1] in _AREA_CODE_FIRST:
        return digits if digits.isascii() and digits.isdigit() else None
    if len(digits) == 10 and digits[0] in _AREA_CODE_FIRST:
        return "1" + digits if digits.isascii() and digits.isdigit() else None
    return None


@lru_cache(maxsize=CACHED_NUMBERS)
def library_normalise(digits: str, region: str) -> str:
    """`normalise_phone` by libphonenumber alone (the fast path must agree with it)."""
    prefixed = False
    for rest in _after_international_prefix(digits, region):
        prefixed = True
        international = _possible("+" + rest, None)
        if international is not None:
            return _kept_apart(international, digits, region)
    regional = None if prefixed else _regional(digits, region)
    if regional is not None:
        return regional
    international = _possible("+" + digits, None)
    if international is not None:
        return _kept_apart(international, digits, region)
    return digits


def _regional(digits: str, region: str) -> str | None:
    """`digits` as a number of `region`: its country code and number, or a national number."""
    if digits.startswith(str(country_code(region))):
        own = _possible("+" + digits, None)
        if own is not None:
            return own
    return _possible(digits, region)


def _kept_apart(international: str, digits: str, region: str) -> str:
    """`international`, unless read again it would be another number of `region`: then "00"
    in front keeps it apart (or the digits as given, where "00" would be read otherwise)."""
    again = _regional(international, region)
    if again is None or again == international:
        return international
    apart = GENERIC_IDD + international
    if len(apart) <= MAX_PHONE_DIGITS and _after_international_prefix(apart, region)[0] == (
        international
    ):
        return apart
    return digits


@lru_cache(maxsize=READINGS_KEPT)
def _possible(text: str, region: str | None) -> str | None:
    """E.164 digits of `text` read in `region`, if that is a possible number of <= 15 digits.

    Formatted until stable: libphonenumber drops a national prefix written after the country
    code ("+43 0 ..." is "+43 ..."), one at a time, and the key must not change when read again.
    """
    try:
        number = phonenumbers.parse(text, region)
        found = None
        while phonenumbers.is_possible_number_with_reason(number) == ValidationResult.IS_POSSIBLE:
            e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)[1:]
            if e164 == found:
                break
            found = e164
            number = phonenumbers.parse("+" + e164)
    except NumberParseException:
        return None
    return found if found is not None and len(found) <= MAX_PHONE_DIGITS else None


def _after_international_prefix(digits: str, region: str) -> list[str]:
    """What may follow an international prefix: the region's own, then "00" (none: [])."""
    found = _region_idd(region).match(digits)
    rests = [digits[found.end() :]] if found else []
    if digits.startswith(GENERIC_IDD):
        rests.append(digits[len(GENERIC_IDD) :])
    return rests


@cache
def _region_idd(region: str) -> "re.Pattern[str]":
    metadata = PhoneMetadata.metadata_for_region(region)
    prefix = metadata.international_prefix if metadata is not None else None
    return re.compile(f"(?:{prefix})" if prefix else "(?!)")


@cache
def country_code(region: str) -> int:
    """The country calling code of `region` (0: not a region libphonenumber knows)."""
    return phonenumbers.country_code_for_region(region)
