"""Console users: operators and realm users (the SQL behind services/console_auth.py)."""

import time

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from smsgate.domain.console import ConsoleUser
from smsgate.store import schema as s
from smsgate.store.database import Database
from smsgate.store.errors import AlreadyExists, NotFound

_ops = s.operators
_users = s.realm_users


class ConsoleUserStore:
    """Adds, lists, removes and finds operators and realm users."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_operator(self, name: str, password_hash: str) -> None:
        try:
            async with self._db.writer.begin() as conn:
                await conn.execute(
                    insert(_ops).values(
                        name=name, password_hash=password_hash, created_at=time.time()
                    )
                )
        except IntegrityError:
            raise AlreadyExists(f"operator {name} already exists") from None

    async def operators(self) -> list[ConsoleUser]:
        query = select(_ops.c.id, _ops.c.name, _ops.c.created_at).order_by(_ops.c.name)
        async with self._db.reader.connect() as conn:
            return [
                ConsoleUser(r.id, r.name, None, None, r.created_at)
                for r in await conn.execute(query)
            ]

    async def remove_operator(self, name: str) -> None:
        async with self._db.writer.begin() as conn:
            result = await conn.execute(delete(_ops).where(_ops.c.name == name))
        if result.rowcount == 0:
            raise NotFound(f"operator {name} not found")

    async def add_realm_user(self, realm_id: int, name: str, password_hash: str) -> None:
        try:
            async with self._db.writer.begin() as conn:
                await conn.execute(
                    insert(_users).values(
                        realm_id=realm_id,
                        name=name,
                        password_hash=password_hash,
                        created_at=time.time(),
                    )
                )
        except IntegrityError:
            raise AlreadyExists(f"user {name} already exists in this realm") from None

    async def realm_users(self, realm_id: int) -> list[ConsoleUser]:
        query = (
            select(_users.c.id, _users.c.name, _users.c.created_at, s.realms.c.name.label("realm"))
            .join(s.realms, s.realms.c.id == _users.c.realm_id)
            .where(_users.c.realm_id == realm_id)
            .order_by(_users.c.name)
        )
        async with self._db.reader.connect() as conn:
            return [
                ConsoleUser(
                    id=r.id, name=r.name, realm_id=realm_id, realm=r.realm, created_at=r.created_at
                )
                for r in await conn.execute(query)
            ]

    async def remove_realm_user(self, realm_id: int, name: str) -> bool:
        async with self._db.writer.begin() as conn:
            result = await conn.execute(
                delete(_users).where(_users.c.realm_id == realm_id, _users.c.name == name)
            )
        return bool(result.rowcount)

    async def credential(self, realm: str | None, name: str) -> tuple[ConsoleUser, str] | None:
        """The user who logs in as `name` (an operator when `realm` is None, else a user of
        that realm) and their password hash; None if there is none."""
        async with self._db.reader.connect() as conn:
            if realm is None:
                row = (await conn.execute(select(_ops).where(_ops.c.name == name))).first()
                if row is None:
                    return None
                user = ConsoleUser(row.id, row.name, None, None, row.created_at)
                return user, row.password_hash
            found = (
                await conn.execute(
                    select(_users, s.realms.c.name.label("realm"))
                    .join(s.realms, s.realms.c.id == _users.c.realm_id)
                    .where(s.realms.c.name == realm, _users.c.name == name)
                )
            ).first()
        if found is None:
            return None
        user = ConsoleUser(found.id, found.name, found.realm_id, found.realm, found.created_at)
        return user, found.password_hash
