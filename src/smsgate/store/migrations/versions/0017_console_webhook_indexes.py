"""Indexes the console's webhook page and backlog read: a realm's pending and failed deliveries.

Two partial indexes on (endpoint_id, id), one of `pending` deliveries and one of `failed`
ones, so a realm's backlog is counted and its failed or retrying deliveries are listed newest
first from those rows alone, not from every delivery the realm ever had (store/console_webhooks.py).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for status in ("pending", "failed"):
        where = sa.text(f"status = '{status}'")
        op.create_index(
            f"ix_webhook_deliveries_{status}",
            "webhook_deliveries",
            ["endpoint_id", "id"],
            sqlite_where=where,
            postgresql_where=where,
        )


def downgrade() -> None:
    for status in ("failed", "pending"):
        op.drop_index(f"ix_webhook_deliveries_{status}", table_name="webhook_deliveries")
