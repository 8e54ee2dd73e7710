"""A read-through cache of sender codes for the hot path.

api_web needs the sender code's realm on every request; an indexed SELECT per request would
cost more than the rest of the request together. Entries (also "no such code") live a few
seconds, so a sender code added or removed with the CLI, which is another process, takes effect
on a running server within `ttl` seconds; the same process can `invalidate` at once.
"""

import time
from collections.abc import Callable

from smsgate.domain.model import SenderCode
from smsgate.store.realms import RealmStore

DEFAULT_TTL_SECONDS = 5.0  # how stale a sender code (or its absence) may be on a running server
MAX_ENTRIES = 100_000  # bounds memory when clients send many unknown codes


class SenderDirectory:
    """Looks sender codes up through a short-lived cache."""

    def __init__(
        self,
        realms: RealmStore,
        *,
        ttl: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._realms = realms
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[str, tuple[SenderCode | None, float]] = {}

    async def get(self, code: str) -> SenderCode | None:
        entry = self._entries.get(code)
        now = self._clock()
        if entry is not None and entry[1] > now:
            return entry[0]
        sender = await self._realms.sender(code)
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[code] = (sender, now + self._ttl)
        return sender

    def invalidate(self, code: str | None = None) -> None:
        if code is None:
            self._entries.clear()
        else:
            self._entries.pop(code, None)
