"""Sender codes: the one stored spelling of each, and the spellings an inbound message may use.

A sender code is a short code (at most `SHORT_CODE_MAX_DIGITS` digits: kept as given, leading
zeros included), a long code (a phone number: stored as its key, `domain.phone.normalise_phone`)
or an alphanumeric sender id (kept as given). An SMSC may write the number a handset texted in
another way than the realm registered it ("+120162701555", " 120162701555", or nationally
"20162701555"), so a lookup tries `lookup_spellings`, stored form first.
"""

from typing import Final

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

from smsgate.constants import MAX_PHONE_DIGITS
from smsgate.domain.phone import normalise_phone

SHORT_CODE_MAX_DIGITS: Final = 8  # short codes are 3-8 digits worldwide (US: 5-6)
INVALID: Final = "a sender code is digits (a leading + allowed), or letters and digits"


def sender_code_error(code: str) -> str | None:
    """Why `code` cannot be a sender code (None: it can)."""
    bare = code.strip().removeprefix("+")
    if not bare.isascii() or not bare.isalnum():
        return INVALID
    if code.strip().startswith("+") and not bare.isdigit():
        return INVALID
    if bare.isdigit() and len(bare) > MAX_PHONE_DIGITS:
        return f"a sender code has at most {MAX_PHONE_DIGITS} digits"
    return None


def canonical_sender_code(code: str, region: str) -> str:
    """The stored spelling of `code` (one that passes `sender_code_error`)."""
    bare = code.strip().removeprefix("+")
    if bare.isdigit() and len(bare) > SHORT_CODE_MAX_DIGITS:
        return normalise_phone(bare, region)
    return bare


def lookup_spellings(code: str, region: str) -> tuple[str, ...]:
    """The spellings to look `code` up by, most likely first: its canonical form, the form it
    was given in (a row stored before codes were canonical), and a long code read as a national
    number of `region` even when libphonenumber finds it too long ("20162701555" -> US
    "120162701555")."""
    given = code.strip()
    if sender_code_error(given) is not None:
        return (given,) if given else ()
    found = [canonical_sender_code(given, region), given.removeprefix("+")]
    bare = found[-1]
    if bare.isdigit() and len(bare) > SHORT_CODE_MAX_DIGITS:
        try:
            number = phonenumbers.parse(bare, region)
        except NumberParseException:
            pass
        else:
            national = phonenumbers.format_number(number, PhoneNumberFormat.E164)[1:]
            if len(national) <= MAX_PHONE_DIGITS:
                found.append(national)
    return tuple(dict.fromkeys(found))
