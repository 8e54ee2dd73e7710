"""Tests for inbound keyword classification and the default replies."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.constants import GSM7_SINGLE_SEPTETS
from smsgate.domain.encoding import Encoding, gsm7_encode, segment
from smsgate.domain.keywords import (
    DEFAULT_HELP_REPLY,
    DEFAULT_START_REPLY,
    DEFAULT_STOP_REPLY,
    Keyword,
    classify,
)

STOP = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"]
START = ["START", "YES", "UNSTOP"]
HELP = ["HELP", "INFO"]


def test_values_are_lower_case() -> None:
    assert [k.value for k in Keyword] == ["stop", "start", "help", "none"]


@pytest.mark.parametrize(
    ("words", "keyword"), [(STOP, Keyword.STOP), (START, Keyword.START), (HELP, Keyword.HELP)]
)
def test_keywords_any_case_and_whitespace(words: list[str], keyword: Keyword) -> None:
    for word in words:
        for variant in (word, word.lower(), word.title(), f"  {word.lower()}\n", f"\t{word} "):
            assert classify(variant) is keyword, variant


@pytest.mark.parametrize(
    "text",
    ["", "   ", "stop please", "please stop", "STOP.", "stop!", "st op", "STOPP", "S T O P",
     "\u017ftop", "\uff33\uff34\uff2f\uff30", "stop stop", "hello", "NO", "unsubscribe me"],
)  # fmt: skip
def test_not_keywords(text: str) -> None:
    assert classify(text) is Keyword.NONE


@given(st.text())
def test_classify_is_total_and_single_word(text: str) -> None:
    keyword = classify(text)
    if keyword is not Keyword.NONE:
        assert len(text.split()) == 1
        assert text.strip().upper() in STOP + START + HELP


@pytest.mark.parametrize("reply", [DEFAULT_STOP_REPLY, DEFAULT_START_REPLY, DEFAULT_HELP_REPLY])
def test_default_replies_fit_one_gsm_sms(reply: str) -> None:
    assert len(gsm7_encode(reply)) <= GSM7_SINGLE_SEPTETS
    seg = segment(reply)
    assert seg.encoding is Encoding.GSM7 and seg.count == 1


def test_replies_mention_the_way_back() -> None:
    assert "START" in DEFAULT_STOP_REPLY
    assert "STOP" in DEFAULT_START_REPLY
    assert "STOP" in DEFAULT_HELP_REPLY
