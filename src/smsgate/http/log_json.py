"""`SMSGATE_LOG_FORMAT=json`: one JSON object per log line, for log shippers.

Each line has `time` (UTC, ISO 8601 with milliseconds), `level`, `logger` and `message`, then
the record's extra fields (`extra={"message_id": ..., "connection": ...}` at the call site),
and `exc_info` with the traceback when there is one. uvicorn's access lines also carry
`client`, `method`, `path` and `status` (`AccessFields`).

python-json-logger does the JSON (field selection, extras, exceptions); this module adds the
field names and, as in the text format, the password scrubbing: the handler's `ScrubSecrets`
filter has already rewritten the message, and `process_log_record` scrubs every other string
of the object too (extras, the formatted traceback, the access path), so a password reaches
the log in no field.
"""

import logging
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from smsgate.http.log_scrub import scrub

# The positional arguments of uvicorn's access log record, in order (uvicorn/protocols/http).
_ACCESS_ARGS = ("client", "method", "path", "http_version", "status")


class AccessFields(logging.Filter):
    """Copies the fields of uvicorn's access lines onto the record (before `ScrubSecrets`,
    which folds the arguments into the message), the path scrubbed."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
            fields = dict(zip(_ACCESS_ARGS, args, strict=True))
            fields["path"] = scrub(str(fields["path"]))
            for key, value in fields.items():
                setattr(record, key, value)
        return True


def _scrubbed(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list | tuple):
        return [_scrubbed(item) for item in value]
    return value


class JsonLines(JsonFormatter):
    """The formatter of `SMSGATE_LOG_FORMAT=json` (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__(
            "{levelname}{name}{message}",
            style="{",
            rename_fields={"levelname": "level", "name": "logger"},
            json_ensure_ascii=False,
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        when = datetime.fromtimestamp(record.created, UTC)
        log_data["time"] = when.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        super().add_fields(log_data, record, message_dict)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {key: _scrubbed(value) for key, value in log_data.items()}
