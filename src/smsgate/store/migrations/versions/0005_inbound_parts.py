"""Store the parts of multipart inbound messages until the last one arrives.

They were reassembled in memory, so the parts already acknowledged to the SMSC were lost when
the process died between parts. `inbound_parts` keeps each part, committed before it is
acknowledged, until its set is complete (store/inbound_parts.py). Only an addition: an older
gateway ignores the table, and the downgrade drops it.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbound_parts",
        sa.Column("connection", sa.String(64), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("destination", sa.String(32), nullable=False),
        sa.Column("ref", sa.Integer(), nullable=False),
        sa.Column("total", sa.SmallInteger(), nullable=False),
        sa.Column("seq", sa.SmallInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("received_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint(
            "connection", "source", "destination", "ref", "total", "seq", name="pk_inbound_parts"
        ),
    )
    op.create_index("ix_inbound_parts_received_at", "inbound_parts", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_inbound_parts_received_at", table_name="inbound_parts")
    op.drop_table("inbound_parts")
