"""the year's result as national rules frame it (issue 24): 平时考核 grades per quarter

`quarter_result` gains `grade` (好/较好/一般/较差), given at publishing by the unit's bands and
cap (scoring.grades.quarter_grades). Rows published before stay NULL, shown as 「未评定（本
功能上线前发布）」: each cadre was told that quarter's result without a grade, and a grade
computed now by today's [grades] settings would be one nobody decided or notified. A
re-publish (发布结果 2026Q4 重新发布) grades its new version, and only grades that exist feed
the annual proposal.

Revision ID: 0021_grades
Revises: 0017_quarter_versions
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0021_grades"
down_revision: str | None = "0017_quarter_versions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("quarter_result", schema=None) as batch_op:
        batch_op.add_column(sa.Column("grade", sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("quarter_result", schema=None) as batch_op:
        batch_op.drop_column("grade")
