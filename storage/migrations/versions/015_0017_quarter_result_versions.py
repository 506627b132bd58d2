"""published quarters keep every version: a re-publish adds one (issue 28)

`quarter_result` gains `version` (in its primary key; rows published before are version 1),
and `quarter_publication` holds each version's who, when and what changed. A round published
before this revision gets its version 1, published by whoever the audit trail says published it.

Revision ID: 0017_quarter_versions
Revises: 0016_awards
Create Date: 2027-01-20
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0017_quarter_versions"
down_revision: str | None = "0016_awards"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_KEY = ["round_id", "userid"]
_NEW_KEY = ["round_id", "version", "userid"]


def upgrade() -> None:
    op.create_table(
        "quarter_publication",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("published_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("published_at", storage.types.AwareDateTime(timezone=True), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["rating_round.id"]),
        sa.PrimaryKeyConstraint("round_id", "version"),
    )
    op.execute(
        "INSERT INTO quarter_publication (round_id, version, published_by, published_at, changes) "
        "SELECT r.id, 1, COALESCE((SELECT a.actor FROM audit_event a WHERE a.action = 'round.publish' "
        "AND a.detail LIKE r.quarter || ':%' ORDER BY a.at DESC LIMIT 1), ''), "
        "COALESCE(r.published_at, r.closed_at, r.opened_at), '' "
        "FROM rating_round r WHERE r.status = 'published'"
    )
    _rekey(_NEW_KEY, add_version=True)


def downgrade() -> None:
    # Only the newest version of each quarter goes back: the old key holds one row per cadre.
    op.execute(
        "DELETE FROM quarter_result WHERE version < "
        "(SELECT MAX(p.version) FROM quarter_publication p WHERE p.round_id = quarter_result.round_id)"
    )
    _rekey(_OLD_KEY, add_version=False)
    op.drop_table("quarter_publication")


def _rekey(key: list[str], *, add_version: bool) -> None:
    """Swap quarter_result's primary key (and its `version` column in or out)."""
    if op.get_bind().dialect.name == "postgresql":
        if add_version:
            op.add_column("quarter_result", sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        op.drop_constraint("quarter_result_pkey", "quarter_result", type_="primary")
        op.create_primary_key("quarter_result_pkey", "quarter_result", key)
        if not add_version:
            op.drop_column("quarter_result", "version")
        return
    # SQLite: the table is copied with the new key. Its old key is unnamed there, so it is
    # named on the reflected copy to be dropped by name.
    table = sa.Table("quarter_result", sa.MetaData(), autoload_with=op.get_bind())
    table.primary_key.name = "pk_quarter_result"
    with op.batch_alter_table("quarter_result", recreate="always", copy_from=table) as batch:
        batch.drop_constraint("pk_quarter_result", type_="primary")
        if add_version:
            batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        else:
            batch.drop_column("version")
        batch.create_primary_key("pk_quarter_result", key)
