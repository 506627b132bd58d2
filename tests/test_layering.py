"""Imports run one way (DESIGN: data flows one way): scoring ← storage ← handlers ← scheduler ← bot.

Every module of the five packages is parsed, TYPE_CHECKING and function-local imports included:
an import up the ladder is a circle waiting to happen, whatever the reason for it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LADDER = ["scoring", "storage", "handlers", "scheduler", "bot"]
# Each package may import the packages below it on the ladder, and itself.
MAY_IMPORT = {package: set(LADDER[: index + 1]) for index, package in enumerate(LADDER)}


def imported_top_levels(source: Path) -> set[str]:
    tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names & set(LADDER)


def modules_of(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts)


@pytest.mark.parametrize("package", LADDER)
def test_package_imports_only_what_lies_below_it(package: str) -> None:
    modules = modules_of(package)
    assert len(modules) >= 5, f"expected the modules of {package}/ to be found"
    offenders = {
        str(module.relative_to(ROOT)): sorted(imported_top_levels(module) - MAY_IMPORT[package])
        for module in modules
    }
    assert {name: bad for name, bad in offenders.items() if bad} == {}


def test_the_check_catches_an_upward_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\nfrom typing import TYPE_CHECKING\nfrom storage.models import Cadre\n"
        "if TYPE_CHECKING:\n    import bot.server\n"
        "def late():\n    from scheduler.jobs import run_job\n"
    )
    assert imported_top_levels(sample) - MAY_IMPORT["handlers"] == {"bot", "scheduler"}
    assert imported_top_levels(sample) - MAY_IMPORT["scoring"] == {"bot", "scheduler", "storage"}
