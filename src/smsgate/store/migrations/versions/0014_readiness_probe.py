"""The readiness probe's row: `/readyz` proves the store writable by updating it.

Revision ID: 0014
Revises: 0008
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "readiness_probe",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("probed_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_readiness_probe"),
    )


def downgrade() -> None:
    op.drop_table("readiness_probe")
