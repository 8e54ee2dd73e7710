"""Console reveals: what a page may show once, to the session that asked for it.

A row names what the page an add redirects to may reveal (the id of the webhook endpoint just
added, never its secret) under the SHA-256 of a random token the redirect carries, with the CSRF
token of the session that added it. It lives in the database, not in one process's memory, so
that page finds it whichever process answers it (`serve --workers N`). Taking it deletes it,
in one statement: of two takes, one finds the row. Rows never taken go at the next keep, once
older than the services' limit.
"""

from sqlalchemy import delete, insert

from smsgate.store import schema as s
from smsgate.store.database import Database

_t = s.console_reveals


class RevealStore:
    """Keeps and takes reveals (`services.console_webhooks.Reveals`)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def keep(
        self, token_hash: str, csrf: str, subject: str, now: float, kept_before: float
    ) -> None:
        """Keep `subject` for the session `csrf`; reveals made before `kept_before` go."""
        async with self._db.writer.begin() as conn:
            await conn.execute(delete(_t).where(_t.c.created_at < kept_before))
            await conn.execute(
                insert(_t).values(id=token_hash, csrf=csrf, subject=subject, created_at=now)
            )

    async def take(self, token_hash: str, csrf: str, kept_since: float) -> str | None:
        """The subject kept under `token_hash` for this session since `kept_since`, once."""
        query = (
            delete(_t)
            .where(_t.c.id == token_hash, _t.c.csrf == csrf, _t.c.created_at >= kept_since)
            .returning(_t.c.subject)
        )
        async with self._db.writer.begin() as conn:
            subject = (await conn.execute(query)).scalar_one_or_none()
        return subject
