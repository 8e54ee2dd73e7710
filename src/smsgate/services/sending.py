"""Accept a message to send: the use case behind every door that sends (api_web, and the JSON
and REST APIs to come).

The door authenticates the caller its own way and hands over the realm and the arguments; this
service looks the sender code up, applies the rules of `domain.send` (the failure table, in
its documented order), makes the one `Message` record (id, normalised phone, encoding and
part count from `domain.encoding.measure`) and commits it through the group commit
(services/group_commit.py, or an API worker's link to its core). The answer is the stored
`Message` only once it is durable (on SQLite: after the WAL sync); otherwise `Refused`, with
the FAILURE reason and why (a bad request, an opt-out, or the store unavailable).
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

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
from smsgate.services.group_commit import AcceptsMessages
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
