"""The initial schema: what `create_all` made before migrations existed (homes, tokens, commands, ...)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def _home_id(primary_key: bool = False) -> sa.Column:
    return sa.Column("home_id", sa.Integer(), sa.ForeignKey("homes.id", ondelete="CASCADE"), nullable=False,
                     primary_key=primary_key)


def upgrade() -> None:
    """Create every table of the first release."""
    op.create_table(
        "homes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
    )
    op.create_table(
        "tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        _home_id(),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("hint", sa.String(12), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
    )
    op.create_index("ix_tokens_home_id", "tokens", ["home_id"])
    op.create_table(
        "commands",
        sa.Column("id", sa.Integer(), primary_key=True),
        _home_id(),
        sa.Column("text", sa.String(500), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("intent", sa.String(16), nullable=True),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("delivered_at", TIMESTAMP, nullable=True),
        sa.Column("done_at", TIMESTAMP, nullable=True),
        sa.Column("lease_until", TIMESTAMP, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("legacy_served", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_commands_home_idempotency", "commands", ["home_id", "idempotency_key"], unique=True)
    op.create_index("ix_commands_home_status_id", "commands", ["home_id", "status", "id"])
    op.create_table(
        "readings",
        sa.Column("id", sa.Integer(), primary_key=True),
        _home_id(),
        sa.Column("temperature", sa.Float(), nullable=False),
        sa.Column("humidity", sa.Float(), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
    )
    op.create_index("ix_readings_home_at", "readings", ["home_id", "at"])
    op.create_table(
        "device_states",
        _home_id(primary_key=True),
        sa.Column("room", sa.String(64), primary_key=True),
        sa.Column("device", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    )
    op.create_table(
        "house_layouts",
        _home_id(primary_key=True),
        sa.Column("layout", sa.JSON(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    )
    op.create_table(
        "cooling_rules",
        _home_id(primary_key=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("hysteresis", sa.Float(), nullable=False),
        sa.Column("room", sa.String(64), nullable=False),
        sa.Column("device", sa.String(64), nullable=False),
        sa.Column("paused_until", TIMESTAMP, nullable=True),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    )
    op.create_table(
        "legacy_values",
        _home_id(primary_key=True),
        sa.Column("key", sa.String(32), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    )


def downgrade() -> None:
    """Drop every table (all data is lost)."""
    for table in ("legacy_values", "cooling_rules", "house_layouts", "device_states", "readings", "commands", "tokens", "homes"):
        op.drop_table(table)
