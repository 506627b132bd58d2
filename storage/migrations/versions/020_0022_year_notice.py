"""the year's 公示 (proposed 优秀 lists, objections, decisions, the final mark), written notice, 复核 and 申诉

Revision ID: 0022_year_notice
Revises: 0021_grades
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0022_year_notice"
down_revision: str | None = "0021_grades"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "year_publicity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("unit_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("listed", sa.Text(), nullable=False),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("ends", sa.Date(), nullable=False),
        sa.Column("started_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("started_at", storage.types.AwareDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("year", "unit_id", "seq", name="uq_year_publicity_seq"),
    )
    with op.batch_alter_table("year_publicity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_year_publicity_year"), ["year"], unique=False)
    op.create_table(
        "year_objection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("publicity_id", sa.Integer(), nullable=False),
        sa.Column("target", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("objector", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("raised_at", storage.types.AwareDateTime(timezone=True), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("decided_at", storage.types.AwareDateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["publicity_id"], ["year_publicity.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_year_objection_year_status", "year_objection", ["year", "status"], unique=False)
    op.create_table(
        "year_final",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("final_at", storage.types.AwareDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("year"),
    )
    op.create_table(
        "year_notice_reply",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("userid", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("task_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("sent_at", storage.types.AwareDateTime(timezone=True), nullable=False),
        sa.Column("answer", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("answered_at", storage.types.AwareDateTime(timezone=True), nullable=True),
        sa.Column("opinion", sa.Text(), nullable=True),
        sa.Column("opinion_at", storage.types.AwareDateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", storage.types.AwareDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("year", "userid"),
        sa.UniqueConstraint("task_id"),
    )
    op.create_table(
        "year_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("userid", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("grade", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_at", storage.types.AwareDateTime(timezone=True), nullable=False),
        sa.Column("decision_due", sa.Date(), nullable=False),
        sa.Column("decision", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("changed_to", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("decided_at", storage.types.AwareDateTime(timezone=True), nullable=True),
        sa.Column("appeal_due", sa.Date(), nullable=True),
        sa.Column("appeal_reason", sa.Text(), nullable=True),
        sa.Column("appealed_at", storage.types.AwareDateTime(timezone=True), nullable=True),
        sa.Column("appeal_outcome", sa.Text(), nullable=True),
        sa.Column("appeal_entered_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("appeal_entered_at", storage.types.AwareDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("year", "userid", name="uq_year_review_year_userid"),
    )


def downgrade() -> None:
    op.drop_table("year_review")
    op.drop_table("year_notice_reply")
    op.drop_table("year_final")
    op.drop_index("ix_year_objection_year_status", table_name="year_objection")
    op.drop_table("year_objection")
    with op.batch_alter_table("year_publicity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_year_publicity_year"))
    op.drop_table("year_publicity")
