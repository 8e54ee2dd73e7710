"""The console's opt-out use cases: search with the ledger, list, add, remove, export.

Changes go through the opt-out service (services/optouts.py: phones validated and normalised,
the ledger written with source "console"); this module adds what the console needs around
it: a phone's opt-outs and ledger across the realms the viewer sees, pages of a realm's list,
and the viewer's scope. A realm user works on their own realm only; another realm is
`NotFound`.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from smsgate.constants import CONSOLE_PAGE_ROWS
from smsgate.domain.console import LedgerEvent, Viewer
from smsgate.domain.model import OptOut
from smsgate.services.errors import NotFound
from smsgate.services.optouts import Imported, OptOuts, Source


class OptOutReader(Protocol):
    async def page(
        self, realm_id: int, *, after: tuple[str, str] | None, limit: int
    ) -> list[OptOut]: ...
    async def of_phone(self, realm_ids: Sequence[int], phone: str) -> list[OptOut]: ...
    async def ledger(self, realm_ids: Sequence[int], phone: str) -> list[LedgerEvent]: ...


class Realms(Protocol):
    async def realm_id(self, name: str) -> int: ...  # NotFound
    async def realm_ids(self) -> list[int]: ...


@dataclass(frozen=True, slots=True)
class PhoneReport:
    phone: str
    optouts: list[OptOut]
    ledger: list[LedgerEvent]


class ConsoleOptOuts:
    """Opt-outs as the console shows and changes them."""

    def __init__(self, optouts: OptOuts, reader: OptOutReader, realms: Realms) -> None:
        self._optouts = optouts
        self._reader = reader
        self._realms = realms

    def phone(self, raw: str) -> str:
        """The normalised phone; ValueError (InvalidInput) with the reason for a bad one."""
        return self._optouts.phone(raw)

    async def realm_id(self, viewer: Viewer, realm: str) -> int:
        """The id of `realm` if the viewer may see it, else NotFound."""
        realm_id = await self._realms.realm_id(realm)
        if not viewer.sees(realm_id):
            raise NotFound(f"realm {realm} not found")
        return realm_id

    async def search(self, viewer: Viewer, raw_phone: str) -> PhoneReport:
        phone = self.phone(raw_phone)
        own = viewer.user.realm_id
        realm_ids = [own] if own is not None else await self._realms.realm_ids()
        return PhoneReport(
            phone,
            await self._reader.of_phone(realm_ids, phone),
            await self._reader.ledger(realm_ids, phone),
        )

    async def page(
        self, viewer: Viewer, realm: str, after: tuple[str, str] | None = None
    ) -> tuple[list[OptOut], tuple[str, str] | None]:
        realm_id = await self.realm_id(viewer, realm)
        rows = await self._reader.page(realm_id, after=after, limit=CONSOLE_PAGE_ROWS + 1)
        more = len(rows) > CONSOLE_PAGE_ROWS
        rows = rows[:CONSOLE_PAGE_ROWS]
        return rows, (rows[-1].phone, rows[-1].sender_code) if more and rows else None

    async def add(self, viewer: Viewer, realm: str, raw_phone: str, sender_code: str = "") -> bool:
        """Opt the phone out; False if it already was. ValueError, NotFound."""
        await self.realm_id(viewer, realm)
        change = await self._optouts.opt_out(
            realm, raw_phone, sender_code.strip() or None, source=Source.CONSOLE
        )
        return change.changed

    async def remove(
        self, viewer: Viewer, realm: str, raw_phone: str, sender_code: str = ""
    ) -> bool:
        """Opt the phone back in for exactly that scope; False if it was not opted out."""
        await self.realm_id(viewer, realm)
        try:
            await self._optouts.opt_in(
                realm, raw_phone, sender_code.strip() or None, source=Source.CONSOLE
            )
        except NotFound:
            return False
        return True

    async def import_rows(
        self,
        viewer: Viewer,
        realm: str,
        rows: Iterable[tuple[int, str, str]],
        report: Callable[[int, str], None],
    ) -> Imported:
        """Opt out every good (line, phone, sender code) row in one transaction (source
        "import", as from the CLI); each bad row goes to `report`."""
        await self.realm_id(viewer, realm)
        return await self._optouts.import_rows(realm, rows, report)

    async def export(self, viewer: Viewer, realm: str) -> list[OptOut]:
        await self.realm_id(viewer, realm)
        return await self._optouts.list(realm)
