"""the year's result as national rules frame it (issue 24): 平时考核 grades, 人员类别, 等次

`quarter_result` gains `grade` (好/较好/一般/较差), given at publishing by the unit's bands and
cap (scoring.grades.quarter_grades). Rows published before stay NULL, shown as 「未评定（本
功能上线前发布）」: each cadre was told that quarter's result without a grade, and a grade
computed now by today's [grades] settings would be one nobody decided or notified. A
re-publish (发布结果 2026Q4 重新发布) grades its new version, and only grades that exist feed
the annual proposal.

`cadre` and `roster_change` gain `category` (人员类别; NULL = the [grades] default_category).
`annual_result` gains `grade`, `category` and `grade_reason`: years published before stay NULL,
shown as 「未评定（本功能上线前发布）」 beside their 优秀 flag, for the same reason; a
re-publish (发布年度结果 2026 重新发布) gives its version the 等次. `grade_record` holds the
考核办's records (decided grades, exclusions, bars on 优秀) applied at each publishing.

Revision ID: 0021_grades
Revises: 0019_log_trust
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0021_grades"
down_revision: str | None = "0019_log_trust"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("quarter_result", schema=None) as batch_op:
        batch_op.add_column(sa.Column("grade", sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True))
    for table in ("cadre", "roster_change"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
    with op.batch_alter_table("annual_result", schema=None) as batch_op:
        batch_op.add_column(sa.Column("grade", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True))
        batch_op.add_column(sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch_op.add_column(sa.Column("grade_reason", sa.Text(), nullable=False, server_default=""))
    op.create_table(
        "grade_record",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("userid", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("grade", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=True),
        sa.Column("period_to", sa.Date(), nullable=True),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("recorded_at", storage.types.AwareDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("year", "userid", "kind"),
    )


def downgrade() -> None:
    op.drop_table("grade_record")
    # Plain columns, dropped in place (SQLite 3.35+ and PostgreSQL alike): a batch copy of
    # `cadre` would have to drop a table that later tables (daily_log_version …) point at.
    for table, column in (
        ("annual_result", "grade_reason"), ("annual_result", "category"), ("annual_result", "grade"),
        ("roster_change", "category"), ("cadre", "category"), ("quarter_result", "grade"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
