"""What a console page may show once, kept in the database (store/console_reveals.py).

The secret of a webhook endpoint added in the console was kept for the page its add redirects
to in the memory of the process that added it: with `serve --workers N` another process could
answer that page and show nothing. The table keeps the endpoint's id (never the secret) for the
session that added it.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "console_reveals",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_console_reveals"),
    )
    op.create_index("ix_console_reveals_created_at", "console_reveals", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_console_reveals_created_at", table_name="console_reveals")
    op.drop_table("console_reveals")
