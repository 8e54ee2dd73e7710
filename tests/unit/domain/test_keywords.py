"""Tests for inbound keyword classification and the default replies.

STOP is generous (every reasonable variant opts out), START strict (no look-alike re-subscribes
anyone), HELP in between; a stop word later in a message is flagged for review.
"""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.constants import GSM7_SINGLE_SEPTETS
from smsgate.domain.encoding import Encoding, gsm7_encode, segment
from smsgate.domain.keywords import (
    DEFAULT_HELP_REPLY,
    DEFAULT_START_REPLY,
    DEFAULT_STOP_REPLY,
    START_WORDS,
    STOP_WORDS,
    Keyword,
    classify,
    mentions_stop,
)

STOP = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "OPT OUT", "REVOKE"]
START = ["START", "YES", "UNSTOP"]
HELP = ["HELP", "INFO"]

# (text, keyword, mentions a stop word)
PHRASINGS: list[tuple[str, Keyword, bool]] = [
    # the phrasings, missed before
    ("stop.", Keyword.STOP, True),
    ("STOP!", Keyword.STOP, True),
    ("STOP ALL", Keyword.STOP, True),
    ("stop all", Keyword.STOP, True),
    ("Stop please", Keyword.STOP, True),
    ("OPT OUT", Keyword.STOP, True),
    ("Opt-out", Keyword.STOP, True),
    ("\uff33\uff34\uff2f\uff30", Keyword.STOP, True),  # fullwidth STOP
    # every stop word, in other spellings
    ("  stop  ", Keyword.STOP, True),
    ("Stop", Keyword.STOP, True),
    ("stopall", Keyword.STOP, True),
    ("Stop-all", Keyword.STOP, True),
    ("unsubscribe", Keyword.STOP, True),
    ("Un-subscribe!", Keyword.STOP, True),
    ("UNSUBSCRIBE me", Keyword.STOP, True),
    ("cancel", Keyword.STOP, True),
    ("Cancel.", Keyword.STOP, True),
    ("end", Keyword.STOP, True),
    ("END!!!", Keyword.STOP, True),
    ("quit", Keyword.STOP, True),
    ("Quit it", Keyword.STOP, True),
    ("optout", Keyword.STOP, True),
    ("opt out please", Keyword.STOP, True),
    ("OPT-OUT!", Keyword.STOP, True),
    ("opt_out", Keyword.STOP, True),
    ("Revoke", Keyword.STOP, True),
    ("revoke consent", Keyword.STOP, True),
    # punctuation, symbols, invisible and compatibility characters
    ('"STOP"', Keyword.STOP, True),
    ("(stop)", Keyword.STOP, True),
    ("...stop", Keyword.STOP, True),
    ("S.T.O.P", Keyword.STOP, True),
    ("stop,please", Keyword.STOP, True),
    ("STOP\U0001f6d1", Keyword.STOP, True),  # a stop sign emoji after it
    ("\U0001f6d1 stop", Keyword.STOP, True),
    ("s\u200btop", Keyword.STOP, True),  # zero-width space inside
    ("\u017ftop", Keyword.STOP, True),  # long s: NFKC makes it "s"
    ("\uff53\uff54\uff4f\uff50", Keyword.STOP, True),  # fullwidth lower case
    ("STOP\u00a0NOW", Keyword.STOP, True),  # no-break space
    ("stop\tstop\n", Keyword.STOP, True),
    ("STOP2", Keyword.STOP, True),  # a digit is not a letter
    # the intended over-reach: a stop word first in an ordinary sentence opts out
    ("End of day report?", Keyword.STOP, True),
    ("Cancel my 3pm", Keyword.STOP, True),
    # a stop word later on: not an opt-out, flagged for review
    ("please stop", Keyword.NONE, True),
    ("Please STOP texting me", Keyword.NONE, True),
    ("I said stop.", Keyword.NONE, True),
    ("don't stop", Keyword.NONE, True),
    ("Re: STOP", Keyword.NONE, True),
    ("how do I opt out?", Keyword.NONE, True),
    ("the END", Keyword.NONE, True),
    # a stop word inside another word is nothing
    ("stopping", Keyword.NONE, False),
    ("STOPP", Keyword.NONE, False),
    ("nonstop", Keyword.NONE, False),
    ("Ending soon", Keyword.NONE, False),
    ("endless", Keyword.NONE, False),
    ("quite good", Keyword.NONE, False),
    ("stopé", Keyword.NONE, False),  # followed by a letter, if not an ASCII one
    ("st op", Keyword.NONE, False),
    ("S T O P", Keyword.NONE, False),
    ("hello", Keyword.NONE, False),
    ("", Keyword.NONE, False),
    ("   ", Keyword.NONE, False),
    # START stays strict
    ("START", Keyword.START, False),
    (" start\n", Keyword.START, False),
    ("Yes", Keyword.START, False),
    ("unstop", Keyword.START, False),
    ("start.", Keyword.NONE, False),
    ("START!", Keyword.NONE, False),
    ("start please", Keyword.NONE, False),
    ("\uff33\uff34\uff21\uff32\uff34", Keyword.NONE, False),  # fullwidth START
    ("\u017ftart", Keyword.NONE, False),  # long s
    ("y\u200bes", Keyword.NONE, False),
    ("YES!", Keyword.NONE, False),
    ("start stop", Keyword.NONE, True),
    # STOP wins over START and HELP
    ("stop start", Keyword.STOP, True),
    ("STOP HELP", Keyword.STOP, True),
    # HELP: the word alone, punctuation allowed
    ("HELP", Keyword.HELP, False),
    ("help?", Keyword.HELP, False),
    (" Info. ", Keyword.HELP, False),
    ("HELP!", Keyword.HELP, False),
    ("help me", Keyword.NONE, False),
    ("\uff28\uff25\uff2c\uff30", Keyword.NONE, False),  # fullwidth HELP
    ("help stop", Keyword.NONE, True),
]


