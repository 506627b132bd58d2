"""outbox bodies: a card body stored once, shared by the rows of every rater who gets it

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_body",
        sa.Column("id", sa.String(16), nullable=False),
        sa.Column("head", sa.Text(), nullable=False),
        sa.Column("tail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # Rows queued before this revision keep their whole payload (body_id NULL): sent as they are.
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body_id", sa.String(16), nullable=True))


def downgrade() -> None:
    # Rows sharing a body get their whole payload back before the bodies go.
    op.execute(
        "UPDATE outbox SET payload = (SELECT b.head || outbox.payload || b.tail FROM outbox_body b"
        " WHERE b.id = outbox.body_id) WHERE body_id IS NOT NULL"
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("body_id")
    op.drop_table("outbox_body")
