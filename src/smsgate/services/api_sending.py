"""Sending through the JSON API: `POST /v1/messages`, with `Idempotency-Key`.

The same path as api_web's (one group commit, 202 only after the commit, opt-outs read again in
the accept transaction) with /v1's rules (domain/submission.py): up to MAX_V1_MESSAGE_CHARS as
concatenated parts, a `client_ref`, a `validity_seconds`.

An `Idempotency-Key` is bound to the hash of the request. A request whose key is known already
gets the message that key made (`replayed`), or `idempotency_conflict` if its body differs. A
new key is claimed in the accept transaction of its message (store/idempotency.py): of any
number of requests racing with one key, one message is stored and the others are answered
with it. Only a stored message claims a key: a refusal (opted out, unknown sender code) does
not, so a retry after the cause is fixed can succeed.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from smsgate.constants import MAX_V1_MESSAGE_CHARS
from smsgate.domain import submission as rules
from smsgate.domain.encoding import segment
from smsgate.domain.message_resource import MessageResource, message_resource
from smsgate.domain.model import IdempotencyClaim, Message, Outcome, SenderCode, StoredKey
from smsgate.domain.phone import normalise_phone
from smsgate.domain.submission import Refusal, SendRequest
from smsgate.domain.text_cost import TextCost, text_cost
from smsgate.services.group_commit import AcceptsMessages
from smsgate.store.errors import StoreUnavailable


class SenderCodes(Protocol):
    async def get(self, code: str) -> SenderCode | None: ...


class ClaimedKeys(Protocol):
    async def get(self, realm_id: int, key: str) -> StoredKey | None: ...


class StoredMessages(Protocol):
    async def get(self, realm_id: int, message_id: str) -> Message | None: ...


@dataclass(frozen=True, slots=True)
class Sent:
    message: MessageResource
    replayed: bool  # the answer to an earlier request with the same Idempotency-Key


class ApiSending:
    """`send` (see the module docstring)."""

    def __init__(
        self,
        senders: SenderCodes,
        accepter: AcceptsMessages,
        keys: ClaimedKeys,
        messages: StoredMessages,
        *,
        region: str,
        new_id: Callable[[], str],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._senders = senders
        self._accepter = accepter
        self._keys = keys
        self._messages = messages
        self._region = region
        self._clock = clock
        self._new_id = new_id

    async def send(
        self, realm_id: int, request: SendRequest, idempotency_key: str | None = None
    ) -> Sent:
        """Accept `request` for `realm_id` (raises `Refusal`)."""
        refusal = rules.check_send(request)
        if refusal is not None:
            raise refusal
        code = request.sender_code.strip()
        sender = await self._senders.get(code)
        if sender is None or sender.realm_id != realm_id:
            raise rules.unknown_sender(code)
        claim: IdempotencyClaim | None = None
        if idempotency_key is not None:
            refusal = rules.idempotency_key_refusal(idempotency_key)
            if refusal is not None:
                raise refusal
            claim = IdempotencyClaim(idempotency_key, rules.request_hash(request))
            earlier = await self._replay(realm_id, claim)
            if earlier is not None:
                return earlier
        cut = segment(request.text)
        message = Message(
            id=self._new_id(),
            realm_id=realm_id,
            sender_code=sender.code,
            phone=normalise_phone(request.to.strip().removeprefix("+"), self._region),
            text=request.text,
            encoding=cut.encoding.value,
            parts=cut.count,
            created_at=self._clock(),
            client_ref=request.client_ref,
            validity_seconds=request.validity_seconds,
            idempotency=claim,
        )
        try:
            outcome = await self._accepter.accept(message)
        except StoreUnavailable:
            raise Refusal(rules.UNAVAILABLE, "Temporarily unable to accept messages") from None
        if outcome is Outcome.OPTED_OUT:
            raise rules.opted_out(message.phone, sender.code)
        if outcome is Outcome.DUPLICATE:
            assert claim is not None  # only a message with a key can be a duplicate
            earlier = await self._replay(realm_id, claim)
            if earlier is None:  # claimed in a transaction that has committed: never
                raise Refusal(rules.UNAVAILABLE, "Temporarily unable to accept messages")
            return earlier
        return Sent(message_resource(message), replayed=False)

    @staticmethod
    def cost(text: str) -> TextCost:
        """What `text` costs to send (`POST /v1/encoding`); `text_too_long` past the limit."""
        if len(text) > MAX_V1_MESSAGE_CHARS:
            raise Refusal(
                rules.TEXT_TOO_LONG,
                f"Message text cannot be more than {MAX_V1_MESSAGE_CHARS} characters",
            )
        try:
            return text_cost(text)
        except ValueError as exc:
            raise Refusal(rules.TEXT_TOO_LONG, str(exc)) from None

    async def _replay(self, realm_id: int, claim: IdempotencyClaim) -> Sent | None:
        """The answer an earlier request with this key got, if there was one."""
        stored = await self._keys.get(realm_id, claim.key)
        if stored is None:
            return None
        if stored.request_hash != claim.request_hash:
            raise Refusal(
                rules.IDEMPOTENCY_CONFLICT,
                "This Idempotency-Key was used with a different request",
            )
        message = await self._messages.get(realm_id, stored.message_id)
        if message is None:
            raise Refusal(rules.NOT_FOUND, f"no message {stored.message_id}")
        return Sent(message_resource(message), replayed=True)
