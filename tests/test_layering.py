"""Imports run one way (docs/DESIGN.md: data flows one way): scoring ← storage ← handlers ← scheduler ← bot.

Every module of the five packages is parsed, TYPE_CHECKING and function-local imports included:
an import up the ladder is a circle waiting to happen, whatever the reason for it.

Inside handlers/ the floors run one way too: conversations ← services ← render ← ground. The
ground is what every floor reads (base: Ctx, Reply, Refusal; audience; text; dates; cards); the render
floor builds what people see from plain values; the service floor is what chat, the jobs and
the CLI all call; the conversations are everything else in handlers/ (each command's module or
package, the router). scheduler/ and bot/cli/ never import a conversation, and the test doubles
in bot/testing/ are for the demo and the tests only.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LADDER = ["scoring", "storage", "handlers", "scheduler", "bot"]
# Each package may import the packages below it on the ladder, and itself.
MAY_IMPORT = {package: set(LADDER[: index + 1]) for index, package in enumerate(LADDER)}

# handlers/ inside, lowest floor first; a module may import its own floor and those below.
FLOORS = ["ground", "render", "services", "conversations"]
GROUND = {"handlers", "handlers.base", "handlers.audience", "handlers.text", "handlers.dates", "handlers.cards"}
# Outside handlers/, callers that are not chat reach handlers/ below its conversations.
NO_CONVERSATIONS = ("scheduler", "bot.cli")
# The only production modules that may import the test doubles (besides the doubles themselves).
TESTING = "bot.testing"
MAY_IMPORT_TESTING = ("bot.demo", "bot.testing")


def floor_of(module: str) -> str:
    if module in GROUND:
        return "ground"
    for floor in ("render", "services"):
        if module == f"handlers.{floor}" or module.startswith(f"handlers.{floor}."):
            return floor
    return "conversations"


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def imported_modules(source: Path) -> set[str]:
    """Dotted names of everything `source` imports; `from a import b` names `a.b` when b is a
    module of the project, else `a`."""
    tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                path = ROOT / sub.replace(".", "/")
                is_module = path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()
                names.add(sub if is_module else node.module)
    return names


def imported_top_levels(source: Path) -> set[str]:
    return {name.split(".")[0] for name in imported_modules(source)} & set(LADDER)


def modules_of(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts)


def dotted(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@pytest.mark.parametrize("package", LADDER)
def test_package_imports_only_what_lies_below_it(package: str) -> None:
    modules = modules_of(package)
    assert len(modules) >= 5, f"expected the modules of {package}/ to be found"
    offenders = {
        str(module.relative_to(ROOT)): sorted(imported_top_levels(module) - MAY_IMPORT[package])
        for module in modules
    }
    assert {name: bad for name, bad in offenders.items() if bad} == {}


def floor_offences(module: str, imports: set[str]) -> list[str]:
    """What `module` imports against the inner floors: a handlers module above its own floor,
    a job or a CLI command reaching a conversation, production code reaching the test doubles."""
    bad = []
    for name in sorted(imports):
        if within(module, "handlers") and within(name, "handlers"):
            if FLOORS.index(floor_of(name)) > FLOORS.index(floor_of(module)):
                bad.append(name)
        elif any(within(module, p) for p in NO_CONVERSATIONS) and within(name, "handlers"):
            if floor_of(name) == "conversations":
                bad.append(name)
        if within(name, TESTING) and not any(within(module, p) for p in MAY_IMPORT_TESTING):
            bad.append(name)
    return bad


# The conversation features: each a module or a package of handlers/. They share the floors
# below them (the round kernel, the renderers), never each other; only the registry and the
# help assemble them.
FEATURES = ("handlers.rating", "handlers.year", "handlers.results", "handlers.archive", "handlers.logs",
            "handlers.leave", "handlers.viewing", "handlers.stats", "handlers.summaries")


def feature_of(module: str) -> str | None:
    return next((feature for feature in FEATURES if within(module, feature)), None)


def feature_offences(module: str, imports: set[str]) -> list[str]:
    """Another feature's module that a feature's module imports."""
    own = feature_of(module)
    return sorted(name for name in imports if own is not None and feature_of(name) not in (None, own))


def test_features_do_not_import_each_other() -> None:
    offenders = {
        str(path.relative_to(ROOT)): feature_offences(dotted(path), imported_modules(path))
        for path in modules_of("handlers")
    }
    assert {name: bad for name, bad in offenders.items() if bad} == {}
    assert {feature_of(dotted(p)) for p in modules_of("handlers")} >= set(FEATURES)


def test_the_check_catches_one_feature_importing_another() -> None:
    imports = {"handlers.results.ranking", "handlers.services.rounds", "handlers.rating.commands"}
    assert feature_offences("handlers.rating.commands", imports) == ["handlers.results.ranking"]
    assert feature_offences("handlers.registry", imports) == []


def test_the_inner_floors_are_each_found() -> None:
    floors = {floor_of(dotted(p)) for p in modules_of("handlers")}
    assert floors == set(FLOORS)
    assert {dotted(p) for p in modules_of("handlers")} >= GROUND


@pytest.mark.parametrize("package", ["handlers", "scheduler", "bot", "storage", "scoring"])
def test_inner_floors_import_only_what_lies_below_them(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): floor_offences(dotted(path), imported_modules(path))
        for path in modules_of(package)
    }
    assert {name: bad for name, bad in offenders.items() if bad} == {}


def test_no_module_imports_round_a_circle() -> None:
    """No file reaches itself through imports (TYPE_CHECKING and function-local ones included)."""
    graph = {
        dotted(path): {name for name in imported_modules(path) if name.split(".")[0] in LADDER}
        for package in LADDER for path in modules_of(package)
    }
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    circles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for name in sorted(graph.get(module, ())):
            if state.get(name) == 1:
                circles.append([*path[path.index(name):], name])
            elif name in graph and name not in state:
                visit(name, [*path, name])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert circles == []


def test_the_check_catches_an_upward_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\nfrom typing import TYPE_CHECKING\nfrom storage.models import Cadre\n"
        "if TYPE_CHECKING:\n    import bot.server\n"
        "def late():\n    from scheduler.jobs import run_job\n"
    )
    assert imported_top_levels(sample) - MAY_IMPORT["handlers"] == {"bot", "scheduler"}
    assert imported_top_levels(sample) - MAY_IMPORT["scoring"] == {"bot", "scheduler", "storage"}


def test_the_check_catches_an_import_up_an_inner_floor(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from handlers.base import Refusal\nfrom handlers.services import calendar_missing\n"
        "from handlers.render.charts import bar_chart\n"
        "def late():\n    from handlers.rating.commands import find_card\n"
        "    from handlers.logs import TodaysLog\n    from bot.testing.standin import media_for\n"
    )
    imports = imported_modules(sample)
    assert "handlers.services.calendar_missing" in imports
    conversations = {"handlers.logs", "handlers.rating.commands"}
    testing = {"bot.testing.standin"}
    offences = {
        module: set(floor_offences(module, imports))
        for module in ("handlers.render.pdf", "handlers.services.rating", "handlers.year.commands",
                       "scheduler.round_jobs", "bot.cli.rounds", "bot.dispatch", "bot.demo.page")
    }
    assert offences == {
        "handlers.render.pdf": conversations | testing | {"handlers.services.calendar_missing"},
        "handlers.services.rating": conversations | testing,
        "handlers.year.commands": testing,
        "scheduler.round_jobs": conversations | testing,
        "bot.cli.rounds": conversations | testing,
        "bot.dispatch": testing,
        "bot.demo.page": set(),
    }
