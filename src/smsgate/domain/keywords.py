"""Classification of inbound (MO) messages as STOP / START / HELP keywords.

US rules (the FCC's 2024 TCPA revocation order, CTIA's messaging principles) require honouring
STOP, QUIT, END, REVOKE, OPT OUT, CANCEL and UNSUBSCRIBE sent as a reply, and reasonable
variants of them. The rules are deliberately lopsided, always in the subscriber's favour:

- STOP is generous. The text is NFKC-normalised (STOP in fullwidth letters, U+FF33 U+FF34
  U+FF2F U+FF30, or "stop" with a long s, U+017F, become "STOP"), ASCII letters are
  case-folded, and punctuation, symbols and invisible format characters are dropped. The
  message is an opt-out if it is one of the words, or begins with one followed by something
  other than a letter: "stop.", "STOP!", "STOP ALL", "Stop please", "Opt-out", "OPT OUT",
  "unsubscribe me". Punctuation is read both as nothing and as a space, so "S.T.O.P" and
  "stop,please" count too. So "End of day report?" and "Cancel my 3pm" opt out: intended, an
  unwanted opt-out costs the subscriber a START, a missed one costs a complaint and a fine.
- START stays strict, so that no look-alike can re-subscribe anyone: exactly one of the words,
  ASCII only, in any letter case, with nothing but surrounding whitespace.
- HELP is in between (it only sends an information reply): the message is HELP or INFO in ASCII
  letters of any case, punctuation and surrounding whitespace ignored ("help?", "Info.").

STOP is tested first, then START, then HELP. A message that is none of them but has a stop
word later on ("please stop texting me") is a `mentions_stop`: stored like any message and
counted, so that an operator can review it.

The default English auto-replies live here too (callers may substitute configured text).
"""

import unicodedata
from enum import StrEnum
from typing import Final


class Keyword(StrEnum):
    """What an inbound message asks for."""

    STOP = "stop"
    START = "start"
    HELP = "help"
    NONE = "none"


STOP_WORDS: Final = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE", "OPT OUT"}
)
START_WORDS: Final = frozenset({"START", "YES", "UNSTOP"})
HELP_WORDS: Final = frozenset({"HELP", "INFO"})

# Each fits one GSM 03.38 SMS (<= 160 septets) and promises nothing carrier-specific.
DEFAULT_STOP_REPLY: Final = (
    "You have been unsubscribed and will receive no more messages. Reply START to resubscribe."
)
DEFAULT_START_REPLY: Final = (
    "You have been resubscribed and will receive messages again. Reply STOP to unsubscribe."
)
DEFAULT_HELP_REPLY: Final = (
    "This number sends automated messages. Reply STOP to unsubscribe or START to resubscribe."
)

# Unicode categories removed before matching: punctuation, symbols, and "other" (controls
# other than whitespace, zero-width spaces and joiners, unassigned code points).
_DROPPED: Final = ("P", "S", "C")
_STOP_FIRST: Final = tuple(sorted(STOP_WORDS, key=len, reverse=True))


def classify(text: str) -> Keyword:
    """The keyword `text` is (see the module docstring)."""
    if any(_begins_with_stop_word(spelling) for spelling in _spellings(text)):
        return Keyword.STOP
    word = text.strip()
    if word.isascii() and word.upper() in START_WORDS:
        return Keyword.START
    if word.isascii() and " ".join(_without_punctuation(word.upper(), "").split()) in HELP_WORDS:
        return Keyword.HELP
    return Keyword.NONE


def mentions_stop(text: str) -> bool:
    """Whether any word of `text` begins a stop word as `classify` reads one (for a message it
    calls NONE: "please stop", "I said STOP")."""
    for spelling in _spellings(text):
        words = spelling.split()
        if any(_begins_with_stop_word(" ".join(words[i : i + 2])) for i in range(len(words))):
            return True
    return False


def _spellings(text: str) -> tuple[str, str]:
    """`text` folded for STOP matching: punctuation dropped, and punctuation read as space."""
    folded = _ascii_upper(unicodedata.normalize("NFKC", text))
    return (
        " ".join(_without_punctuation(folded, "").split()),
        " ".join(_without_punctuation(folded, " ").split()),
    )


def _begins_with_stop_word(spelling: str) -> bool:
    for word in _STOP_FIRST:
        if spelling.startswith(word):
            rest = spelling[len(word) :]
            if not rest or not rest[0].isalpha():
                return True
    return False


def _ascii_upper(text: str) -> str:
    """Upper-case ASCII letters only: Unicode case mapping could make a look-alike a keyword."""
    return text.translate(_ASCII_UPPER)


_ASCII_UPPER: Final = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _without_punctuation(text: str, replacement: str) -> str:
    return "".join(
        replacement if unicodedata.category(ch).startswith(_DROPPED) and not ch.isspace() else ch
        for ch in text
    )
