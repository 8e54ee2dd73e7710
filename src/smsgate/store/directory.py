"""A read-through cache of sender codes for the hot path.

api_web needs the sender code's realm on every request; an indexed SELECT per request would
cost more than the rest of the request together. Entries (also "no such code") live a few
seconds, so a sender code added or removed with the CLI, which is another process, takes effect
on a running server within `ttl` seconds (plus one lookup); the same process can `invalidate`
at once.

An expired entry is served once more while ONE background lookup refreshes it
(stale-while-revalidate), and concurrent misses of an unknown code share one lookup. Before,
every request that arrived while an entry was being reloaded ran its own SELECT: under load
that was dozens of queries queued on the read pool every `ttl` seconds, which held those
requests for up to 150 ms and was most of api_web's p99.

A code is cached as the client or SMSC wrote it; a miss looks it up by each of its
`domain.sender_code.lookup_spellings` in turn, so "+120162701555" finds "120162701555".
"""

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Protocol

from smsgate.domain.model import SenderCode
from smsgate.domain.phone import DEFAULT_REGION
from smsgate.domain.sender_code import lookup_spellings

log = logging.getLogger(__name__)

DEFAULT_TTL_SECONDS = 5.0  # how stale a sender code (or its absence) may be on a running server
MAX_ENTRIES = 100_000  # bounds memory when clients send many unknown codes


class SenderLookup(Protocol):
    async def sender(self, code: str) -> SenderCode | None: ...


class SenderDirectory:
    """Looks sender codes up through a short-lived cache. Use from one event loop."""

    def __init__(
        self,
        realms: SenderLookup,
        *,
        ttl: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        region: str = DEFAULT_REGION,
    ) -> None:
        self._realms = realms
        self._region = region
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[str, tuple[SenderCode | None, float]] = {}
        self._loading: dict[str, asyncio.Task[SenderCode | None]] = {}

    async def get(self, code: str) -> SenderCode | None:
        entry = self.cached(code)
        if entry is not None:
            return entry[0]
        return await asyncio.shield(self._loading.get(code) or self._load(code))

    def cached(self, code: str) -> tuple[SenderCode | None, float] | None:
        """`get` without the coroutine while `code` is cached: the entry, whose first item is
        what `get` returns (None: not cached, `get` would look it up). An expired entry is
        served and refreshed in the background, as by `get`. For the hot paths, which look up
        the sender code of every request (`services.sending.Sending.start`) and of every
        message sent (the dispatcher)."""
        entry = self._entries.get(code)
        if entry is None:
            return None
        if entry[1] <= self._clock() and code not in self._loading:
            self._load(code).add_done_callback(_log_failure)  # refresh in the background
        return entry

    def invalidate(self, code: str | None = None) -> None:
        if code is None:
            self._entries.clear()
        else:
            self._entries.pop(code, None)

    def _load(self, code: str) -> "asyncio.Task[SenderCode | None]":
        task = asyncio.create_task(self._fetch(code))
        self._loading[code] = task
        task.add_done_callback(lambda _: self._loading.pop(code, None))
        return task

    async def _fetch(self, code: str) -> SenderCode | None:
        started = self._clock()
        sender = await find_sender(self._realms, code, self._region)
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[code] = (sender, started + self._ttl)
        return sender


async def find_sender(realms: SenderLookup, code: str, region: str) -> SenderCode | None:
    """The sender code stored for `code`, looked up by each of its spellings in turn."""
    for spelling in lookup_spellings(code, region):
        found = await realms.sender(spelling)
        if found is not None:
            return found
    return None


def _log_failure(task: "asyncio.Task[SenderCode | None]") -> None:
    """A failed background refresh: the stale entry stays, the next request tries again."""
    if not task.cancelled() and task.exception() is not None:
        log.warning("sender code refresh failed: %s", task.exception())
