"""Initial schema: realms, sender codes, opt-outs and their ledger, messages, parts, inbound.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "realms",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("password_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_realms"),
        sa.UniqueConstraint("name", name="uq_realms_name"),
    )
    op.create_table(
        "sender_codes",
        sa.Column("id", sa.Integer(), autoincrement=True),
        sa.Column("realm_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("connection", sa.String(64), nullable=True),
        sa.Column("max_tps", sa.Double(), nullable=True),
        sa.Column("stop_reply", sa.Text(), nullable=True),
        sa.Column("start_reply", sa.Text(), nullable=True),
        sa.Column("help_reply", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sender_codes"),
        sa.ForeignKeyConstraint(
            ["realm_id"], ["realms.id"], name="fk_sender_codes_realm_id_realms", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("code", name="uq_sender_codes_code"),
    )
    op.create_table(
        "opt_outs",
        sa.Column("id", sa.Integer(), autoincrement=True),
        sa.Column("realm_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(16), nullable=False),
        sa.Column("sender_code", sa.String(32), nullable=False, server_default=""),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_opt_outs"),
        sa.ForeignKeyConstraint(
            ["realm_id"], ["realms.id"], name="fk_opt_outs_realm_id_realms", ondelete="CASCADE"
        ),
        sa.UniqueConstraint(
            "realm_id", "phone", "sender_code", name="uq_opt_outs_realm_id_phone_sender_code"
        ),
    )
    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.Integer(), autoincrement=True),
        sa.Column("realm_id", sa.Integer(), nullable=True),
        sa.Column("connection", sa.String(64), nullable=False),
        sa.Column("sender_code", sa.String(32), nullable=False),
        sa.Column("phone", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("keyword", sa.String(8), nullable=False),
        sa.Column("received_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_inbound_messages"),
        sa.ForeignKeyConstraint(
            ["realm_id"],
            ["realms.id"],
            name="fk_inbound_messages_realm_id_realms",
            ondelete="SET NULL",
        ),
    )
    op.create_index(
        "ix_inbound_messages_realm_id_received_at", "inbound_messages", ["realm_id", "received_at"]
    )
    op.create_table(
        "opt_out_events",
        sa.Column("id", sa.Integer(), autoincrement=True),
        sa.Column("realm_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(16), nullable=False),
        sa.Column("sender_code", sa.String(32), nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("inbound_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_opt_out_events"),
        sa.ForeignKeyConstraint(
            ["realm_id"],
            ["realms.id"],
            name="fk_opt_out_events_realm_id_realms",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["inbound_id"],
            ["inbound_messages.id"],
            name="fk_opt_out_events_inbound_id_inbound_messages",
        ),
    )
    op.create_index("ix_opt_out_events_realm_id_phone", "opt_out_events", ["realm_id", "phone"])
    op.create_table(
        "messages",
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("realm_id", sa.Integer(), nullable=False),
        sa.Column("sender_code", sa.String(32), nullable=False),
        sa.Column("phone", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("encoding", sa.String(8), nullable=False),
        sa.Column("parts", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.String(255), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("kind", sa.String(8), nullable=False, server_default="api"),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_messages"),
        sa.ForeignKeyConstraint(
            ["realm_id"], ["realms.id"], name="fk_messages_realm_id_realms", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_messages_status_id", "messages", ["status", "id"])
    op.create_index("ix_messages_realm_id_id", "messages", ["realm_id", "id"])
    op.create_index("ix_messages_realm_id_phone", "messages", ["realm_id", "phone"])
    op.create_table(
        "message_parts",
        sa.Column("message_id", sa.String(26), nullable=False),
        sa.Column("part_no", sa.SmallInteger(), nullable=False),
        sa.Column("connection", sa.String(64), nullable=False),
        sa.Column("smsc_message_id", sa.String(65), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.String(255), nullable=True),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("message_id", "part_no", name="pk_message_parts"),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name="fk_message_parts_message_id_messages",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_message_parts_connection_smsc_message_id",
        "message_parts",
        ["connection", "smsc_message_id"],
    )
    op.create_table(
        "pending_receipts",
        sa.Column("id", sa.Integer(), autoincrement=True),
        sa.Column("connection", sa.String(64), nullable=False),
        sa.Column("smsc_message_id", sa.String(65), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("error", sa.String(64), nullable=True),
        sa.Column("received_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pending_receipts"),
    )
    op.create_index(
        "ix_pending_receipts_connection_smsc_message_id",
        "pending_receipts",
        ["connection", "smsc_message_id"],
    )


def downgrade() -> None:
    for table in (
        "pending_receipts",
        "message_parts",
        "messages",
        "opt_out_events",
        "inbound_messages",
        "opt_outs",
        "sender_codes",
        "realms",
    ):
        op.drop_table(table)
