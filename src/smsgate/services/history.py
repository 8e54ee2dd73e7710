"""Message history for the JSON API: one message with its events, pages of outbound and of
inbound messages. Every read is scoped to the caller's realm: another realm's message is
`not_found`, exactly like one that does not exist.

A page's `next_cursor` is opaque to clients (base64url of the last id it holds); it is None on
the last page.
"""

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from smsgate.constants import V1_PAGE_MAX
from smsgate.domain.history import InboundFilter, MessageFilter, may_be_message_id, serial_id
from smsgate.domain.message_events import MessageEvent, accepted
from smsgate.domain.message_resource import (
    InboundResource,
    MessageResource,
    MessageWithEvents,
    inbound_resource,
    message_resource,
    message_with_events,
)
from smsgate.domain.model import InboundMessage, Message
from smsgate.domain.phone import normalise_phone
from smsgate.domain.submission import (
    INVALID_CURSOR,
    INVALID_REQUEST,
    NOT_FOUND,
    Refusal,
    phone_refusal,
)

T = TypeVar("T")


class HistoryPort(Protocol):
    async def message(self, realm_id: int, message_id: str) -> Message | None: ...
    async def events(self, message_id: str) -> list[MessageEvent]: ...
    async def messages(
        self, realm_id: int, where: MessageFilter, limit: int, before: str | None
    ) -> list[Message]: ...
    async def inbound(
        self, realm_id: int, where: InboundFilter, limit: int, before: int | None
    ) -> list[InboundMessage]: ...


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    data: list[T]
    next_cursor: str | None


def encode_cursor(kind: str, last: str | int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{last}".encode()).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str | None) -> str | None:
    """The last id of the previous page, from a cursor of this `kind` of listing."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    prefix, _, last = raw.partition(":")
    if prefix != kind or not last:
        raise Refusal(INVALID_CURSOR, "cursor is not one this listing gave out")
    return last


def _limit(limit: int) -> int:
    if not 1 <= limit <= V1_PAGE_MAX:
        raise Refusal(INVALID_REQUEST, f"limit must be from 1 to {V1_PAGE_MAX}")
    return limit


def _page(items: Sequence[T], limit: int, kind: str, last: str | int | None) -> Page[T]:
    more = len(items) > limit
    return Page(list(items[:limit]), encode_cursor(kind, last) if more and last else None)


class History:
    """The history use cases over the store (see the module docstring)."""

    def __init__(self, store: HistoryPort, *, region: str) -> None:
        self._store = store
        self._region = region

    def _phone(self, raw: str | None) -> str | None:
        if raw is None:
            return None
        refusal = phone_refusal(raw)
        if refusal is not None:
            raise refusal
        return normalise_phone(raw, self._region)

    async def message(self, realm_id: int, message_id: str) -> MessageWithEvents:
        found = None  # and never a query for what cannot be an id (a NUL, say)
        if may_be_message_id(message_id):
            found = await self._store.message(realm_id, message_id)
        if found is None:
            raise Refusal(NOT_FOUND, f"no message {message_id}")
        # `accepted` is the message row itself; the store keeps the events after it
        events = [accepted(found.id, found.created_at), *await self._store.events(found.id)]
        return message_with_events(found, events)

    async def messages(
        self,
        realm_id: int,
        *,
        to: str | None = None,
        status: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int,
        cursor: str | None = None,
    ) -> Page[MessageResource]:
        where = MessageFilter(self._phone(to), status, since, until)
        before = decode_cursor("m", cursor)
        if before is not None and not may_be_message_id(before):
            raise Refusal(INVALID_CURSOR, "cursor is not one this listing gave out")
        rows = await self._store.messages(realm_id, where, _limit(limit) + 1, before)
        last = rows[limit - 1].id if len(rows) > limit else None
        return _page([message_resource(m) for m in rows], limit, "m", last)

    async def inbound(
        self,
        realm_id: int,
        *,
        phone: str | None = None,
        sender_code: str | None = None,
        since: float | None = None,
        limit: int,
        cursor: str | None = None,
    ) -> Page[InboundResource]:
        where = InboundFilter(self._phone(phone), sender_code, since)
        raw = decode_cursor("i", cursor)
        before = serial_id(raw) if raw is not None else None
        if raw is not None and before is None:
            raise Refusal(INVALID_CURSOR, "cursor is not one this listing gave out")
        rows = await self._store.inbound(realm_id, where, _limit(limit) + 1, before)
        last = rows[limit - 1].id if len(rows) > limit else None
        return _page([inbound_resource(m) for m in rows], limit, "i", last)
