"""Phone-number validation and normalisation for the api_web `phone` parameter.

Two pure rules. `phone_error` gives the WhatCounts FAILURE reason for a raw parameter (or
None when it is acceptable). `normalise_phone` maps an accepted number to one canonical
form so that the national and international spellings of the same subscriber ("2065551212"
and "12065551212") are one key for opt-out lists and duplicate checks.

Deliberately simple: no "00" or "011" international-prefix stripping and no numbering-plan
validation. The only rewrite is prefixing the default country code to a number of exactly
that country's national length that does not already start with the code.
"""

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from smsgate.constants import MAX_PHONE_DIGITS

# Digits in a national number, per country code. NANP ("1") numbers are 10 digits and never
# start with 1 (area codes are 2-9), so a 10-digit number can safely be prefixed with "1".
# Country codes not listed here are left untouched by `normalise_phone`.
NATIONAL_LENGTH: Final[Mapping[str, int]] = MappingProxyType({"1": 10})

PHONE_REQUIRED: Final = "Phone number is required"
PHONE_NOT_DIGITS: Final = "Phone number must contain digits only"
PHONE_TOO_LONG: Final = "Phone number is too long"


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


def normalise_phone(phone: str, default_country_code: str = "1") -> str:
    """Canonical (international, digits-only) form of an accepted phone number.

    Surrounding whitespace is stripped (see `phone_error`). If the country code has a known
    national length, the number has exactly that length and it does not already start with
    the code, the code is prefixed. Idempotent: a prefixed number is longer than national.
    """
    phone = phone.strip()
    national = NATIONAL_LENGTH.get(default_country_code)
    if (
        national is not None
        and len(phone) == national
        and not phone.startswith(default_country_code)
    ):
        return default_country_code + phone
    return phone
