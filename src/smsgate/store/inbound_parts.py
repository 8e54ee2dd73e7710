"""Parts of multipart inbound (MO) messages, on disk until their set is complete.

A handset's long message reaches the gateway as several deliver_sm, each acknowledged on its
own. So each part is committed before its acknowledgement (`add_part`, inside the inbound
handler's transaction), and the part that completes its set takes the whole set out of the
table and hands back the text, joined in part order, in that same transaction: the complete
message is stored, and STOP acted on, exactly once, however the parts arrive (out of order,
twice, or across a restart). A set still incomplete `MO_PARTS_TTL_SECONDS` after its oldest part
is dropped with a warning.

On PostgreSQL several dispatchers may receive parts of one set at once; a transaction-scoped
advisory lock per set makes them take turns, so that the last part always sees the others.
(SQLite has one writer at a time.)
"""

import hashlib
import logging

from sqlalchemy import ColumnElement, and_, delete, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from smsgate.constants import MO_PARTS_TTL_SECONDS
from smsgate.domain.inbound import MoPart
from smsgate.store import schema as s

__all__ = ["MoPart", "add_part"]

log = logging.getLogger(__name__)

_t = s.inbound_parts


def _same_set(part: MoPart) -> ColumnElement[bool]:
    return and_(
        _t.c.connection == part.connection,
        _t.c.source == part.source,
        _t.c.destination == part.destination,
        _t.c.ref == part.ref,
        _t.c.total == part.total,
    )


def _lock_key(part: MoPart) -> int:
    """A signed 64-bit key for pg_advisory_xact_lock, the same for every part of a set."""
    name = f"{part.connection}\0{part.source}\0{part.destination}\0{part.ref}\0{part.total}"
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), signed=True)


async def add_part(conn: AsyncConnection, part: MoPart, now: float) -> str | None:
    """Store `part` in the caller's transaction (a duplicate is ignored). Returns the whole
    text when this part completes its set, which is then removed; None while parts are
    missing."""
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(part)})
    expired = await conn.execute(delete(_t).where(_t.c.received_at < now - MO_PARTS_TTL_SECONDS))
    if expired.rowcount:
        log.warning(
            "dropped %d parts of multipart MOs still incomplete after %ds",
            expired.rowcount,
            MO_PARTS_TTL_SECONDS,
        )
    insert = postgresql.insert(_t) if postgres else sqlite.insert(_t)
    await conn.execute(
        insert.values(
            connection=part.connection,
            source=part.source,
            destination=part.destination,
            ref=part.ref,
            total=part.total,
            seq=part.seq,
            text=part.text,
            received_at=now,
        ).on_conflict_do_nothing()
    )
    texts = list(await conn.scalars(select(_t.c.text).where(_same_set(part)).order_by(_t.c.seq)))
    if len(texts) < part.total:
        return None
    await conn.execute(delete(_t).where(_same_set(part)))
    return "".join(texts)
