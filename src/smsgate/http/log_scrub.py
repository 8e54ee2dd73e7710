"""Keep realm passwords out of every log line.

WhatCounts clients put the password in the query string (`p=` or `pwd=`), and the access log
prints the query string. This filter, installed on every handler, rewrites each record's final
text with the values of `p` and `pwd` (and their percent-encoded or upper-case spellings)
replaced by `***`, whatever logger produced it. The value is everything up to the next `&` or
white space: a query string cannot hold a raw `&` or space inside a value, so this is the whole
value as api_web reads it (it may scrub a little more in free text, never less).
"""

import logging
import re
from typing import Any

# p= or pwd= (any case; letters may be percent-encoded, e.g. %70=, since the API decodes names)
# at the start of a query string or after ?, &, ; or whitespace. The value runs to the next &
# or white space (the end of the request target in an access log line), whatever it holds:
# quotes, semicolons and brackets may be part of a password (encodeURIComponent leaves ' raw).
# Spelled for speed, the same matches as (?i)((?:^|[?&;\s"'])(?:p|%[57]0)(?:(?:w|%[57]7)
# (?:d|%[46]4))?=)[^&\s]* (a test holds them equal), for a third of its cost. The match starts
# at the `=`, which the engine skips to with its fast search for a leading literal (a leading
# set of characters is tested character by character), and the name and the boundary before it
# are looked behind, each spelling at its fixed width: so the name stays in the text and the
# replacement is a constant, no function or template run per match. A match ends before an &
# or white space, so the boundary of the next one (and its `=`) is never inside it.
_SPELLINGS = [
    p + wd
    for wd in ("", *(w + d for w in ("[wW]", "%[57]7") for d in ("[dD]", "%[46]4")))
    for p in ("[pP]", "%[57]0")
]
_BEHIND = "|".join(rf"(?<=[?&;\s\"']{name}=)|(?<=^{name}=)" for name in _SPELLINGS)
# [pP0dD4]: the last character of every name, a quick refusal of every other `=`
_SECRET = re.compile(rf"=(?<=[pP0dD4]=)(?:{_BEHIND})[^&\s]*")
PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def scrub(text: str) -> str:
    """`text` with every password value replaced by `***`."""
    return _SECRET.sub("=***", text)


class ScrubSecrets(logging.Filter):
    """Rewrites a record's message so that no password value survives."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = scrub(record.exc_text)
        return True


def logging_config(
    level: str = "info", *, access_log: bool = True, log_format: str = "text"
) -> dict[str, Any]:
    """A `logging.config.dictConfig` dict for uvicorn and smsgate with the filter installed;
    `log_format` "json" writes one JSON object per line (http/log_json.py)."""
    json_lines = log_format == "json"
    handler = {
        "class": "smsgate.http.log_batch.BatchedStreamHandler",  # lines leave in batches
        "formatter": "json" if json_lines else "plain",
        # the access fields are read from the record's arguments, before scrub folds them in
        "filters": ["access_fields", "scrub"] if json_lines else ["scrub"],
        "stream": "ext://sys.stderr",
    }
    filters: dict[str, Any] = {"scrub": {"()": ScrubSecrets}}
    formatters: dict[str, Any] = {"plain": {"format": PLAIN_FORMAT}}
    if json_lines:
        from smsgate.http.log_json import AccessFields, JsonLines

        filters["access_fields"] = {"()": AccessFields}
        formatters["json"] = {"()": JsonLines}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": filters,
        "formatters": formatters,
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level.upper()},
        "loggers": {
            "uvicorn": {"level": level.upper()},
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {"level": "INFO" if access_log else "WARNING"},
        },
    }
