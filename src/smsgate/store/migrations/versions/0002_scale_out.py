"""Scale-out on PostgreSQL: message ownership, the nodes table and SMPP bind leases.

Several dispatcher processes share one PostgreSQL database (docs/adr/0004). Each claimed message
records which node claimed it (`owner`) and when (`claimed_at`), so that when a node dies its
`sending` messages can be found and queued again. `nodes` holds one heartbeat row per process;
`smpp_binds` holds one lease row per SMPP bind slot of each connection.

Only additions: an older gateway still running against this schema ignores them, and the
downgrade drops them without touching other data (plain DROP COLUMN, never a table rebuild,
which on SQLite would cascade-delete message_parts).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("messages", sa.Column("owner", sa.String(64), nullable=True))
    op.add_column("messages", sa.Column("claimed_at", sa.Double(), nullable=True))
    op.create_table(
        "nodes",
        sa.Column("node_id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("hostname", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.Double(), nullable=False),
        sa.Column("heartbeat_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("node_id", name="pk_nodes"),
    )
    op.create_table(
        "smpp_binds",
        sa.Column("connection", sa.String(64), nullable=False),
        sa.Column("slot", sa.SmallInteger(), nullable=False),
        sa.Column("owner", sa.String(64), nullable=True),
        sa.Column("lease_until", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("connection", "slot", name="pk_smpp_binds"),
    )


def downgrade() -> None:
    op.drop_table("smpp_binds")
    op.drop_table("nodes")
    # SQLite >= 3.35 drops a column in place; no batch mode (see the module docstring).
    op.drop_column("messages", "claimed_at")
    op.drop_column("messages", "owner")
