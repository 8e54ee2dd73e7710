"""Console log-in, sessions and log-out.

A log-in is checked like a realm password (argon2id in a worker thread, never on the loop) and
throttled by the same policy (auth/guard.py, ADR 0008): wrong passwords slow down their sender
per (user, client address) and per address; nobody is locked out. An unknown user is checked
against a dummy hash, so it costs what a wrong password costs.

A session is a random token in a cookie; the store keeps its SHA-256 only. Each session has its
own CSRF token, which every form carries. A session idle for `idle_timeout` seconds is over;
its last use is written at most every `constants.CONSOLE_TOUCH_SECONDS`.
"""

import asyncio
import hashlib
import secrets
import time
from collections.abc import Callable
from typing import Protocol

from smsgate.auth.guard import GuessGuard
from smsgate.auth.passwords import hash_password, verify_password
from smsgate.constants import CONSOLE_TOKEN_BYTES, CONSOLE_TOUCH_SECONDS
from smsgate.domain.console import ConsoleUser, Viewer

_DUMMY_HASH = hash_password("not a console password")


class SessionStore(Protocol):
    async def create(
        self, token_hash: str, user: ConsoleUser, csrf: str, now: float, idle_before: float
    ) -> None: ...
    async def find(self, token_hash: str, idle_before: float) -> tuple[Viewer, float] | None: ...
    async def touch(self, token_hash: str, now: float) -> None: ...
    async def end(self, token_hash: str) -> None: ...


class Credentials(Protocol):
    async def credential(self, realm: str | None, name: str) -> tuple[ConsoleUser, str] | None: ...


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(CONSOLE_TOKEN_BYTES)


class ConsoleAuth:
    """Log in, find the viewer of a session, log out."""

    def __init__(
        self,
        users: Credentials,
        sessions: SessionStore,
        *,
        idle_timeout: float,
        guard: GuessGuard | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._users = users
        self._sessions = sessions
        self.idle_timeout = idle_timeout
        self._guard = guard or GuessGuard()
        self._clock = clock

    async def login(
        self, realm: str | None, name: str, password: str, client: str | None
    ) -> str | None:
        """A new session token for the right password, else None (wrong, unknown, throttled)."""
        key = f"console:{realm or ''}/{name}"
        if not await self._guard.admit(key, client):
            return None
        found = await self._users.credential(realm, name)
        stored = found[1] if found is not None else _DUMMY_HASH
        right = await asyncio.to_thread(verify_password, stored, password)
        if found is None or not right:
            self._guard.failed(key, known=found is not None)
            return None
        self._guard.succeeded(key, client)
        token = new_token()
        now = self._clock()
        await self._sessions.create(
            token_hash(token), found[0], new_token(), now, now - self.idle_timeout
        )
        return token

    async def viewer(self, token: str | None) -> Viewer | None:
        """The viewer of the session with this token, or None (no session, idle, user gone)."""
        if not token:
            return None
        hashed = token_hash(token)
        now = self._clock()
        found = await self._sessions.find(hashed, now - self.idle_timeout)
        if found is None:
            return None
        viewer, last_seen = found
        if now - last_seen >= CONSOLE_TOUCH_SECONDS:
            await self._sessions.touch(hashed, now)
        return viewer

    async def logout(self, token: str | None) -> None:
        if token:
            await self._sessions.end(token_hash(token))
