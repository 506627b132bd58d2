"""rewards and penalties (奖惩) imported for the archive

Revision ID: 0016_awards
Revises: 0015
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0016_awards"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "award_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("userid", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("content", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("imported_at", storage.types.AwareDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("award_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_award_record_year"), ["year"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("award_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_award_record_year"))
    op.drop_table("award_record")
