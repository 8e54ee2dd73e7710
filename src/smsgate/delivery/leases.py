"""SMPP bind slots shared by several dispatchers, through leases in the database.

An SMSC account allows a fixed number of simultaneous binds (`binds` in `[[smpp]]`); a bind
beyond that is refused, or worse, silently kicks an older one. So however many dispatchers
run, together they must open at most `binds` sessions per connection. Each slot 0..binds-1 is a
row in `smpp_binds`; a dispatcher holds a slot while `owner` is its node id and `lease_until`
is in the future, and only then keeps a session bound for it.

Every heartbeat a dispatcher's `LeaseManager`, per connection:

1. renews the leases it holds (one UPDATE ... WHERE owner = me RETURNING slot: whatever is not
   returned was lost, and its session is unbound at once);
2. computes its fair share, ceil(binds / live dispatchers), and gives back slots above it,
   unbinding first and releasing the row after, so the account never sees binds + 1 sessions
   (it never gives back its last slot: shares shrink by at most what a newcomer can take);
3. below its share, acquires free or expired slots with one conditional UPDATE (`owner IS NULL
   OR lease_until < now`, SKIP LOCKED on PostgreSQL): two dispatchers can never both win a slot.

A lease lasts `lease_seconds` (the node timeout) by the database clock. The holder counts its
own lease from BEFORE the renewing statement was sent, with its monotonic clock, so it always
believes its lease ends earlier than the database does; if it cannot renew in time (database
unreachable) it unbinds on its own. A dead dispatcher's slots come free when the reaper deletes
its node (`store.nodes`) or when its leases expire, whichever is first, and are taken at the
next heartbeat of a live one.

Rates follow the slots: a link's bucket is max_tps * slots held / binds (`Link.set_slots`), so
the account's max_tps holds across all dispatchers together.
"""

import asyncio
import logging
import math
import time
from collections.abc import Iterable
from typing import Protocol

from smsgate.delivery.link import Link

log = logging.getLogger(__name__)


class BindLeases(Protocol):
    """One node's bind-slot leases (`store.leases.LeaseStore`)."""

    lease_seconds: float

    async def renew(self, connection: str, binds: int) -> frozenset[int]: ...

    async def acquire(self, connection: str, binds: int, count: int) -> frozenset[int]: ...

    async def release(self, connection: str, slots: Iterable[int]) -> None: ...

    async def release_all(self) -> None: ...


def fair_share(binds: int, dispatchers: int) -> int:
    """Slots one dispatcher may hold: all of them alone, at least one each while they last."""
    return min(binds, max(1, math.ceil(binds / max(1, dispatchers))))


class LeaseManager:
    """Keeps each link's slot set in line with the leases this node holds (module docstring)."""

    def __init__(
        self,
        store: BindLeases,
        links: Iterable[Link],
        *,
        unbind_timeout: float = 5.0,
    ) -> None:
        self.store = store
        self.links = list(links)
        self._unbind_timeout = unbind_timeout
        self._valid_until: dict[str, float] = {}  # link name -> monotonic end of our leases

    async def tick(self, dispatchers: int) -> None:
        """One round for every link; `dispatchers` is the number of live dispatchers."""
        for link in self.links:
            await self._tick_link(link, fair_share(link.config.binds, dispatchers))

    async def _tick_link(self, link: Link, share: int) -> None:
        binds = link.config.binds
        started = time.monotonic()
        budget = max(0.5, self.store.lease_seconds / 3)
        try:
            async with asyncio.timeout(budget):
                held = await self.store.renew(link.name, binds)
            lost = link.slots - held
            if lost:
                log.warning(
                    "%s: lost the lease on bind slots %s",
                    link.name,
                    sorted(lost),
                    extra={"connection": link.name},
                )
            if len(held) > share:
                give_back = frozenset(sorted(held)[share:])
                held -= give_back
                await link.set_slots(held, self._unbind_timeout)  # unbind first ...
                async with asyncio.timeout(budget):
                    await self.store.release(link.name, give_back)  # ... then free the rows
                log.info(
                    "%s: gave back bind slots %s (fair share %d)",
                    link.name,
                    sorted(give_back),
                    share,
                )
            elif len(held) < share:
                async with asyncio.timeout(budget):
                    held |= await self.store.acquire(link.name, binds, share - len(held))
            self._valid_until[link.name] = started + self.store.lease_seconds
            await link.set_slots(held, self._unbind_timeout)
        except Exception as exc:
            log.warning(
                "%s: bind lease round failed: %s", link.name, exc, extra={"connection": link.name}
            )
            if link.slots and time.monotonic() >= self._valid_until.get(link.name, 0.0):
                log.error("%s: cannot renew bind leases; unbinding", link.name)
                await link.set_slots((), self._unbind_timeout)

    async def release_all(self) -> None:
        """Free every slot of this node (after its links were stopped)."""
        await self.store.release_all()
