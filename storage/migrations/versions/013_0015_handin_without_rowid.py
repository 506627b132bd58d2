"""hand-ins without a rowid: the hand-in tables keep no hand-in order on SQLite

rating_handin and year_eval_handin become WITHOUT ROWID tables on SQLite, as rating_score
and year_eval_score are: a rowid numbers the rows in the order the raters handed in. Rebuilt
through a batch copy (SQLite cannot change this in place); PostgreSQL has no rowid and is
left as it is (there the close rewrites the rows, storage/ballot_box.py reseal).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = {"rating_handin": "rating_round", "year_eval_handin": "year_eval"}  # table → its round's


def _rebuild(with_rowid: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, rounds in TABLES.items():
        # Described here, not reflected: reflection would carry the old rowid setting over.
        shape = sa.Table(
            name, sa.MetaData(),
            sa.Column("round_id", sa.Integer(), sa.ForeignKey(f"{rounds}.id"), nullable=False),
            sa.Column("rater", sa.String(64), nullable=False),
            sa.PrimaryKeyConstraint("round_id", "rater"),
            sqlite_with_rowid=with_rowid,
        )
        with op.batch_alter_table(name, recreate="always", copy_from=shape):
            pass


def upgrade() -> None:
    _rebuild(with_rowid=False)


def downgrade() -> None:
    _rebuild(with_rowid=True)
