"""Cheap log output: lines written in batches, and uvicorn's access line without a LogRecord.

Why this is hand-written: with the access log on (the default), the stock path cost ~15-17 µs of
CPU per request on the 2-core benchmark machine (a `LogRecord` with its caller's frame, the
scrub filter, the formatter, a `write` and a `flush` system call per line), a tenth of the
CPU of a whole api_web request. Two pieces take most of that away and write the same bytes:

* `BatchedStreamHandler`, the handler of every smsgate process: a `StreamHandler` that keeps
  the formatted lines of one moment and writes them together (whole lines, at most PIPE_BUF
  bytes a `write`, so that processes sharing a pipe never tear a line). Lines leave at the
  latest `FLUSH_INTERVAL` seconds later (a daemon thread), at once with a WARNING or worse (so
  an error is on disk before whatever follows it; the lines before it go first, in order),
  when `MAX_PENDING` are waiting, and on `flush()`/`close()`: `logging.shutdown()`, which
  runs at interpreter exit and when `dictConfig` replaces the handler, writes what is left.
  Only a process killed outright (SIGKILL, a crash of the interpreter) loses its last
  `FLUSH_INTERVAL` of lines.
* `FastAccessLog`, which uvicorn's HTTP protocol calls instead of the `uvicorn.access` logger
  (`access_logger`): it builds the text-format line itself, `asctime` cached per second and
  the password scrubbed by the same `scrub` as `ScrubSecrets`, and hands it to the handler.
  It stands in only where it writes exactly what logging would (`access_logger`): the text
  format, the one batched handler with its scrub filter, no other handler or filter on the
  way; anything else (the JSON format, a test's capture handler) keeps the logger.
"""

import logging
import select
import threading
import time
from typing import Final, TextIO

from smsgate.http.log_scrub import PLAIN_FORMAT, ScrubSecrets, scrub

FLUSH_INTERVAL: Final = 0.1  # seconds a line may wait for its batch
MAX_PENDING: Final = 512  # lines that make a batch leave at once
WRITE_BYTES: Final = select.PIPE_BUF  # at most this much a write: 4096 on Linux


class BatchedStreamHandler(logging.StreamHandler[TextIO]):
    """A `StreamHandler` that writes its lines in batches (see the module docstring)."""

    def __init__(self, stream: TextIO | None = None, interval: float = FLUSH_INTERVAL) -> None:
        super().__init__(stream)
        self._pending: list[str] = []
        self._interval = interval
        self._stopped = threading.Event()
        self._closed = False  # `_stopped` set: a plain attribute for `add_line`, read per line
        self._flusher: threading.Thread | None = None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + self.terminator
        except Exception:
            self.handleError(record)
            return
        self.add_line(line, urgent=record.levelno >= logging.WARNING)

    def add_line(self, line: str, *, urgent: bool = False) -> None:
        """Queue one finished line (terminator included); `urgent` writes the batch now."""
        lock = self.lock  # created in Handler.__init__; `with` costs more (called a line)
        lock.acquire()  # type: ignore[union-attr]
        try:
            self._pending.append(line)
            if urgent or len(self._pending) >= MAX_PENDING or self._closed:
                self._write()
            elif self._flusher is None:
                self._flusher = threading.Thread(
                    target=self._flush_every_interval, name="log-flush", daemon=True
                )
                self._flusher.start()
        finally:
            lock.release()  # type: ignore[union-attr]

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._write()
            super().flush()

    def close(self) -> None:
        self._closed = True
        self._stopped.set()
        try:
            self.flush()
        finally:
            super().close()

    def _write(self) -> None:
        """Write the pending lines in writes of whole lines of at most `WRITE_BYTES` (a longer
        line alone, as before): processes sharing a pipe (`serve --api-workers N`, a container's
        stderr) then never tear each other's lines, as a pipe keeps a write of up to PIPE_BUF
        bytes whole. A non-ASCII line counts 10 bytes a character (an escape such as \\U0001f600
        where the stream cannot encode it)."""
        pending = self._pending
        if not pending:
            return
        self._pending = []
        chunk: list[str] = []
        size = 0
        try:
            for line in pending:
                cost = len(line) if line.isascii() else 10 * len(line)
                if chunk and size + cost > WRITE_BYTES:
                    self._write_chunk(chunk)
                    chunk, size = [], 0
                chunk.append(line)
                size += cost
            self._write_chunk(chunk)
        except Exception:
            self.handleError(logging.makeLogRecord({"msg": "".join(pending)}))

    def _write_chunk(self, lines: list[str]) -> None:
        self.stream.write("".join(lines))
        self.stream.flush()

    def _flush_every_interval(self) -> None:
        while not self._stopped.wait(self._interval):
            self.flush()


class FastAccessLog:
    """What uvicorn's protocol calls as its access logger: `info(format, *args)`; the direct
    api_web path (`direct.py`) hands it the scrubbed text itself (`add`)."""

    def __init__(self, logger: logging.Logger, handler: BatchedStreamHandler) -> None:
        self._logger = logger
        self._handler = handler
        self._second = -1
        self._stamp = ""  # the second's asctime and its comma
        self._level_name = f" INFO {logger.name} "

    def info(self, msg: str, *args: object) -> None:
        if self._logger.isEnabledFor(logging.INFO):
            self.add(scrub(msg % args if args else msg))

    def add(self, text: str) -> None:
        """Write the line of the access message `text`, scrubbed already, if the logger's level
        lets it through (checked here too for a caller that made the text first)."""
        if not self._logger.isEnabledFor(logging.INFO):
            return
        now = time.time()  # as LogRecord and Formatter.formatTime derive asctime
        second = int(now)
        if second != self._second:
            self._second = second
            stamp = time.strftime(logging.Formatter.default_time_format, time.localtime(now))
            self._stamp = stamp + ","
        millis = _MILLIS[int((now - second) * 1000)]
        self._handler.add_line(f"{self._stamp}{millis}{self._level_name}{text}\n")


_MILLIS: Final = tuple(f"{n:03d}" for n in range(1000))  # Formatter's "%03d" of the msecs


def access_logger(logger: logging.Logger) -> "logging.Logger | FastAccessLog":
    """A `FastAccessLog` for `logger` if it writes exactly what logging would, else `logger`."""
    handler = _only_handler(logger)
    formatter = handler.formatter if handler is not None else None
    if (
        handler is None
        or type(formatter) is not logging.Formatter
        or formatter._fmt != PLAIN_FORMAT  # the format it was made with
        or formatter.datefmt is not None
        or handler.terminator != "\n"
        or len(handler.filters) != 1
        or type(handler.filters[0]) is not ScrubSecrets
        or handler.level > logging.INFO
    ):
        return logger
    return FastAccessLog(logger, handler)


def _only_handler(logger: logging.Logger) -> BatchedStreamHandler | None:
    """The one handler a record of `logger` reaches, if that is a `BatchedStreamHandler` and
    no logger on the way filters or is disabled."""
    found: list[logging.Handler] = []
    current: logging.Logger | None = logger
    while current is not None:
        if current.filters or current.disabled:
            return None
        found.extend(current.handlers)
        current = current.parent if current.propagate else None
    only = found[0] if len(found) == 1 else None
    return only if type(only) is BatchedStreamHandler else None
