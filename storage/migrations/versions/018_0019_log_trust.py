"""logs you can trust (issue 26): reminder budget slots, colleagues' confirmation

`reminder_claim` gains `sent_on` and `slot`, unique per person and day: each reminder sent takes
the next slot of its person's daily budget. Rows claimed before keep NULLs (they never collide).
`log_mention`: a colleague a log names as taking part, asked once to confirm.
`log_flag`: a log the nightly check found copied or mostly 套话.

Revision ID: 0019_log_trust
Revises: 0020_outbox_transport
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0019_log_trust"
down_revision: str | None = "0020_outbox_transport"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reminder_claim", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sent_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("slot", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint("uq_reminder_slot", ["userid", "sent_on", "slot"])
    op.create_table(
        "log_mention",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("colleague", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("asked_at", storage.types.AwareDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", storage.types.AwareDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("author", "day", "colleague", name="uq_log_mention"),
    )
    op.create_table(
        "log_flag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("like_author", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("like_day", sa.Date(), nullable=True),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.Column("flagged_at", storage.types.AwareDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("author", "day", name="uq_log_flag"),
    )
    with op.batch_alter_table("log_flag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_log_flag_day"), ["day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("log_flag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_log_flag_day"))
    op.drop_table("log_flag")
    op.drop_table("log_mention")
    op.execute("DELETE FROM reminder_claim WHERE kind = 'muted'")
    with op.batch_alter_table("reminder_claim", schema=None) as batch_op:
        batch_op.drop_constraint("uq_reminder_slot", type_="unique")
        batch_op.drop_column("slot")
        batch_op.drop_column("sent_on")
