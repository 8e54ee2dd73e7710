"""Message events, idempotency keys, and the /v1 columns of messages: only additions.

`message_events` is the history of each outbound message (accepted, submitted, receipts,
failed/expired), `idempotency_keys` the claimed `Idempotency-Key`s of the JSON API, and
`messages.client_ref` / `messages.validity_seconds` what a /v1 client asked for. An older
gateway ignores all of them; the downgrade drops them.

Revision ID: 0010
Revises: 0012
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable columns: SQLite adds them in place, no table copy (no batch mode).
    op.add_column("messages", sa.Column("client_ref", sa.String(64), nullable=True))
    op.add_column("messages", sa.Column("validity_seconds", sa.Integer(), nullable=True))
    op.create_table(
        "message_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(26), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("part_no", sa.SmallInteger(), nullable=True),
        sa.Column("smsc_message_id", sa.String(65), nullable=True),
        sa.Column("smpp_status", sa.Integer(), nullable=True),
        sa.Column("stat", sa.String(16), nullable=True),
        sa.Column("err", sa.String(64), nullable=True),
        sa.Column("done_date", sa.String(32), nullable=True),
        sa.Column("error", sa.String(255), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name="fk_message_events_message_id_messages",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_message_events"),
    )
    op.create_index("ix_message_events_message_id", "message_events", ["message_id"])
    op.create_table(
        "idempotency_keys",
        sa.Column("realm_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("message_id", sa.String(26), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["realm_id"],
            ["realms.id"],
            name="fk_idempotency_keys_realm_id_realms",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("realm_id", "key", name="pk_idempotency_keys"),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_index("ix_message_events_message_id", table_name="message_events")
    op.drop_table("message_events")
    # SQLite >= 3.35 drops a column in place.
    op.drop_column("messages", "validity_seconds")
    op.drop_column("messages", "client_ref")
