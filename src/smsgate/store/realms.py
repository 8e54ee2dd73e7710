"""Realms (customer accounts) and the sender codes they own."""

import time

from sqlalchemy import ColumnElement, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from smsgate.domain.model import Realm, RealmCredential, SenderCode
from smsgate.store import schema as s
from smsgate.store.database import Database
from smsgate.store.errors import AlreadyExists, NotFound


class RealmStore:
    """Admin and lookup queries for realms and sender codes."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_realm(self, name: str, password_hash: str) -> int:
        try:
            async with self._db.write_engine.begin() as conn:
                result = await conn.execute(
                    insert(s.realms).values(
                        name=name,
                        password_hash=password_hash,
                        password_version=1,
                        created_at=time.time(),
                    )
                )
        except IntegrityError:
            raise AlreadyExists(f"realm {name} already exists") from None
        pk = result.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    async def set_password(self, name: str, password_hash: str) -> None:
        async with self._db.write_engine.begin() as conn:
            result = await conn.execute(
                update(s.realms)
                .where(s.realms.c.name == name)
                .values(
                    password_hash=password_hash,
                    password_version=s.realms.c.password_version + 1,
                )
            )
        if result.rowcount == 0:
            raise NotFound(f"realm {name} not found")

    async def list_realms(self) -> list[Realm]:
        async with self._db.reader.connect() as conn:
            rows = await conn.execute(
                select(s.realms.c.id, s.realms.c.name, s.realms.c.created_at).order_by(
                    s.realms.c.name
                )
            )
            return [Realm(id=r.id, name=r.name, created_at=r.created_at) for r in rows]

    async def realm_id(self, name: str) -> int:
        async with self._db.reader.connect() as conn:
            found = await conn.scalar(select(s.realms.c.id).where(s.realms.c.name == name))
        if found is None:
            raise NotFound(f"realm {name} not found")
        return int(found)

    async def credential(self, name: str) -> RealmCredential | None:
        """The stored hash for `name`, for the authenticator (None: no such realm)."""
        async with self._db.reader.connect() as conn:
            row = (
                await conn.execute(
                    select(
                        s.realms.c.id, s.realms.c.password_hash, s.realms.c.password_version
                    ).where(s.realms.c.name == name)
                )
            ).first()
        if row is None:
            return None
        return RealmCredential(
            realm_id=row.id,
            name=name,
            password_hash=row.password_hash,
            version=row.password_version,
        )

    async def add_sender(
        self,
        realm: str,
        code: str,
        *,
        connection: str | None = None,
        max_tps: float | None = None,
        replies: dict[str, str] | None = None,
    ) -> None:
        realm_id = await self.realm_id(realm)
        try:
            async with self._db.write_engine.begin() as conn:
                await conn.execute(
                    insert(s.sender_codes).values(
                        realm_id=realm_id,
                        code=code,
                        connection=connection,
                        max_tps=max_tps,
                        created_at=time.time(),
                        **(replies or {}),
                    )
                )
        except IntegrityError:
            raise AlreadyExists(f"sender code {code} is already in use") from None

    async def update_sender(self, realm: str, code: str, changes: dict[str, object]) -> None:
        """Change routing, rate or replies of one of `realm`'s sender codes."""
        realm_id = await self.realm_id(realm)
        if not changes:
            return
        async with self._db.write_engine.begin() as conn:
            result = await conn.execute(
                update(s.sender_codes)
                .where(s.sender_codes.c.realm_id == realm_id, s.sender_codes.c.code == code)
                .values(**changes)
            )
        if result.rowcount == 0:
            raise NotFound(f"sender code {code} not found in realm {realm}")

    async def remove_sender(self, realm: str, code: str) -> None:
        realm_id = await self.realm_id(realm)
        async with self._db.write_engine.begin() as conn:
            result = await conn.execute(
                delete(s.sender_codes).where(
                    s.sender_codes.c.realm_id == realm_id, s.sender_codes.c.code == code
                )
            )
        if result.rowcount == 0:
            raise NotFound(f"sender code {code} not found in realm {realm}")

    async def list_senders(self, realm: str) -> list[SenderCode]:
        realm_id = await self.realm_id(realm)
        return await self._senders(s.sender_codes.c.realm_id == realm_id)

    async def all_senders(self) -> list[SenderCode]:
        return await self._senders(None)

    async def sender(self, code: str) -> SenderCode | None:
        found = await self._senders(s.sender_codes.c.code == code)
        return found[0] if found else None

    async def _senders(self, where: ColumnElement[bool] | None) -> list[SenderCode]:
        query = select(s.sender_codes).order_by(s.sender_codes.c.code)
        if where is not None:
            query = query.where(where)
        async with self._db.reader.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            SenderCode(
                realm_id=r.realm_id,
                code=r.code,
                connection=r.connection,
                max_tps=r.max_tps,
                stop_reply=r.stop_reply,
                start_reply=r.start_reply,
                help_reply=r.help_reply,
                id=r.id,
            )
            for r in rows
        ]
