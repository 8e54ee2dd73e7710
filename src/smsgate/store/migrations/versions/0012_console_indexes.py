"""Indexes the console's overview reads by time: inbound messages and the opt-out ledger.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Migration 0004 reads inbound_messages through server-side cursors, which asyncpg
        # leaves open until the transaction ends, and PostgreSQL refuses to index a table
        # that an open cursor of the session uses. All migrations run in one transaction.
        op.execute("CLOSE ALL")
    op.create_index("ix_inbound_messages_received_at", "inbound_messages", ["received_at"])
    op.create_index("ix_opt_out_events_created_at", "opt_out_events", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_opt_out_events_created_at", table_name="opt_out_events")
    op.drop_index("ix_inbound_messages_received_at", table_name="inbound_messages")
