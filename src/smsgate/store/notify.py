"""Cross-process wake-up for the queue: PostgreSQL `NOTIFY smsgate_queue` / `LISTEN`.

An API process (`serve --no-dispatch`) commits messages that a dispatcher in another process
must send. Polling alone would add up to `poll_interval` of latency to every message, so the
committing transaction also says `NOTIFY smsgate_queue` (`notify_queued`), which PostgreSQL
delivers to every listener when, and only if, the transaction commits. Each dispatcher LISTENs on
a raw asyncpg connection of its own (`QueueListener`; a pooled SQLAlchemy connection cannot hold
a LISTEN) and wakes its claim loop.

A notification is only a hint: it carries no ids, several are folded into one, and any that are
lost (listener reconnecting, dispatcher busy) cost nothing because the dispatcher claims with
`SELECT ... FOR UPDATE SKIP LOCKED` and polls every `poll_interval` anyway. On SQLite there is
one dispatcher and it gets ids through the in-memory hand-off, so both are no-ops there.
"""

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Protocol

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

from smsgate.store.transactions import Tx

log = logging.getLogger(__name__)

QUEUE_CHANNEL = "smsgate_queue"
NOTIFY_SQL = f"NOTIFY {QUEUE_CHANNEL}"


def notify_queued(tx: Tx) -> None:
    """Tell every dispatcher that messages were queued, once `tx` commits.

    Call it inside the transaction that inserted the messages, once per transaction
    (PostgreSQL folds identical notifications anyway). Does nothing on SQLite."""
    if tx.postgres:
        tx.execute(NOTIFY_SQL)


def asyncpg_dsn(url: str) -> str:
    """The plain libpq-style DSN asyncpg wants for a `postgresql+asyncpg://` SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class Retrying(Protocol):
    """The delays between reconnects (`smpp.reconnect.Backoff`, given by bootstrap)."""

    def next_delay(self) -> float: ...

    def reset(self) -> None: ...


class QueueListener:
    """LISTENs on `smsgate_queue` and calls `on_notify` for every notification.

    Reconnects with backoff when the connection drops, and calls `on_notify` after each
    (re)connect too, since notifications sent while it was away are lost."""

    def __init__(
        self,
        url: str,
        on_notify: Callable[[], None],
        *,
        backoff: Retrying,
    ) -> None:
        self._dsn = asyncpg_dsn(url)
        self._on_notify = on_notify
        self._backoff = backoff
        self._task: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="smsgate-queue-listener")

    async def wait_listening(self) -> None:
        """Return once LISTEN is in place (tests and start-up ordering)."""
        await self._connected.wait()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def _notified(self, *_args: Any) -> None:
        self._on_notify()

    async def _run(self) -> None:
        while True:
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(self._dsn, timeout=10)
                lost = asyncio.get_running_loop().create_future()

                def terminated(_conn: object, fut: asyncio.Future[None] = lost) -> None:
                    if not fut.done():
                        fut.set_result(None)

                conn.add_termination_listener(terminated)
                await conn.add_listener(QUEUE_CHANNEL, self._notified)
                self._backoff.reset()
                self._connected.set()
                self._on_notify()  # whatever was notified while we were not listening
                await lost
                log.warning("queue listener: connection lost; polling until it is back")
            except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
                log.warning("queue listener: cannot LISTEN (%s); polling meanwhile", exc)
            finally:
                self._connected.clear()
                if conn is not None and not conn.is_closed():
                    await conn.close(timeout=2)
            await asyncio.sleep(self._backoff.next_delay())
