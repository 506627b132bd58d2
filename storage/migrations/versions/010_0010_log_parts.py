"""daily log part lengths, for 撤回

Revision ID: 0010
Revises: 0012
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dailylog", schema=None) as batch_op:
        batch_op.add_column(sa.Column("part_lengths", sa.Text(), nullable=False, server_default=""))
    # A log written before this revision is one part.
    op.execute("UPDATE dailylog SET part_lengths = CAST(length(content) AS TEXT)")


def downgrade() -> None:
    with op.batch_alter_table("dailylog", schema=None) as batch_op:
        batch_op.drop_column("part_lengths")
