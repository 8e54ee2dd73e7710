"""Classification of inbound (MO) messages as STOP / START / HELP keywords.

A message is a keyword only when, after trimming surrounding whitespace, it is exactly one
of the words below in any letter case. Nothing else is stripped: "STOP." or "stop please"
are not keywords (NONE), which keeps the rule predictable and avoids opting people out on
ordinary replies. Matching is ASCII-only so that Unicode case folding (long s U+017F:
"\u017ftop".upper() == "STOP") cannot turn look-alike text into a keyword.

The default English auto-replies live here too (callers may substitute configured text).
"""

from enum import StrEnum
from typing import Final


class Keyword(StrEnum):
    """What an inbound message asks for."""

    STOP = "stop"
    START = "start"
    HELP = "help"
    NONE = "none"


STOP_WORDS: Final = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
)
START_WORDS: Final = frozenset({"START", "YES", "UNSTOP"})
HELP_WORDS: Final = frozenset({"HELP", "INFO"})

_KEYWORDS: Final[dict[str, Keyword]] = {
    **{word: Keyword.STOP for word in STOP_WORDS},
    **{word: Keyword.START for word in START_WORDS},
    **{word: Keyword.HELP for word in HELP_WORDS},
}

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


def classify(text: str) -> Keyword:
    """The keyword `text` is (single word, any case, surrounding whitespace ignored)."""
    word = text.strip()
    if not word.isascii():
        return Keyword.NONE
    return _KEYWORDS.get(word.upper(), Keyword.NONE)
