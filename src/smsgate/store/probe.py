"""The store's write probe for `/readyz`: one committed UPDATE of one row.

A read proves nothing about writes: a full disk, a read-only file or mount, or a PostgreSQL
standby all still answer SELECTs. So the probe writes the one row of `readiness_probe` and
commits through the `TransactionRunner`, the same path (and, on SQLite, the same commit round and
WAL sync) as every accepted message: if the probe commits, so would a message.
"""

import time

from smsgate.store.rawsql import positional
from smsgate.store.transactions import TransactionRunner, Tx

_PROBE_ROW = 1
_UPSERT = (
    "INSERT INTO readiness_probe (id, probed_at) VALUES ({}, {}) "
    "ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at"
)
_UPSERT_PG = positional(True, _UPSERT)
_UPSERT_SQLITE = positional(False, _UPSERT)


def _touch(tx: Tx) -> None:
    # An upsert (SQLite and PostgreSQL spell it alike): the first probe creates the row.
    tx.execute(_UPSERT_PG if tx.postgres else _UPSERT_SQLITE, [_PROBE_ROW, time.time()])


async def probe_write(writer: TransactionRunner) -> None:
    """Commit one small write; raises whatever the store raised if it cannot."""
    await writer.run(_touch)
