"""What the recogniser heard and how sure it was, kept on a spoken command (source voice)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the two nullable columns (empty for typed commands)."""
    with op.batch_alter_table("commands") as batch:
        batch.add_column(sa.Column("heard", sa.String(500), nullable=True))
        batch.add_column(sa.Column("confidence", sa.Float(), nullable=True))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("commands") as batch:
        batch.drop_column("confidence")
        batch.drop_column("heard")
