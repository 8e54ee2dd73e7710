"""Opt-outs as the JSON API sees them (`/v1/optouts`): `services.optouts.OptOuts` (the one
place opt-out rules live, shared with the CLI, imports and MO STOPs) with /v1's answers.

Its errors become refusals with stable codes: a bad phone is `invalid_phone`; a sender code
the realm does not have (another realm's included) is `unknown_sender_code` when opting out
and `not_found` when opting back in, like an opt-out the realm does not have.
"""

from smsgate.domain.message_resource import OptOutResource, optout_resource
from smsgate.domain.submission import NOT_FOUND, Refusal, phone_refusal, unknown_sender
from smsgate.services.errors import InvalidInput, NotFound
from smsgate.services.optouts import OptOuts, Source


class ApiOptOuts:
    def __init__(self, optouts: OptOuts) -> None:
        self._optouts = optouts

    @staticmethod
    def _check(phone: str) -> None:
        refusal = phone_refusal(phone)
        if refusal is not None:
            raise refusal

    async def list(self, realm: str, phone: str | None = None) -> list[OptOutResource]:
        if phone is not None:
            self._check(phone)
        return [optout_resource(o) for o in await self._optouts.list(realm, phone=phone)]

    async def add(
        self, realm: str, phone: str, sender_code: str | None
    ) -> tuple[OptOutResource, bool]:
        """Opt `phone` out; True if it was not opted out of that scope already."""
        self._check(phone)
        code = sender_code.strip() if sender_code and sender_code.strip() else None
        try:
            _, scope = await self._optouts.scope(realm, code)  # the code as stored
            change = await self._optouts.opt_out(realm, phone, code, source=Source.API)
        except (InvalidInput, NotFound):  # the phone is checked: the sender code is not ours
            raise unknown_sender(code or "") from None
        for optout in await self._optouts.list(realm, phone=change.phone):
            if optout.sender_code == scope:
                return optout_resource(optout), change.changed
        raise Refusal(NOT_FOUND, f"{change.phone} was opted in again meanwhile")

    async def remove(self, realm: str, phone: str, sender_code: str | None) -> None:
        """Opt `phone` back in for exactly that scope (NOT_FOUND if it had no such opt-out)."""
        self._check(phone)
        code = sender_code.strip() if sender_code and sender_code.strip() else None
        try:
            await self._optouts.opt_in(realm, phone, code, source=Source.API)
        except (InvalidInput, NotFound):
            where = f"sender code {code}" if code else "the realm"
            raise Refusal(NOT_FOUND, f"{phone.strip()} has no opt-out of {where}") from None
