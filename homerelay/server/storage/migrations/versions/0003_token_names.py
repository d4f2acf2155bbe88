"""Tokens get an optional name, so that a home's phones can be told apart ("anna's phone")."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the nullable `tokens.name` column; tokens issued before keep working unnamed."""
    with op.batch_alter_table("tokens") as batch:
        batch.add_column(sa.Column("name", sa.String(100), nullable=True))


def downgrade() -> None:
    """Drop `tokens.name` (batch mode: SQLite rebuilds the table)."""
    with op.batch_alter_table("tokens") as batch:
        batch.drop_column("name")
