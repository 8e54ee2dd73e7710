"""The opt-out scope rule: which opt-outs stop a message.

A phone opts out of one sender code, or of every sender code of a realm (the scope
`REALM_WIDE`). The store reads a phone's scopes in a realm and asks `is_blocked`; no SQL
repeats the rule.
"""

from collections.abc import Collection

REALM_WIDE = ""  # the sender_code value of a realm-wide opt-out


def is_blocked(sender_code: str, scopes: Collection[str]) -> bool:
    """Is a message from `sender_code` stopped by a phone's opt-outs in the message's realm,
    given as their scopes (sender codes, `REALM_WIDE` for the whole realm)?"""
    return REALM_WIDE in scopes or sender_code in scopes


OPTED_OUT_ERROR = "opted out"  # the error of a message an opt-out stopped after its acceptance
