"""A fresh PostgreSQL database per run, and its counters from `pg_stat_database`.

Made and dropped with asyncpg, which the gateway already depends on.
"""

import asyncio
import os
import time
import urllib.parse
from typing import Any

import asyncpg  # type: ignore[import-untyped]


class PostgresDatabase:
    """A fresh PostgreSQL database per run, made from `--database-url` (its database name is
    replaced by a new one) and dropped afterwards."""

    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.parts = parts
        self.name = f"smsgate_bench_{os.getpid()}_{int(time.time() * 1000) % 10**9}"
        self.url = urllib.parse.urlunsplit(parts._replace(path=f"/{self.name}"))

    @property
    def local(self) -> bool:
        """Whether the server runs on this machine (its CPU can be read from /proc)."""
        return (self.parts.hostname or "localhost") in ("127.0.0.1", "localhost", "::1")

    def _admin(self, sql: str) -> list[Any]:
        p = self.parts

        async def run() -> list[Any]:
            conn = await asyncpg.connect(
                host=p.hostname or "127.0.0.1",
                port=p.port or 5432,
                user=urllib.parse.unquote(p.username or "postgres"),
                password=urllib.parse.unquote(p.password) if p.password else None,
                database="postgres",
                timeout=10,
            )
            try:
                return list(await conn.fetch(sql))
            finally:
                await conn.close()

        return asyncio.run(run())

    def stats(self) -> dict[str, int]:
        """Commits and row writes of this database, and commits of all the others (work on
        the server that is not ours). Backends report these within about a second."""
        rows = self._admin(
            "SELECT datname, xact_commit, tup_inserted, tup_updated, tup_deleted "
            "FROM pg_stat_database WHERE datname IS NOT NULL"
        )
        out = {"commits": 0, "inserted": 0, "updated": 0, "deleted": 0, "other_commits": 0}
        for row in rows:
            if row["datname"] == self.name:
                out["commits"] = int(row["xact_commit"])
                out["inserted"] = int(row["tup_inserted"])
                out["updated"] = int(row["tup_updated"])
                out["deleted"] = int(row["tup_deleted"])
            else:
                out["other_commits"] += int(row["xact_commit"])
        return out

    def create(self) -> None:
        self._admin(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        self._admin(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{self.name}' AND pid <> pg_backend_pid()"
        )
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}"')
