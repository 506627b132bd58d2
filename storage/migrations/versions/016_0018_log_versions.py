"""daily logs keep every change: versions, 补记 awaiting confirmation, 批注 (issue 26)

`daily_log_version` holds every write to a day's log from this revision on; each log kept
before it gets one version, its text as it stood, written at its creation and on its own day
(when its parts came was not recorded, so none is marked late). `pending_backfill` holds a
补记 waiting for 「确认补记」; `log_note` the leaders' 批注.

Revision ID: 0018_log_versions
Revises: 0017_quarter_versions
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0018_log_versions"
down_revision: str | None = "0017_quarter_versions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "daily_log_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("userid", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("change", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", storage.types.AwareDateTime(timezone=True), nullable=False),
        sa.Column("written_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["userid"], ["cadre.userid"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_daily_log_version_user_day", "daily_log_version", ["userid", "day"])
    op.execute(
        "INSERT INTO daily_log_version (userid, day, change, text, at, written_on) "
        "SELECT userid, day, 'add', content, created_at, day FROM dailylog ORDER BY id"
    )
    op.create_table(
        "pending_backfill",
        sa.Column("userid", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("expires_at", storage.types.AwareDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["userid"], ["cadre.userid"]),
        sa.PrimaryKeyConstraint("userid"),
    )
    op.create_table(
        "log_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("userid", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("author", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("author_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", storage.types.AwareDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["userid"], ["cadre.userid"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_log_note_user_day", "log_note", ["userid", "day"])


def downgrade() -> None:
    op.drop_index("ix_log_note_user_day", table_name="log_note")
    op.drop_table("log_note")
    op.drop_table("pending_backfill")
    op.drop_index("ix_daily_log_version_user_day", table_name="daily_log_version")
    op.drop_table("daily_log_version")
