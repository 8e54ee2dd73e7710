"""api_web's arguments straight from the raw request: `api_args(body, query)`.

The result is exactly `send.parse_args` over `urllib.parse.parse_qsl` of the body and of the
query string (decoded with "surrogateescape", blank values kept; a property test holds them
equal on arbitrary bytes): the fields of the POST body, then those of the query string; the
first occurrence of an argument wins, whichever alias carried it; `+` and `%XX` decode as
UTF-8 and other bytes stay lone surrogates, so that `domain.send` can refuse a message text
that was not valid UTF-8 instead of sending U+FFFD; `send.args_from_fields` makes the record.

Why hand-written: `parse_qsl` unquotes every name and value even when there is nothing to
decode (~10 % of an API worker's time per request, py-spy, 2026-11-25), and pairs then folded
by `parse_args` cost a list and a dict per source; this is one pass over each source that
decodes a name or a value only when it holds `%` or `+`, and a value only when it fills an
argument for the first time (an unknown or repeated argument costs no `unquote`). A value whose only
escapes are `%20` (a text's spaces, the usual case) is decoded by `str.replace` alone, which is
what `unquote` makes of it, at a fraction of its cost (a property test holds them equal).
"""

from urllib.parse import unquote

from smsgate.domain.send import ALIASES, SendArgs, args_from_fields


def api_args(body: bytes, query: bytes) -> SendArgs:
    """The arguments of one api_web request: the form body first, then the query string."""
    fields: dict[str, str] = {}
    if body:
        _fold(body, fields)
    if query:
        _fold(query, fields)
    return args_from_fields(fields)


def _fold(raw: bytes, fields: dict[str, str]) -> None:
    """Add the arguments of one query string or form body not in `fields` yet."""
    aliases = ALIASES
    for field in raw.decode("utf-8", "surrogateescape").split("&"):
        if not field:
            continue
        name, _, value = field.partition("=")
        if "%" in name or "+" in name:
            name = unquote_field(name)
        # the names are ALIASES' keys as they are, lower case, but for an odd client
        key = aliases.get(name) or aliases.get(name.lower())
        if key is None or key in fields:
            continue
        if "%" in value or "+" in value:
            value = unquote_field(value)
        fields[key] = value


def unquote_field(text: str) -> str:
    """A name or value as parse_qsl decodes it: `+` a space, `%XX` as UTF-8 (other bytes stay
    lone surrogates)."""
    text = text.replace("+", " ")
    if "%" not in text:
        return text
    # every "%" starts a "%20": the left-to-right replace decodes exactly what unquote would
    spaced = text.replace("%20", " ")
    if "%" not in spaced:
        return spaced
    return unquote(text, errors="surrogateescape")
