"""quarter results keep the rank level, the place in it and the missing log days as published

Rankings within a rank level and 我的得分's place and itemised deduction read the published
row, so a later promotion or an approved leave does not rewrite a published quarter.

Revision ID: 0009
Revises: 0005
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("quarter_result") as batch:
        batch.add_column(sa.Column("rank_level", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("rank_in_level", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("level_ranked", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("missing_dates", sa.Text(), nullable=False, server_default=""))
    # Rows published before this revision take the level their cadre has now (their place in
    # it stays unknown: 我的得分 then shows the unit place only).
    op.execute(
        "UPDATE quarter_result SET rank_level = "
        "(SELECT cadre.rank FROM cadre WHERE cadre.userid = quarter_result.userid)"
    )


def downgrade() -> None:
    with op.batch_alter_table("quarter_result") as batch:
        batch.drop_column("missing_dates")
        batch.drop_column("level_ranked")
        batch.drop_column("rank_in_level")
        batch.drop_column("rank_level")
