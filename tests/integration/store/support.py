"""Helpers for the store tests: message builders, a second connection, row counts."""

import itertools
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from smsgate.domain.model import Message
from smsgate.ids import new_message_id
from smsgate.services.group_commit import Accepter
from smsgate.store import schema as s
from smsgate.store.database import Database

_phones = itertools.count(2065550000)


def unique_phone() -> str:
    """A normalised (11-digit NANP) phone number no other message in the session uses."""
    return f"1{next(_phones)}"


def new_message(
    realm_id: int, sender_code: str, phone: str | None = None, text: str = "hello"
) -> Message:
    return Message(
        id=new_message_id(),
        realm_id=realm_id,
        sender_code=sender_code,
        phone=phone if phone is not None else unique_phone(),
        text=text,
        encoding="gsm7",
        parts=1,
        created_at=time.time(),
    )


async def elsewhere(url: str, *statements: str) -> None:
    """Run SQL statements in one transaction on a connection of our own, not the gateway's."""
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            for statement in statements:
                await conn.exec_driver_sql(statement)
    finally:
        await engine.dispose()


async def stored_ids(db: Database) -> list[str]:
    async with db.reader.connect() as conn:
        return list(await conn.scalars(select(s.messages.c.id)))


async def count_rows(db: Database, table: Any) -> int:
    async with db.reader.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


AccepterFactory = Callable[..., Awaitable[Accepter]]
