"""Deleting messages past the retention with their parts and events (domain/retention.py).

`prune` works through the messages oldest first, `limit` at a time, from a cursor (message ids
are ULIDs, so their order is their age): each call is one short transaction, which on SQLite
shares the write thread's rounds with the delivery path and must not hold them long. It looks at
no more rows than it deletes or steps over, through the primary key and the parts' and events'
`message_id` keys: no index on `updated_at` is needed. The rule of which rows go is
`domain.retention.may_forget`, applied here to the rows read; the DELETE repeats only its
guard against a row that went back on its way since it was read (`ON_ITS_WAY`, the same
constant), so a message that could still be delivered is never deleted. Parts and events go
with their message (the schema's ON DELETE CASCADE, enforced on both databases).
"""

from smsgate.domain.retention import ON_ITS_WAY, may_forget
from smsgate.store.rawsql import Query
from smsgate.store.transactions import TransactionRunner, Tx


class MessageRetentionStore:
    """`services.message_retention.Prunes` on the hot transaction runner."""

    def __init__(self, transactions: TransactionRunner) -> None:
        self._transactions = transactions

    async def prune(self, before: float, after: str, limit: int) -> tuple[int, str | None]:
        return await self._transactions.run(lambda tx: prune(tx, before, after, limit))


def prune(tx: Tx, before: float, after: str, limit: int) -> tuple[int, str | None]:
    """Delete, among the `limit` messages after the id `after` ("" from the start), those
    created and last changed before `before` that may be forgotten, with their parts and
    events. Returns (messages deleted, the cursor for the next call: None once the messages
    looked at reach `before` or run out)."""
    q = Query(tx.postgres)
    rows = tx.fetch(
        f"SELECT id, status, created_at, updated_at FROM messages WHERE id > {q.param(after)} "
        f"ORDER BY id LIMIT {int(limit)}",
        q.params,
    )
    old = [r for r in rows if r[2] < before]
    done = len(rows) < limit or len(old) < len(rows)  # the end, or messages as young as `before`
    if not old:
        return 0, None
    gone = [r[0] for r in old if may_forget(r[1], r[3], before)]
    deleted = 0
    if gone:
        q = Query(tx.postgres)
        deleted = tx.execute(
            f"DELETE FROM messages WHERE id {q.in_(gone)} AND NOT (status {q.in_(ON_ITS_WAY)})",
            q.params,
        )
    return deleted, None if done else old[-1][0]
