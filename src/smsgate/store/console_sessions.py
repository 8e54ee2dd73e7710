"""Console sessions: the SQL behind services/console_auth.py (token hashes, never tokens)."""

from sqlalchemy import delete, insert, select, update

from smsgate.domain.console import ConsoleUser, Viewer
from smsgate.store import schema as s
from smsgate.store.database import Database

_t = s.console_sessions
_ops = s.operators
_users = s.realm_users


class ConsoleSessionStore:
    """Creates, finds, touches and ends console sessions."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self, token_hash: str, user: ConsoleUser, csrf: str, now: float, idle_before: float
    ) -> None:
        """Store a new session for `user`; sessions idle since before `idle_before` go."""
        operator_id = user.id if user.realm_id is None else None
        realm_user_id = None if user.realm_id is None else user.id
        async with self._db.writer.begin() as conn:
            await conn.execute(delete(_t).where(_t.c.last_seen_at < idle_before))
            await conn.execute(
                insert(_t).values(
                    id=token_hash,
                    operator_id=operator_id,
                    realm_user_id=realm_user_id,
                    csrf=csrf,
                    created_at=now,
                    last_seen_at=now,
                )
            )

    async def find(self, token_hash: str, idle_before: float) -> tuple[Viewer, float] | None:
        """The session's viewer and when it was last seen, unless it is idle or gone."""
        query = (
            select(
                _t.c.csrf,
                _t.c.last_seen_at,
                _ops.c.id.label("op_id"),
                _ops.c.name.label("op_name"),
                _ops.c.created_at.label("op_created"),
                _users.c.id.label("user_id"),
                _users.c.name.label("user_name"),
                _users.c.realm_id,
                _users.c.created_at.label("user_created"),
                s.realms.c.name.label("realm"),
            )
            .select_from(
                _t.outerjoin(_ops, _ops.c.id == _t.c.operator_id)
                .outerjoin(_users, _users.c.id == _t.c.realm_user_id)
                .outerjoin(s.realms, s.realms.c.id == _users.c.realm_id)
            )
            .where(
                _t.c.id == token_hash,
                _t.c.last_seen_at >= idle_before,
            )
        )
        async with self._db.reader.connect() as conn:
            r = (await conn.execute(query)).first()
        if r is None:
            return None
        if r.op_id is not None:
            user = ConsoleUser(r.op_id, r.op_name, None, None, r.op_created)
        elif r.user_id is None or r.realm is None:
            return None  # its user is gone (the foreign keys delete such rows anyway)
        else:
            user = ConsoleUser(r.user_id, r.user_name, r.realm_id, r.realm, r.user_created)
        return Viewer(user=user, csrf=r.csrf), r.last_seen_at

    async def touch(self, token_hash: str, now: float) -> None:
        async with self._db.writer.begin() as conn:
            await conn.execute(update(_t).where(_t.c.id == token_hash).values(last_seen_at=now))

    async def end(self, token_hash: str) -> None:
        async with self._db.writer.begin() as conn:
            await conn.execute(delete(_t).where(_t.c.id == token_hash))
