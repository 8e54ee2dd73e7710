"""The accept transaction: what a group commit (services/group_commit.py) writes.

In ONE transaction on the hot write path (`TransactionRunner`: on SQLite the one writer thread,
whose commit returns only after the WAL is synced, ADR 0006), the opt-out list is re-read for the
whole batch (`blocked_pairs`, which applies `domain.optout.is_blocked`) and the messages that
are not opted out are inserted, `queued` or already `sending` as the service chose. Reading the
opt-outs inside the transaction makes the answer as fresh as the commit that uses it.

The same transaction claims the /v1 `Idempotency-Key` of each message that has one
(store/idempotency.py) and leaves out the messages whose key was taken: they are neither
committed nor refused as opted out, which tells the group commit they are duplicates. A
message's `accepted` event is its row itself (no event row: ADR 0014).
"""

import time
from collections.abc import Awaitable

from smsgate.domain.model import Message, Status
from smsgate.store.idempotency import claim
from smsgate.store.notify import notify_queued
from smsgate.store.optouts import blocked_pairs
from smsgate.store.transactions import TransactionRunner, Tx

_COLUMNS = (
    "id, realm_id, sender_code, phone, text, encoding, parts, kind, status, attempts, created_at, "
    "updated_at, client_ref, validity_seconds"
)


class AcceptTransaction:
    """`services.group_commit.AcceptStore`: the accept transaction, run by the process's
    `TransactionRunner`."""

    def __init__(self, runner: TransactionRunner) -> None:
        self._runner = runner

    def insert(
        self, batch: list[Message], status: Status
    ) -> Awaitable[tuple[list[Message], set[str]]]:
        # the runner's coroutine itself: no frame of ours around it, once a batch
        return self._runner.run(lambda tx: _insert(tx, batch, status))


def _insert(tx: Tx, batch: list[Message], status: Status) -> tuple[list[Message], set[str]]:
    """The accept transaction: re-read opt-outs for the batch, claim the Idempotency-Keys of
    the rest, insert those whose key was free (queued, or sending when the dispatcher takes
    them at once: then they count one attempt). Returns (committed, refused as opted out);
    the rest of the batch are duplicates."""
    blocked = blocked_pairs(tx, ((m.realm_id, m.sender_code, m.phone) for m in batch))
    refused = (
        {m.id for m in batch if (m.realm_id, m.sender_code, m.phone) in blocked}
        if blocked
        else set()
    )
    now = time.time()
    # Keys are claimed in one order in every transaction: two batches claiming the same keys
    # in opposite orders would deadlock on PostgreSQL, and a deadlock fails a whole batch.
    keyed = [m for m in batch if m.idempotency is not None and m.id not in refused]
    taken: set[str] = set()
    if keyed:  # /v1 requests with an Idempotency-Key (api_web has none)
        keyed.sort(key=lambda m: (m.realm_id, m.idempotency.key if m.idempotency else ""))
        taken = {
            m.id
            for m in keyed
            if m.idempotency and not claim(tx, m.realm_id, m.idempotency, m.id, now)
        }
    committed = (
        [m for m in batch if m.id not in refused and m.id not in taken]
        if refused or taken
        else list(batch)
    )
    attempts = 1 if status is Status.SENDING else 0
    tx.insert_rows(
        f"INSERT INTO messages ({_COLUMNS})",
        [
            (
                m.id,
                m.realm_id,
                m.sender_code,
                m.phone,
                m.text,
                m.encoding,
                m.parts,
                m.kind,
                status.value,
                attempts,
                m.created_at,
                now,
                m.client_ref,
                m.validity_seconds,
            )
            for m in committed
        ],
    )
    if committed and status is Status.QUEUED:
        notify_queued(tx)  # wakes dispatchers in other processes (PostgreSQL) once committed
    return committed, refused
