"""Tests for the stored spelling of sender codes and the spellings they are looked up by."""

import pytest

from smsgate.domain.sender_code import (
    INVALID,
    canonical_sender_code,
    lookup_spellings,
    sender_code_error,
)


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("12345", "12345"),  # a short code: as given
        ("012345", "012345"),  # leading zeros kept
        ("12345678", "12345678"),  # 8 digits is still a short code
        ("2016270155", "12016270155"),  # a long code: its phone key
        ("+12016270155", "12016270155"),
        (" 12016270155 ", "12016270155"),
        ("0012016270155", "12016270155"),
        ("120162701555", "120162701555"),  # too long for the NANP: as given
        ("+120162701555", "120162701555"),
        ("Acme", "Acme"),  # an alphanumeric sender id: as given
    ],
)
def test_canonical(given: str, stored: str) -> None:
    assert sender_code_error(given) is None
    assert canonical_sender_code(given, "US") == stored
    assert canonical_sender_code(stored, "US") == stored


@pytest.mark.parametrize("bad", ["", " ", "12-34", "+Acme", "a b", "\uff11\uff12\uff13", "²³¹"])
def test_invalid(bad: str) -> None:
    assert sender_code_error(bad) == INVALID


def test_too_long() -> None:
    assert sender_code_error("1" * 16) == "a sender code has at most 15 digits"


@pytest.mark.parametrize(
    "written", ["+120162701555", " 120162701555", "120162701555", "20162701555"]
)
def test_the_issues_spellings_find_the_stored_code(written: str) -> None:
    assert "120162701555" in lookup_spellings(written, "US")


def test_the_stored_spelling_is_tried_first_then_the_given_one() -> None:
    assert lookup_spellings("2016270155", "US")[:2] == ("12016270155", "2016270155")
    assert lookup_spellings("12345", "US") == ("12345",)
    assert lookup_spellings("  ", "US") == ()
    assert lookup_spellings("²³¹", "US") == ("²³¹",)  # looked up as given: found nowhere
