"""scoring/ is pure: it imports nothing from the packages that do I/O (DESIGN: data flows one way)."""

from __future__ import annotations

import ast
from pathlib import Path

import scoring

FORBIDDEN = {"bot", "handlers", "storage", "scheduler"}
SCORING_DIR = Path(scoring.__file__).parent


def imported_top_levels(source: Path) -> set[str]:
    tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_scoring_modules_import_no_io_packages() -> None:
    modules = sorted(SCORING_DIR.glob("*.py"))
    assert len(modules) >= 8, "expected the scoring modules to be found"
    offenders = {
        module.name: sorted(imported_top_levels(module) & FORBIDDEN) for module in modules
    }
    assert {name: bad for name, bad in offenders.items() if bad} == {}


def test_purity_check_catches_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom storage.models import Cadre\nimport bot.server\n")
    assert imported_top_levels(sample) & FORBIDDEN == {"storage", "bot"}
