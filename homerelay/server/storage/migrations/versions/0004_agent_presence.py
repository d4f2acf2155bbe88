"""Agent presence (its processes and the announced status), who a command went to, the rule's pause settings."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def _home_id() -> sa.Column:
    return sa.Column("home_id", sa.Integer(), sa.ForeignKey("homes.id", ondelete="CASCADE"), nullable=False,
                     primary_key=True)


def upgrade() -> None:
    """Add the presence tables and the nullable columns; rows from before keep their meaning."""
    op.create_table(
        "agent_instances",
        _home_id(),
        sa.Column("instance", sa.String(64), primary_key=True),
        sa.Column("version", sa.String(64), nullable=True),
        sa.Column("simulated", sa.Boolean(), nullable=True),
        sa.Column("last_seen", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("poll_id", sa.String(32), nullable=True),
        sa.Column("disconnected", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "agent_status",
        _home_id(),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("since", TIMESTAMP, nullable=False),
        sa.Column("instances", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(64), nullable=True),
        sa.Column("simulated", sa.Boolean(), nullable=True),
    )
    with op.batch_alter_table("commands") as batch:
        batch.add_column(sa.Column("delivered_to", sa.String(64), nullable=True))
    with op.batch_alter_table("cooling_rules") as batch:
        batch.add_column(sa.Column("paused_because", sa.String(200), nullable=True))
        batch.add_column(sa.Column("pause_minutes", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Drop what `upgrade` added (batch mode: SQLite rebuilds the tables)."""
    with op.batch_alter_table("cooling_rules") as batch:
        batch.drop_column("pause_minutes")
        batch.drop_column("paused_because")
    with op.batch_alter_table("commands") as batch:
        batch.drop_column("delivered_to")
    op.drop_table("agent_status")
    op.drop_table("agent_instances")
