"""Record an inbound (mobile-originated) message: store it, act on STOP/START/HELP, confirm.

In ONE transaction (`InboundPort.transaction`) the MO is stored, the opt-out list and its
ledger are changed (with the MO as the ledger's evidence), and the confirmation reply is
queued; the caller acknowledges the deliver_sm only after `record` has returned. A part of a
multipart MO is stored on its own until the part that completes the set brings the whole text,
in the transaction that stores the MO, so a restart between parts loses nothing.

The realm is found by the sender code the phone texted. The source is normalised like every
phone (`domain.phone`). An alphanumeric source is stored but never opted out or answered (it is
not a phone); a source that is neither is refused (`source_phone` is None) and not stored. The
reply is a message of kind "reply": it answers the phone's own request, so the dispatcher sends
it even to a phone that has just opted out. A message that is no keyword but mentions a stop
word is counted in `smsgate_mo_possible_optout` and logged with its id (not its text, which is
the subscriber's) for an operator to review.
"""

import logging
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from smsgate.constants import MAX_ALPHANUMERIC_SENDER
from smsgate.domain.encoding import segment
from smsgate.domain.inbound import InboundRow, MoPart
from smsgate.domain.keywords import (
    DEFAULT_HELP_REPLY,
    DEFAULT_START_REPLY,
    DEFAULT_STOP_REPLY,
    Keyword,
    classify,
    mentions_stop,
)
from smsgate.domain.model import Message, SenderCode
from smsgate.domain.phone import normalise_phone, phone_error
from smsgate.metrics import INBOUND, MO_POSSIBLE_OPTOUT
from smsgate.services.optouts import apply_keyword

log = logging.getLogger(__name__)


class InboundTx(Protocol):
    """What one inbound transaction may do (`store.inbound`)."""

    async def add_part(self, part: MoPart, now: float) -> str | None:
        """Store a part; the whole text once this part completes its set, else None."""
        ...

    async def insert_inbound(self, row: InboundRow) -> int | None:
        """Store the MO; its id."""
        ...

    async def opt_out(
        self, realm_id: int, phone: str, code: str, *, source: str, evidence: int | None
    ) -> None:
        """Opt the phone out of `code` (`evidence`: the MO's id; services.optouts.OptOutRows)."""
        ...

    async def opt_in(
        self, realm_id: int, phone: str, code: str, *, source: str, evidence: int | None
    ) -> None:
        """Opt the phone back in for `code` (services.optouts.OptOutRows)."""
        ...

    async def queue(self, message: Message) -> None:
        """Insert a queued message (the reply)."""
        ...


class InboundPort(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[InboundTx]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        ...


class SenderLookup(Protocol):
    async def get(self, code: str) -> SenderCode | None:
        """The sender code under any of its spellings (`store.directory`)."""
        ...


def source_phone(source: str, region: str) -> tuple[str, bool] | None:
    """(what to store as an MO's phone, whether it is a phone number) for its source address;
    None if it is neither a number nor an alphanumeric sender id."""
    bare = source.strip()
    if phone_error(bare.removeprefix("+")) is None:
        return normalise_phone(bare, region), True
    if bare.isascii() and bare.isalnum() and len(bare) <= MAX_ALPHANUMERIC_SENDER:
        return bare, False
    return None


def reply_text(sender: SenderCode, keyword: Keyword) -> str | None:
    if keyword is Keyword.STOP:
        return sender.stop_reply or DEFAULT_STOP_REPLY
    if keyword is Keyword.START:
        return sender.start_reply or DEFAULT_START_REPLY
    if keyword is Keyword.HELP:
        return sender.help_reply or DEFAULT_HELP_REPLY
    return None


class InboundService:
    """Records MOs (the SMPP link's deliver callback calls `record` through the handler)."""

    def __init__(
        self,
        store: InboundPort,
        senders: SenderLookup,
        *,
        default_region: str,
        on_reply: Callable[[Sequence[Message]], None],
        new_id: Callable[[], str],
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`on_reply`: hands committed replies to the dispatcher; `new_id`: a message id."""
        self._store = store
        self._senders = senders
        self._region = default_region
        self._on_reply = on_reply
        self._new_id = new_id
        self._clock = clock  # wall clock: parts' ages survive a restart

    def accepts_source(self, source: str) -> bool:
        """Is `source` a phone number or an alphanumeric sender id (else the MO is refused)?"""
        return source_phone(source, self._region) is not None

    async def record(
        self, connection: str, source: str, destination: str, received: str | MoPart
    ) -> None:
        """Store an MO, or a part of one (the whole MO once its last part is in); raises
        ValueError for a source `accepts_source` refuses."""
        found = source_phone(source, self._region)
        if found is None:
            raise ValueError(f"MO source {source!r} is not a phone number or sender id")
        phone, is_phone = found
        sender = await self._senders.get(destination)
        reply: Message | None = None
        async with self._store.transaction() as tx:
            if isinstance(received, MoPart):
                text = await tx.add_part(received, self._clock())
                if text is None:
                    return  # stored: acknowledged, and the set waits for its other parts
            else:
                text = received
            keyword = classify(text) if sender is not None and is_phone else Keyword.NONE
            INBOUND.labels(keyword.value).inc()
            mo_id = await tx.insert_inbound(
                InboundRow(
                    realm_id=sender.realm_id if sender else None,
                    connection=connection,
                    sender_code=sender.code if sender else destination[:32],
                    phone=phone,
                    text=text,
                    keyword=keyword.value,
                    received_at=self._clock(),
                )
            )
            if sender is None:
                log.warning(
                    "MO to unknown sender code %s stored without a realm",
                    destination,
                    extra={"connection": connection, "inbound_id": mo_id},
                )
                return
            if is_phone and keyword is Keyword.NONE and mentions_stop(text):
                MO_POSSIBLE_OPTOUT.inc()
                log.info(
                    "MO %s to %s may be an opt-out: review it",
                    mo_id,
                    sender.code,
                    extra={
                        "connection": connection,
                        "inbound_id": mo_id,
                        "realm_id": sender.realm_id,
                    },
                )
            # STOP / START change the list in this transaction (source "mo")
            await apply_keyword(tx, keyword, sender, phone, evidence=mo_id)
            text_out = reply_text(sender, keyword)
            if text_out is not None:
                reply = _reply(self._new_id(), sender, phone, text_out, self._clock())
                await tx.queue(reply)
        if reply is not None:
            self._on_reply([reply])


def _reply(message_id: str, sender: SenderCode, phone: str, text: str, now: float) -> Message:
    segmented = segment(text)
    return Message(
        id=message_id,
        realm_id=sender.realm_id,
        sender_code=sender.code,
        phone=phone,
        text=text,
        encoding=segmented.encoding.value,
        parts=segmented.count,
        created_at=now,
        kind="reply",
    )
