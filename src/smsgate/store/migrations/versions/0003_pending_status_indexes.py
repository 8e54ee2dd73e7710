"""Index by status only the messages still to send.

`ix_messages_status_id` indexed every message by (status, id), so each message sent moved its
entry from the `sending` part of a growing index to the `sent` part: one B-tree insert per
message in the SQLite writer's hottest statement, for an index nothing reads by a final status
on the hot path. Two partial indexes replace it: `queued` messages (the dispatcher's poll and
claim) and `sending` ones (recovery at start, a dead node's messages). They hold only messages
in flight, so they stay small; a sent message just leaves them. Listing messages by a final
status (`smsgate messages list --status sent`) walks `ix_messages_realm_id_id` instead.

Measured (bench/README.md, "Third round"): without the full index the benchmark ran ~10 %
faster; these two indexes keep the dispatcher's queries indexed.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATES = ("queued", "sending")


def upgrade() -> None:
    for state in _STATES:
        where = sa.text(f"status = '{state}'")
        op.create_index(
            f"ix_messages_{state}", "messages", ["id"], sqlite_where=where, postgresql_where=where
        )
    op.drop_index("ix_messages_status_id", table_name="messages")


def downgrade() -> None:
    op.create_index("ix_messages_status_id", "messages", ["status", "id"])
    for state in _STATES:
        op.drop_index(f"ix_messages_{state}", table_name="messages")
