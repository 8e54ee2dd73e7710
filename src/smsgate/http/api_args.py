"""api_web's arguments straight from the raw request: `api_args(body, query)`.

The result is exactly `send.parse_args(form_pairs(body), form_pairs(query))` (a property test
holds them equal on arbitrary bytes): the fields of the POST body, then those of the query
string; the first occurrence of an argument wins, whichever alias carried it; names and values
are decoded as `form_pairs` decodes them (`+` and `%XX` as UTF-8, other bytes kept as lone
surrogates), and `send.args_from_fields` makes the record.

Why hand-written: the general form builds a list of (name, value) pairs per source and then
folds them with a dict per source, and decodes every value that holds `%` or `+`; this is one
pass over each source that decodes a value only when it fills an argument for the first time
(an unknown or repeated argument costs no `unquote`), ~2x faster than the general form for
api_web's usual query string (a few µs of each request on the 2-core benchmark machine).
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
        coded = "%" in field or "+" in field
        if coded:
            name = unquote(name.replace("+", " "), errors="surrogateescape")
        key = aliases.get(name.lower())
        if key is None or key in fields:
            continue
        if coded:
            value = unquote(value.replace("+", " "), errors="surrogateescape")
        fields[key] = value
