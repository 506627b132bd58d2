"""The migration files read in the order they run: `NNN_<revision>_<what>.py`, where NNN is the
place in the chain and <revision> the id inside the file (ids never change, so a database
upgraded before the files were renamed still finds its revision)."""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory

from storage.db import MIGRATIONS, alembic_config


def test_file_order_is_the_order_migrations_run_in() -> None:
    chain = list(reversed(list(ScriptDirectory.from_config(alembic_config()).walk_revisions())))
    files = sorted(p.name for p in (Path(MIGRATIONS) / "versions").glob("*.py"))
    assert [Path(script.path).name for script in chain] == files
    assert len(chain) >= 14 and chain[0].down_revision is None


def test_each_file_names_its_place_and_its_revision() -> None:
    chain = reversed(list(ScriptDirectory.from_config(alembic_config()).walk_revisions()))
    for place, script in enumerate(chain, start=1):
        assert Path(script.path).name.startswith(f"{place:03d}_{script.revision.split('_')[0]}_")
