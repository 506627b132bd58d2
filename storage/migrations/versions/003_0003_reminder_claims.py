"""reminder claims

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reminder_claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("userid", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("outbox_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("claimed_at", storage.types.AwareDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "day", "userid", name="uq_reminder_claim"),
    )
    with op.batch_alter_table("reminder_claim", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminder_claim_day"), ["day"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_reminder_claim_outbox_key"), ["outbox_key"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("reminder_claim", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_claim_outbox_key"))
        batch_op.drop_index(batch_op.f("ix_reminder_claim_day"))
    op.drop_table("reminder_claim")