def test_values_are_lower_case() -> None:
    assert [k.value for k in Keyword] == ["stop", "start", "help", "none"]


def test_the_table_is_long_enough() -> None:
    assert len(PHRASINGS) >= 40
    assert len({text for text, _, _ in PHRASINGS}) == len(PHRASINGS)


@pytest.mark.parametrize(("text", "keyword", "mentions"), PHRASINGS)
def test_phrasings(text: str, keyword: Keyword, mentions: bool) -> None:
    assert classify(text) is keyword
    assert mentions_stop(text) is mentions


@pytest.mark.parametrize(
    ("words", "keyword"), [(STOP, Keyword.STOP), (START, Keyword.START), (HELP, Keyword.HELP)]
)
def test_keywords_any_case_and_whitespace(words: list[str], keyword: Keyword) -> None:
    for word in words:
        for variant in (word, word.lower(), word.title(), f"  {word.lower()}\n", f"\t{word} "):
            assert classify(variant) is keyword, variant


def test_every_required_stop_word_is_listed() -> None:
    # FCC 2024 TCPA order and CTIA: STOP, QUIT, END, REVOKE, OPT OUT, CANCEL, UNSUBSCRIBE
    required = {"STOP", "QUIT", "END", "REVOKE", "OPT OUT", "CANCEL", "UNSUBSCRIBE", "STOPALL"}
    assert required <= STOP_WORDS


@given(st.text())
def test_classify_never_fails(text: str) -> None:
    keyword = classify(text)
    assert isinstance(mentions_stop(text), bool)
    if keyword is Keyword.START:  # strict: exactly a start word, ASCII, any case
        assert text.strip().isascii() and text.strip().upper() in START_WORDS
    if keyword is Keyword.STOP:  # every opt-out also mentions a stop word
        assert mentions_stop(text)


@given(st.sampled_from(sorted(STOP_WORDS)), st.text(), st.text())
def test_a_stop_word_then_a_non_letter_opts_out(word: str, gap: str, rest: str) -> None:
    """Whatever follows a stop word after a space, and however it is cased."""
    assert classify(f"{word.lower()} {rest}") is Keyword.STOP
    assert classify(f"{word} {gap}") is Keyword.STOP


# Every character other than an ASCII letter whose compatibility form is one ("\uff33" is S).
LOOK_ALIKES: dict[str, list[str]] = {}
for _cp in range(0x80, 0x30000):
    _folded = unicodedata.normalize("NFKC", chr(_cp))
    if len(_folded) == 1 and _folded.isascii() and _folded.isalpha():
        LOOK_ALIKES.setdefault(_folded.upper(), []).append(chr(_cp))


@given(st.sampled_from(sorted(START_WORDS)), st.data())
def test_no_look_alike_starts(word: str, data: st.DataObject) -> None:
    """A START word with any letter in a compatibility form (fullwidth, long s, ...) is no START."""
    at = data.draw(st.integers(0, len(word) - 1))
    other = data.draw(st.sampled_from(LOOK_ALIKES[word[at]]))
    assert classify(word[:at] + other + word[at + 1 :]) is Keyword.NONE


@pytest.mark.parametrize("reply", [DEFAULT_STOP_REPLY, DEFAULT_START_REPLY, DEFAULT_HELP_REPLY])
def test_default_replies_fit_one_gsm_sms(reply: str) -> None:
    assert len(gsm7_encode(reply)) <= GSM7_SINGLE_SEPTETS
    seg = segment(reply)
    assert seg.encoding is Encoding.GSM7 and seg.count == 1


def test_replies_mention_the_way_back() -> None:
    assert "START" in DEFAULT_STOP_REPLY
    assert "STOP" in DEFAULT_START_REPLY
    assert "STOP" in DEFAULT_HELP_REPLY
