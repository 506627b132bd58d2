"""outbox transport waits on the wall clock; WeCom's per-member limits shared by replicas

`outbox.retry_after` (wall clock) holds a failed send's back-off and a member's wait for
WeCom's limits, apart from `not_before` (business clock). `member_sends` counts what each
member was sent in the last hour, for every replica's sender to see (doc 90454).

A pending row that already failed once had its back-off written into `not_before`; it keeps
that wait as its `retry_after` (production runs the business clock on wall time).

Revision ID: 0020_outbox_transport
Revises: 0018_log_versions
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0020_outbox_transport"
down_revision: str | None = "0018_log_versions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retry_after", storage.types.AwareDateTime(timezone=True), nullable=True))
    op.execute("UPDATE outbox SET retry_after = not_before WHERE status = 'pending' AND attempts > 0")
    op.create_table(
        "member_sends",
        sa.Column("userid", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("recent", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("userid"),
    )


def downgrade() -> None:
    op.drop_table("member_sends")
    # The later of the two waits goes back into the one column there was.
    op.execute(
        "UPDATE outbox SET not_before = retry_after WHERE retry_after IS NOT NULL AND retry_after > not_before"
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("retry_after")
