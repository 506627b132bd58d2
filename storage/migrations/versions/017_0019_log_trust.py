"""logs you can trust (issue 26): reminder budget slots, colleagues' confirmation

`reminder_claim` gains `sent_on` and `slot`, unique per person and day: each reminder sent takes
the next slot of its person's daily budget. Rows claimed before keep NULLs (they never collide).
`log_mention`: a colleague a log names as taking part, asked once to confirm.

Revision ID: 0019_log_trust
Revises: 0017_quarter_versions
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0019_log_trust"
down_revision: str | None = "0017_quarter_versions"
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


def downgrade() -> None:
    op.drop_table("log_mention")
    op.execute("DELETE FROM reminder_claim WHERE kind = 'muted'")
    with op.batch_alter_table("reminder_claim", schema=None) as batch_op:
        batch_op.drop_constraint("uq_reminder_slot", type_="unique")
        batch_op.drop_column("slot")
        batch_op.drop_column("sent_on")
