"""Indexes that let pruning find old readings and commands without scanning whole tables."""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Readings and commands by time (pruning by age), commands of a home by id (pruning by count)."""
    op.create_index("ix_readings_at", "readings", ["at"])
    op.create_index("ix_commands_created_at", "commands", ["created_at"])
    op.create_index("ix_commands_home_id", "commands", ["home_id", "id"])


def downgrade() -> None:
    """Drop the three indexes."""
    op.drop_index("ix_commands_home_id", table_name="commands")
    op.drop_index("ix_commands_created_at", table_name="commands")
    op.drop_index("ix_readings_at", table_name="readings")
