"""Accept a message to send: the use case behind every door that sends (api_web, and the JSON
and REST APIs to come).

The door authenticates the caller its own way and hands over the realm and the arguments; this
service looks the sender code up, applies the rules of `domain.send` (the failure table, in
its documented order), makes the one `Message` record (id, normalised phone, encoding and
part count from `domain.encoding.measure`) and commits it through the group commit
(services/group_commit.py, or an API worker's link to its core). The answer is the stored
`Message` only once it is durable (on SQLite: after the WAL sync); otherwise `Refused`, with
the FAILURE reason and why (a bad request, an opt-out, or the store unavailable).

`start`, `finish` and `decided` are `send` cut at the commit, as plain calls, for a door that
answers without a task (api_web's direct GETs) when the sender code is cached and the
accepter is this process's: `send` itself is made of the same steps.
"""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from smsgate.constants import SUPPORTED_COMMAND
from smsgate.domain.encoding import measure
from smsgate.domain.model import Message, Outcome, SenderCode
from smsgate.domain.phone import normalise_phone
from smsgate.domain.record import record
from smsgate.domain.send import (
    TEMPORARILY_UNAVAILABLE,
    SendArgs,
    Valid,
    opted_out_reason,
    validate,
)
from smsgate.services.group_commit import Accepter, AcceptsMessages
from smsgate.store.errors import StoreUnavailable


class SenderLookup(Protocol):
    """Sender codes by the spelling a client used (store/directory.py: a short-lived cache)."""

    async def get(self, code: str) -> SenderCode | None: ...


class Cause(StrEnum):
    """Why a message was refused (the values are api_web's metrics labels)."""

    BAD_REQUEST = "bad_request"  # the reason may repeat client values: scrub the password
    OPTED_OUT = "opted_out"  # likewise
    UNAVAILABLE = "unavailable"  # nothing was stored; the client may try again


@record  # made for every accepted request: see domain/record.py
class Accepted:
    """Committed durably: the message as stored (status `queued`, or `sending` if the
    dispatcher took it at once), and the sender code it is sent from."""

    message: Message
    sender: SenderCode


@dataclass(frozen=True, slots=True)
class Refused:
    reason: str  # the FAILURE reason, in the wording of domain.send
    cause: Cause


UNAVAILABLE = Refused(TEMPORARILY_UNAVAILABLE, Cause.UNAVAILABLE)


@record  # made for every request that takes `Sending.start`
class Committing:
    """A valid request's message handed to the group commit (`Sending.start`): its outcome
    is the future's; `Sending.decided` makes `send`'s answer of it."""

    checked: Valid
    message: Message
    outcome: "asyncio.Future[Outcome]"


@runtime_checkable
class CachedSenders(Protocol):
    """A `SenderLookup` that can answer from its cache without awaiting (store/directory.py)."""

    def cached(self, code: str) -> tuple[SenderCode | None, float] | None: ...


class Sending:
    """Validates and commits messages of authenticated realms; see the module docstring."""

    def __init__(
        self,
        senders: SenderLookup,
        accepter: AcceptsMessages,
        *,
        default_region: str,
        new_id: Callable[[], str],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._senders = senders
        self._accepter = accepter
        self._region = default_region
        self._new_id = new_id
        self._clock = clock
        # `start`'s ways to the sender codes and the commit, where neither needs awaiting
        self._cached = senders.cached if isinstance(senders, CachedSenders) else None
        self._accept_now = accepter.accept if isinstance(accepter, Accepter) else None

    async def send(self, realm_id: int, args: SendArgs) -> Accepted | Refused:
        """Send what a WhatCounts command asks for (`args`) from realm `realm_id`: the message
        as committed durably, or why not."""
        code = (args.sender_code or "").strip()
        sender = await self._senders.get(code) if code else None
        checked = validate(args, realm_id, sender)
        if isinstance(checked, str):
            return Refused(checked, Cause.BAD_REQUEST)
        message = self.message(realm_id, checked)
        try:
            outcome = await self._accepter.accept(message)
        except StoreUnavailable:
            return UNAVAILABLE
        return self.decided(checked, message, outcome)

    def start(self, realm_id: int, args: SendArgs) -> "Committing | None":
        """`send` up to the commit, as a plain call, when nothing before the commit has to be
        awaited (the sender code cached, the request valid, this process's `Accepter`): the
        message handed to the group commit, for `decided` once its future is done. None when
        `send` must be awaited instead; nothing was committed then, and what was done
        (a cache refresh started, an id made) `send` does again or does not mind."""
        cached, accept_now = self._cached, self._accept_now
        if cached is None or accept_now is None:
            return None
        code = (args.sender_code or "").strip()
        entry = cached(code) if code else None
        if entry is None:
            return None
        checked = validate(args, realm_id, entry[0])
        if isinstance(checked, str):
            return None
        message = self.message(realm_id, checked)
        try:
            outcome = accept_now(message)
        except StoreUnavailable:
            return None
        return Committing(checked, message, outcome)

    def finish(self, committing: Committing) -> Accepted | Refused:
        """`send`'s answer to a request `start` took, its outcome's future being done (a
        cancelled future raises CancelledError, as `send` awaiting it does)."""
        try:
            outcome = committing.outcome.result()
        except StoreUnavailable:
            return UNAVAILABLE
        return self.decided(committing.checked, committing.message, outcome)

    def decided(self, checked: Valid, message: Message, outcome: Outcome) -> Accepted | Refused:
        """What `send` answers once the commit of `message` (made of `checked`) is decided."""
        if outcome is Outcome.OPTED_OUT:
            reason = opted_out_reason(checked.phone, checked.sender.code)
            return Refused(reason, Cause.OPTED_OUT)
        return Accepted(message, checked.sender)

    async def send_text(
        self, realm_id: int, phone: str, sender_code: str, text: str
    ) -> Accepted | Refused:
        """`send` for a door with its own argument names (same rules, same order)."""
        args = SendArgs(
            command=SUPPORTED_COMMAND, phone=phone, sender_code=sender_code, message_text=text
        )
        return await self.send(realm_id, args)

    def message(self, realm_id: int, checked: Valid) -> Message:
        """The record of a valid request, ready to commit."""
        encoding, parts = measure(checked.text)
        return Message(
            id=self._new_id(),
            realm_id=realm_id,
            sender_code=checked.sender.code,
            phone=normalise_phone(checked.phone, self._region),
            text=checked.text,
            encoding=encoding.value,
            parts=parts,
            created_at=self._clock(),
        )
