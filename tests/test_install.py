"""The production install from a clean clone: the wheel `make install` builds carries every
file of the program (packages, migrations, sample files, the demo page's assets), installs
without the dev extras, and its `shiji` runs, migrates a database and finds its font.

Offline-minded: the wheel is built from a `git clone` of this commit (so a file present here
but never committed fails it), installed with --no-deps into a fresh venv, and the venv reads
the dependencies from this test venv through a .pth line instead of downloading them again
(`make install` downloads them; doing so here would take minutes and need the index)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "scoring", "storage", "scheduler")


def sh(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, f"{command}: {done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    here = tmp_path_factory.mktemp("install")
    commit = sh("git", "rev-parse", "HEAD", cwd=ROOT).strip()
    sh("git", "clone", "--quiet", "--no-checkout", ROOT, here / "shiji", cwd=here)
    sh("git", "checkout", "--quiet", commit, cwd=here / "shiji")  # this commit, not the clone's default branch
    return here / "shiji"


@pytest.fixture(scope="module")
def wheel(clone: Path) -> Path:
    sh(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", clone.parent / "dist", clone, cwd=clone.parent)
    (built,) = (clone.parent / "dist").glob("shiji-*.whl")
    return built


def test_the_wheel_carries_every_committed_file_of_the_program(clone: Path, wheel: Path) -> None:
    committed = set(sh("git", "ls-files", *PACKAGES, cwd=clone).split())
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        entry_points = archive.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert committed - names == set()
    assert {"storage/migrations/env.py", "bot/sample/district.csv", "bot/demo/static/index.html"} <= names
    assert "shiji = bot.cli:main" in entry_points
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert any("paperang-p2-fonts-cjk" in line for line in requires)  # the charts' and PDFs' font
    # No dev extra is installed by default: each of them is marked `extra == "dev"` or "bench".
    for tool in ("pytest", "playwright", "hypothesis", "ruff", "mypy", "types-"):
        assert all("extra ==" in line for line in requires if tool in line), requires


def test_the_installed_shiji_runs_migrates_and_finds_its_files(clone: Path, wheel: Path) -> None:
    here = clone.parent
    venv = here / "venv"
    sh(sys.executable, "-m", "venv", "--without-pip", venv, cwd=here)
    python = venv / "bin" / "python"
    sh(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", "--no-index", wheel, cwd=here)
    site = Path(sh(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=here).strip())
    (site / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    sh(sys.executable, "-m", "pip", "--python", python, "check", cwd=here)  # every dependency resolves

    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHIJI_", "PYTHON"))}
    env["SHIJI_DATABASE__URL"] = f"sqlite+aiosqlite:///{here / 'shiji.db'}"
    shiji = venv / "bin" / "shiji"
    work = here / "elsewhere"  # not the checkout: nothing may come from the source tree
    work.mkdir()
    assert "restore" in sh(shiji, "--help", cwd=work, env=env)
    assert "数据库已升级到最新结构" in sh(shiji, "db", "upgrade", cwd=work, env=env)
    roster = site / "bot" / "sample" / "district.csv"
    assert "新增 25 人" in sh(shiji, "import-roster", roster, cwd=work, env=env)
    where = sh(python, "-c", FOUND, cwd=work, env=env).split()
    assert len(where) == 3 and all(Path(p).is_relative_to(venv) for p in where[:2]), where  # not the checkout's
    assert Path(where[2]).is_file()  # the font, from its package


FOUND = "import bot, storage; from handlers.render.font import font_path; print(bot.__file__, storage.__file__, font_path())"


def test_the_shipped_systemd_unit_runs_what_make_install_installs() -> None:
    """deploy/shiji.service, README's unit and `make install`'s PREFIX say the same thing."""
    unit = (ROOT / "deploy" / "shiji.service").read_text(encoding="utf-8").splitlines()
    prefix = next(line.split("?=")[1].strip() for line in (ROOT / "Makefile").read_text().splitlines() if line.startswith("PREFIX ?="))
    assert f"ExecStart={prefix}/.venv/bin/shiji --config /etc/shiji/settings.toml serve" in unit
    assert f"WorkingDirectory={prefix}" in unit
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("```ini", readme.index("**systemd**")) + len("```ini"):]
    block = block[: block.index("```")]
    missing = [line.strip() for line in block.splitlines() if line.strip() and line.strip() not in unit]
    assert missing == [], "README's systemd unit has lines deploy/shiji.service lacks"
