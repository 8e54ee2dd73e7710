"""The console's read model: what each page shows, scoped to what the viewer may see.

A realm user's query names their realm; an operator's names none (or every realm, where an
index needs it: store/console_queries.py). Anything of another realm is `NotFound`, exactly
like something that does not exist, so that guessing URLs tells a realm user nothing.
"""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from smsgate.constants import (
    CONSOLE_OVERVIEW_CACHED_SCOPES,
    CONSOLE_OVERVIEW_REUSE_FACTOR,
    CONSOLE_OVERVIEW_REUSE_MAX_SECONDS,
    CONSOLE_PAGE_ROWS,
)
from smsgate.domain.api_key import ApiKey
from smsgate.domain.console import BindLease, InboundRow, MessageRow, PartRow, Viewer, first_id_at
from smsgate.domain.model import SenderCode, Status
from smsgate.services.errors import NotFound

DAY = 86400.0
DELIVERED = frozenset({Status.DELIVERED.value})
FAILED = frozenset(
    s.value
    for s in (
        Status.FAILED,
        Status.UNDELIVERABLE,
        Status.EXPIRED,
        Status.REJECTED,
        Status.DELETED,
        Status.UNKNOWN,
    )
)


@dataclass(frozen=True, slots=True)
class LinkState:
    """One SMPP connection of this process: its binds and its submit window."""

    name: str
    bound: int
    binds: int
    window_in_use: int
    window: int
    throttled: int  # submit_sm answered ESME_RTHROTTLED since the start


@dataclass(frozen=True, slots=True)
class RealmToday:
    name: str
    accepted: int = 0
    delivered: int = 0
    failed: int = 0
    opted_out: int = 0


@dataclass(frozen=True, slots=True)
class Overview:
    waiting: dict[str, int]  # queued, sending
    today: dict[str, int]  # every status of today's messages
    realms: list[RealmToday]
    stops_today: int
    webhook_backlog: int | None = None  # deliveries still to make (None: not counted here)
    links: list[LinkState] = field(default_factory=list)  # this process's
    leases: list[BindLease] = field(default_factory=list)  # every node's (PostgreSQL)


@dataclass(frozen=True, slots=True)
class MessagePage:
    rows: list[MessageRow]
    next_cursor: str | None  # the `before` of the next page


@dataclass(frozen=True, slots=True)
class RealmView:
    id: int
    name: str
    senders: list[SenderCode]
    keys: list[ApiKey]


class ReadModel(Protocol):
    """The console's queries (store/console_queries.py); `realm_ids` None is every realm."""

    async def realm_ids(self) -> list[int]: ...
    async def bind_leases(self) -> list[BindLease]: ...
    async def realm_names(self) -> dict[int, str]: ...
    async def sender_realm(self, code: str) -> int | None: ...
    async def waiting(self, realm_ids: Sequence[int] | None) -> dict[str, int]: ...
    async def since(
        self, first_id: str, realm_ids: Sequence[int] | None
    ) -> dict[tuple[int, str], int]: ...
    async def opted_out_since(
        self, epoch: float, realm_ids: Sequence[int] | None
    ) -> dict[int, int]: ...
    async def stops_since(self, epoch: float, realm_ids: Sequence[int] | None) -> int: ...
    async def messages(
        self,
        realm_ids: Sequence[int],
        *,
        phone: str | None = ...,
        status: str | None = ...,
        sender_code: str | None = ...,
        before: str | None = ...,
        since: str | None = ...,
        limit: int,
    ) -> list[MessageRow]: ...
    async def message(self, message_id: str) -> tuple[MessageRow, list[PartRow]] | None: ...
    async def inbound(
        self, realm_ids: Sequence[int] | None, *, before: int | None, limit: int
    ) -> list[InboundRow]: ...


class Backlog(Protocol):
    """The webhook backlog (services/console_webhooks.py); `realm_ids` None is every realm."""

    async def backlog(self, realm_ids: Sequence[int] | None) -> int: ...


class Directory(Protocol):
    """What the realms page needs of the realms and API keys (their stores and services)."""

    async def list_realm_names(self) -> list[tuple[int, str]]: ...
    async def senders(self, realm: str) -> list[SenderCode]: ...
    async def keys(self, realm: str) -> list[ApiKey]: ...


def midnight(now: float) -> float:
    """The start of `now`'s day (UTC)."""
    return now - now % DAY


