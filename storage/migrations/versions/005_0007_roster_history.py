"""roster history: every roster line with its effective day

Revision ID: 0007
Revises: 0004
Create Date: 2026-11-24
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0007"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# scoring.roster.BEGINNING, spelled out: a migration must not change when the code does.
BEGINNING = date(1900, 1, 1)


def upgrade() -> None:
    table = op.create_table(
        "roster_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("userid", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("effective", sa.Date(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("rank", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("position", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("oversees", sa.Text(), server_default="", nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("recorded_at", storage.types.AwareDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.ForeignKeyConstraint(["userid"], ["cadre.userid"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("userid", "effective", name="uq_roster_change_user_day"),
    )
    # The roster already imported held "since always": one line per person from BEGINNING.
    bind = op.get_bind()
    names: dict[int, str] = dict(bind.execute(sa.text("SELECT id, name FROM unit")).all())
    oversees: dict[str, list[str]] = {}
    for userid, unit_id in bind.execute(sa.text("SELECT userid, unit_id FROM oversight")).all():
        oversees.setdefault(userid, []).append(names[unit_id])
    cadres = bind.execute(
        sa.select(sa.table("cadre", *(sa.column(c) for c in ("userid", "name", "unit_id", "role", "rank",
                                                            "position", "active"))),
                  sa.column("updated_at", storage.types.AwareDateTime()))
    ).mappings().all()
    rows = []
    for cadre in cadres:
        row = dict(cadre)
        row["recorded_at"] = row.pop("updated_at")
        row.update(effective=BEGINNING, oversees=";".join(sorted(oversees.get(row["userid"], []))), source="")
        rows.append(row)
    if rows:
        op.bulk_insert(table, rows)

def downgrade() -> None:
    op.drop_table("roster_change")
