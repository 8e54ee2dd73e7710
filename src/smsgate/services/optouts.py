"""Opt-outs: opt a phone out or back in, from any source, list and search them, import many.

Every source (the CLI, an API, an MO STOP/START: `apply_keyword`, a file import) goes through
here, and the source is recorded with the change in the store's ledger (store/optouts.py
keeps the list and its history in one transaction). A phone is validated and normalised
(`domain.phone`), so every spelling of a number is one opt-out; a scope is one of the realm's
sender codes or the whole realm (`domain.optout.REALM_WIDE`). Which opt-outs stop a message
is `domain.optout.is_blocked`, applied by the accept transaction and the dispatcher.
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Protocol

from smsgate.domain.keywords import Keyword
from smsgate.domain.model import OptOut, SenderCode
from smsgate.domain.optout import REALM_WIDE
from smsgate.domain.phone import normalise_phone
from smsgate.domain.send import SendArgs, validate_stop
from smsgate.domain.sender_code import lookup_spellings
from smsgate.services.errors import InvalidInput, NotFound, StoreError
from smsgate.services.phones import parse_phone
from smsgate.services.senders import Senders
from smsgate.services.sending import UNAVAILABLE, Cause, Refused, SenderLookup

IMPORT_CHUNK_ROWS: Final = 1000  # rows per INSERT (7 columns: far below either database's limits)
MAX_REMEMBERED_CODES: Final = 1024  # sender code spellings an import resolves once each


class Source(StrEnum):
    """Where an opt-out change came from (the ledger's `source`)."""

    CLI = "cli"
    API = "api"
    MO = "mo"  # a STOP or START texted by the phone
    IMPORT = "import"
    CONSOLE = "console"  # the operator console (/console/optouts)


class OptOutStore(Protocol):
    """The opt-out list and its ledger (store/optouts.py)."""

    async def add(
        self, realm_id: int, phone: str, sender_code: str = ..., *, source: str
    ) -> bool: ...
    async def remove(
        self, realm_id: int, phone: str, sender_code: str = ..., *, source: str
    ) -> bool: ...
    async def list(self, realm_id: int) -> list[OptOut]: ...
    async def import_chunks(
        self, realm_id: int, chunks: Iterable[Sequence[tuple[str, str]]], *, source: str
    ) -> int: ...  # one transaction: all chunks or none; how many were new


class OptOutRows(Protocol):
    """The opt-out list inside a transaction the caller holds (the inbound transaction,
    store/inbound.py): each change is written with its source and evidence to the ledger."""

    async def opt_out(
        self, realm_id: int, phone: str, code: str, *, source: str, evidence: int | None
    ) -> None: ...

    async def opt_in(
        self, realm_id: int, phone: str, code: str, *, source: str, evidence: int | None
    ) -> None: ...


async def apply_keyword(
    rows: OptOutRows, keyword: Keyword, sender: SenderCode, phone: str, *, evidence: int | None
) -> None:
    """What a phone's STOP or START texted to `sender` does to the list: out of (or back into)
    that sender code, source "mo", the MO's id `evidence` in the ledger. Other keywords
    change nothing. `phone` is already the phone's key."""
    if keyword is Keyword.STOP:
        await rows.opt_out(sender.realm_id, phone, sender.code, source=Source.MO, evidence=evidence)
    elif keyword is Keyword.START:
        await rows.opt_in(sender.realm_id, phone, sender.code, source=Source.MO, evidence=evidence)


@dataclass(frozen=True, slots=True)
class Change:
    phone: str  # normalised
    changed: bool  # False: it already was (opt out) -- opt in raises NotFound instead


@dataclass
class Imported:
    added: int = 0
    present: int = 0
    bad: int = 0


class OptOuts:
    """The opt-out use cases; see the module docstring."""

    def __init__(self, store: OptOutStore, senders: Senders, *, default_region: str) -> None:
        self._store = store
        self._senders = senders
        self._region = default_region

    def phone(self, raw: str) -> str:
        """Validate and normalise a phone as a person writes it (a leading "+" allowed)."""
        return parse_phone(raw, self._region)

    async def scope(self, realm: str, sender_code: str | None) -> tuple[int, str]:
        """(realm id, scope): one of `realm`'s sender codes, or REALM_WIDE for None."""
        realm_id = await self._senders.realm_id(realm)
        if sender_code is None:
            return realm_id, REALM_WIDE
        return realm_id, (await self._senders.of_realm(realm, sender_code)).code

    async def opt_out(
        self, realm: str, phone: str, sender_code: str | None = None, *, source: Source
    ) -> Change:
        """Opt `phone` out of `realm` (or of one sender code); `changed` is False if it
        already was (the ledger still records the request)."""
        normalised = self.phone(phone)
        realm_id, code = await self.scope(realm, sender_code)
        added = await self._store.add(realm_id, normalised, code, source=source.value)
        return Change(normalised, added)

    async def opt_in(
        self, realm: str, phone: str, sender_code: str | None = None, *, source: Source
    ) -> Change:
        """Remove `phone`'s opt-out of exactly that scope; NotFound if there is none."""
        normalised = self.phone(phone)
        realm_id, code = await self.scope(realm, sender_code)
        if not await self._store.remove(realm_id, normalised, code, source=source.value):
            raise NotFound(f"{normalised} has no such opt-out in realm {realm}")
        return Change(normalised, True)

    async def list(
        self, realm: str, *, phone: str | None = None, sender_code: str | None = None
    ) -> list[OptOut]:
        """`realm`'s opt-outs by phone then scope; only `phone`'s, or only those that
        scope exactly `sender_code` (REALM_WIDE: the realm-wide ones), when given."""
        realm_id = await self._senders.realm_id(realm)
        wanted_phone = self.phone(phone) if phone is not None else None
        wanted_code = None
        if sender_code is not None:
            wanted_code = (
                REALM_WIDE
                if sender_code == REALM_WIDE
                else (await self._senders.of_realm(realm, sender_code)).code
            )
        return [
            o
            for o in await self._store.list(realm_id)
            if (wanted_phone is None or o.phone == wanted_phone)
            and (wanted_code is None or o.sender_code == wanted_code)
        ]

    async def import_rows(
        self,
        realm: str,
        rows: Iterable[tuple[int, str, str]],
        report: Callable[[int, str], None],
        *,
        chunk_rows: int = IMPORT_CHUNK_ROWS,
    ) -> Imported:
        """Opt out every good (line, phone, sender code or "") row in one transaction; each bad
        row goes to `report(line, reason)` and is skipped. Rows are consumed as they come, a
        chunk at a time, so memory stays flat whatever their number."""
        realm_id = await self._senders.realm_id(realm)
        codes = _Codes({s.code for s in await self._senders.list(realm)}, realm, self._region)
        result = Imported()

        def chunks() -> Iterator[list[tuple[str, str]]]:
            chunk: list[tuple[str, str]] = []
            for line, phone, code in rows:
                try:
                    scope = codes.resolve(code)
                    chunk.append((self.phone(phone), scope))
                except InvalidInput as exc:
                    result.bad += 1
                    report(line, str(exc))
                    continue
                if len(chunk) >= chunk_rows:
                    yield chunk
                    result.present += len(chunk)
                    chunk = []
            if chunk:
                yield chunk
                result.present += len(chunk)

        result.added = await self._store.import_chunks(
            realm_id, chunks(), source=Source.IMPORT.value
        )
        result.present -= result.added  # rows written minus those that were new
        return result


class _Codes:
    """Resolves an import row's sender code cell to one of the realm's codes, remembering
    answers (a file names few codes, many times)."""

    def __init__(self, codes: set[str], realm: str, region: str) -> None:
        self._codes = codes
        self._realm = realm
        self._region = region
        self._known: dict[str, str | None] = {}

    def resolve(self, cell: str) -> str:
        if not cell:
            return REALM_WIDE
        if cell not in self._known:
            if len(self._known) >= MAX_REMEMBERED_CODES:
                self._known.clear()
            spellings = lookup_spellings(cell, self._region)
            self._known[cell] = next((c for c in spellings if c in self._codes), None)
        found = self._known[cell]
        if found is None:
            raise InvalidInput(f"sender code {cell} not found in realm {self._realm}")
        return found


class AddsOptOut(Protocol):
    """Where a door's opt-out is committed: the store, or an API worker's link to its core."""

    async def add(self, realm_id: int, phone: str, sender_code: str, *, source: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class Stopped:
    """Committed: `phone` (normalised) is opted out of `sender`; `changed` is False if it
    already was."""

    phone: str
    sender: SenderCode
    changed: bool


class Stopping:
    """WhatCounts' `smsstopsubscribersend` (api_web) and `stopSubscriberSend` (REST): opt a
    phone out of one of an authenticated realm's sender codes, whether or not it was ever
    sent a message, with api_web's rules and FAILURE reasons (`domain.send.validate_stop`)
    and the source `api`. Idempotent: stopping a stopped phone is `Stopped` again."""

    def __init__(self, senders: SenderLookup, store: AddsOptOut, *, default_region: str) -> None:
        self._senders = senders
        self._store = store
        self._region = default_region

    async def stop(self, realm_id: int, args: SendArgs) -> Stopped | Refused:
        code = (args.sender_code or "").strip()
        sender = await self._senders.get(code) if code else None
        checked = validate_stop(args, realm_id, sender)
        if isinstance(checked, str):
            return Refused(checked, Cause.BAD_REQUEST)
        phone = normalise_phone(checked.phone, self._region)
        try:
            changed = await self._store.add(
                realm_id, phone, checked.sender.code, source=Source.API.value
            )
        except StoreError:
            return UNAVAILABLE
        return Stopped(phone, checked.sender, changed)
