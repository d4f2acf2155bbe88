"""Shared rate-limit storage, so limits and the sign-in throttle hold across server processes."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the moving-window hits and the fixed-window counters."""
    op.create_table(
        "rate_limit_hits",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_rate_limit_hits_key_expires", "rate_limit_hits", ["key", "expires_at"])
    op.create_table(
        "rate_limit_counters",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    """Drop the rate-limit tables."""
    op.drop_table("rate_limit_counters")
    op.drop_index("ix_rate_limit_hits_key_expires", table_name="rate_limit_hits")
    op.drop_table("rate_limit_hits")
