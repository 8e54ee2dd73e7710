"""The operator console's users and sessions: operators, realm_users, console_sessions.

Revision ID: 0011
Revises: 0014
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "operators",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_operators"),
        sa.UniqueConstraint("name", name="uq_operators_name"),
    )
    op.create_table(
        "realm_users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("realm_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["realm_id"], ["realms.id"], name="fk_realm_users_realm_id_realms", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_realm_users"),
        sa.UniqueConstraint("realm_id", "name", name="uq_realm_users_realm_id_name"),
    )
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        sa.Column("realm_user_id", sa.Integer(), nullable=True),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("last_seen_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name="fk_console_sessions_operator_id_operators",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["realm_user_id"],
            ["realm_users.id"],
            name="fk_console_sessions_realm_user_id_realm_users",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_console_sessions"),
    )
    op.create_index("ix_console_sessions_last_seen_at", "console_sessions", ["last_seen_at"])


def downgrade() -> None:
    op.drop_index("ix_console_sessions_last_seen_at", table_name="console_sessions")
    op.drop_table("console_sessions")
    op.drop_table("realm_users")
    op.drop_table("operators")