class ConsoleViews:
    """Overview, messages, a message's timeline, inbound messages, realms."""

    def __init__(
        self,
        queries: ReadModel,
        directory: Directory,
        *,
        links: Callable[[], list[LinkState]] = list,
        webhooks: Backlog | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._q = queries
        self._monotonic = monotonic
        self._directory = directory
        self._links = links
        self._webhooks = webhooks
        self._clock = clock
        self._today: dict[object, tuple[float, dict[tuple[int, str], int]]] = {}

    async def _realms(self, viewer: Viewer) -> list[int] | None:
        return None if viewer.is_operator else [_realm_id(viewer)]

    async def realm_names(self, viewer: Viewer) -> dict[int, str]:
        names = await self._q.realm_names()
        return {i: n for i, n in names.items() if viewer.sees(i)}

    async def overview(self, viewer: Viewer) -> Overview:
        scope = await self._realms(viewer)
        start = midnight(self._clock())
        counts = await self._counts_since(start, scope)
        opted = await self._q.opted_out_since(start, scope)
        names = await self.realm_names(viewer)
        today: dict[str, int] = {}
        for (_, status), n in counts.items():
            today[status] = today.get(status, 0) + n
        realms = [
            RealmToday(
                name=name,
                accepted=sum(n for (r, _), n in counts.items() if r == realm_id),
                delivered=sum(
                    n for (r, st), n in counts.items() if r == realm_id and st in DELIVERED
                ),
                failed=sum(n for (r, st), n in counts.items() if r == realm_id and st in FAILED),
                opted_out=opted.get(realm_id, 0),
            )
            for realm_id, name in sorted(names.items(), key=lambda item: item[1])
        ]
        return Overview(
            waiting=await self._q.waiting(scope),
            today=today,
            realms=realms,
            stops_today=await self._q.stops_since(start, scope),
            webhook_backlog=None if self._webhooks is None else await self._webhooks.backlog(scope),
            links=self._links() if viewer.is_operator else [],
            leases=await self._q.bind_leases() if viewer.is_operator else [],
        )

    async def _counts_since(
        self, start: float, scope: list[int] | None
    ) -> dict[tuple[int, str], int]:
        """Today's counts per (realm, status): a scan of today's messages, so an answer that
        took a while is reused for a while (constants.CONSOLE_OVERVIEW_REUSE_FACTOR)."""
        key = (start, tuple(scope) if scope is not None else None)
        now = self._monotonic()
        cached = self._today.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        counts = await self._q.since(first_id_at(start), scope)
        took = self._monotonic() - now
        reuse = min(took * CONSOLE_OVERVIEW_REUSE_FACTOR, CONSOLE_OVERVIEW_REUSE_MAX_SECONDS)
        if len(self._today) >= CONSOLE_OVERVIEW_CACHED_SCOPES:
            self._today.clear()
        self._today[key] = (self._monotonic() + reuse, counts)
        return counts

    async def messages(
        self,
        viewer: Viewer,
        *,
        phone: str | None = None,
        status: str | None = None,
        sender_code: str | None = None,
        before: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = CONSOLE_PAGE_ROWS,
    ) -> MessagePage:
        """A page of messages, newest first, accepted from `since` and before `until` (epoch
        seconds; ids are ULIDs, so times are id ranges), below the cursor `before`."""
        scope = await self._realms(viewer)
        owner = await self._q.sender_realm(sender_code) if sender_code is not None else None
        if owner is not None:  # a sender code has one realm: search that realm only
            if not viewer.sees(owner):
                return MessagePage([], None)
            scope = [owner]
        if scope is None:
            scope = await self._q.realm_ids()
        if not scope:
            return MessagePage([], None)
        rows = await self._q.messages(
            scope,
            phone=phone,
            status=status,
            sender_code=sender_code,
            before=_upper(before, until),
            since=first_id_at(since) if since is not None else None,
            limit=limit + 1,
        )
        more = len(rows) > limit
        rows = rows[:limit]
        return MessagePage(rows, rows[-1].id if more and rows else None)

    async def message(self, viewer: Viewer, message_id: str) -> tuple[MessageRow, list[PartRow]]:
        """A message and its parts; NotFound if there is none the viewer may see."""
        found = await self._q.message(message_id)
        if found is None or not viewer.sees(found[0].realm_id):
            raise NotFound(f"message {message_id} not found")
        return found

    async def inbound(
        self, viewer: Viewer, *, before: int | None = None, limit: int = CONSOLE_PAGE_ROWS
    ) -> tuple[list[InboundRow], int | None]:
        rows = await self._q.inbound(await self._realms(viewer), before=before, limit=limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        return rows, rows[-1].id if more and rows else None

    async def realms(self, viewer: Viewer) -> list[RealmView]:
        views = []
        for realm_id, name in await self._directory.list_realm_names():
            if viewer.sees(realm_id):
                senders = await self._directory.senders(name)
                views.append(RealmView(realm_id, name, senders, await self._directory.keys(name)))
        return views


def _upper(before: str | None, until: float | None) -> str | None:
    """The id every message of the page is below: the cursor's, or `until`'s, the lower."""
    bound = first_id_at(until) if until is not None else None
    if before is None:
        return bound
    return before if bound is None else min(before, bound)


def _realm_id(viewer: Viewer) -> int:
    assert viewer.user.realm_id is not None
    return viewer.user.realm_id
