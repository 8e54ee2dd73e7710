"""The console's opt-out pages: the list by phone (cursor) and a phone's ledger."""

from collections.abc import Sequence

from sqlalchemy import RowMapping, select

from smsgate.domain.console import LedgerEvent
from smsgate.domain.model import OptOut
from smsgate.store import schema as s
from smsgate.store.database import Database

_o = s.opt_outs
_e = s.opt_out_events


class ConsoleOptOutQueries:
    """Opt-outs in phone order (the unique index (realm_id, phone, sender_code)) and events."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def page(
        self, realm_id: int, *, after: tuple[str, str] | None, limit: int
    ) -> list[OptOut]:
        """`realm_id`'s opt-outs by phone and sender code, after the (phone, code) `after`."""
        query = select(_o).where(_o.c.realm_id == realm_id)
        if after is not None:
            phone, code = after
            query = query.where(
                (_o.c.phone > phone) | ((_o.c.phone == phone) & (_o.c.sender_code > code))
            )
        query = query.order_by(_o.c.phone, _o.c.sender_code).limit(limit)
        async with self._db.reader.connect() as conn:
            return [_optout(r._mapping) for r in await conn.execute(query)]

    async def of_phone(self, realm_ids: Sequence[int], phone: str) -> list[OptOut]:
        query = (
            select(_o)
            .where(_o.c.realm_id.in_(list(realm_ids)), _o.c.phone == phone)
            .order_by(_o.c.realm_id, _o.c.sender_code)
        )
        async with self._db.reader.connect() as conn:
            return [_optout(r._mapping) for r in await conn.execute(query)]

    async def ledger(self, realm_ids: Sequence[int], phone: str) -> list[LedgerEvent]:
        """Every opt-out and opt-in of `phone` in these realms, newest first."""
        query = (
            select(_e)
            .where(_e.c.realm_id.in_(list(realm_ids)), _e.c.phone == phone)
            .order_by(_e.c.id.desc())
        )
        async with self._db.reader.connect() as conn:
            return [
                LedgerEvent(
                    realm_id=r.realm_id,
                    phone=r.phone,
                    sender_code=r.sender_code,
                    action=r.action,
                    source=r.source,
                    created_at=r.created_at,
                )
                for r in await conn.execute(query)
            ]


def _optout(r: RowMapping) -> OptOut:
    return OptOut(
        realm_id=r["realm_id"],
        sender_code=r["sender_code"],
        phone=r["phone"],
        source=r["source"],
        created_at=r["created_at"],
    )
