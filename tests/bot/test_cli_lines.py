"""What an operator sees when a setting is wrong or the database is not where they think:
one plain line per problem on stderr, exit 2, never a traceback, never a new empty database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import REPO_ROOT


@pytest.fixture(autouse=True)
def no_shiji_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what each test sets: the operator's shell may hold SHIJI_ variables."""
    for name in os.environ:
        if name.upper().startswith("SHIJI_"):
            monkeypatch.delenv(name)


def settings_file(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


def run(*argv: str | Path, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`shiji …` as the operator runs it: its own process, in a folder of its own."""
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith("SHIJI_")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *map(str, argv)], cwd=cwd, capture_output=True, text=True, timeout=120,
        env={**clean, "PYTHONPATH": str(REPO_ROOT), **env},
    )


def test_bad_settings_values_are_one_line_each_with_file_line_key_and_what_is_allowed(tmp_path: Path) -> None:
    config = settings_file(tmp_path / "etc", (
        '[database]\nurl = "sqlite+aiosqlite:///shiji.db"\nsqlite_synchronous = "SOMETIMES"\n\n'
        '[logs]\nmin_chars = "fifteen"\n'
    ))
    done = run("--config", config, "db", "status", cwd=tmp_path)
    lines = done.stderr.splitlines()
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(lines) == 2, lines
    synchronous, min_chars = sorted(lines, key=lambda line: "min_chars" in line)
    assert f"{config} 第 3 行" in synchronous and "[database] sqlite_synchronous = 'SOMETIMES'" in synchronous
    assert "'FULL' or 'NORMAL'" in synchronous  # what is allowed
    assert f"{config} 第 6 行" in min_chars and "[logs] min_chars = 'fifteen'" in min_chars and "integer" in min_chars
    assert not (tmp_path / "etc" / "shiji.db").exists()


def test_settings_that_contradict_each_other_are_refused_at_load_in_one_line(tmp_path, capsys) -> None:
    config = settings_file(tmp_path, "[logs]\nmin_chars = 30\nmax_chars = 20\n\n[summaries]\nyear_min_chars = 4000\n")
    assert main(["--config", str(config), "db", "upgrade"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2, lines
    logs, summaries = lines
    assert f"{config} 第 1 行" in logs and "min_chars（30）不能大于 max_chars（20）" in logs
    assert "[summaries]" in summaries and "year_min_chars（4000）不能大于 year_max_chars（3000）" in summaries
    assert not (tmp_path / "data").exists()  # no database made from settings that were refused


def test_a_settings_file_that_is_not_toml_is_one_line_with_its_line(tmp_path, capsys) -> None:
    config = settings_file(tmp_path, '[logs]\nmin_chars = 15\nmax_chars 500\n')
    assert main(["--config", str(config), "round", "status"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and str(config) in lines[0] and "line 3" in lines[0], lines


def test_a_misspelt_key_and_a_bad_environment_value_say_where_they_come_from(tmp_path, capsys, monkeypatch) -> None:
    config = settings_file(tmp_path, "[logs]\nmin_char = 10\n")
    monkeypatch.setenv("SHIJI_SERVER__PORT", "eighty")
    assert main(["--config", str(config), "audit"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2, lines
    port, key = sorted(lines, key=lambda line: "min_char" in line)
    assert "环境变量 SHIJI_SERVER__PORT" in port and "[server] port = 'eighty'" in port
    assert f"{config} 第 2 行" in key and "[logs] 没有 min_char 这一项" in key


def test_a_list_written_without_json_in_the_environment_is_one_line_naming_the_variable(tmp_path: Path) -> None:
    """「SHIJI_ADMIN__USERIDS=kaohe_admin」, the brackets forgotten: a traceback from
    pydantic-settings before, found trying `serve` as an operator."""
    config = settings_file(tmp_path, "")
    refused = run("--config", config, "serve", cwd=tmp_path, SHIJI_ADMIN__USERIDS="kaohe_admin")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert refused.stderr.strip().splitlines() == [
        """设置有误（环境变量 SHIJI_ADMIN__USERIDS）：值无法解析；列表要写成 JSON，例如 SHIJI_ADMIN__USERIDS='["kaohe_admin"]'，请改正后重试。"""
    ]


def test_a_relative_sqlite_path_is_beside_the_settings_file_and_every_command_says_which(tmp_path: Path) -> None:
    etc = tmp_path / "srv" / "shiji"
    config = settings_file(etc, '[database]\nurl = "sqlite+aiosqlite:///data/shiji.db"\n')
    elsewhere = tmp_path / "home"
    elsewhere.mkdir()
    upgrade = run("--config", config, "db", "upgrade", cwd=elsewhere)
    assert upgrade.returncode == 0, upgrade.stderr
    database = etc / "data" / "shiji.db"
    assert database.is_file() and not (elsewhere / "data").exists()
    # Run from yet another folder, the same settings name the same database, and say so.
    status = run("--config", config, "db", "status", cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    assert status.stderr.splitlines()[0] == f"shiji: 设置 {config}；数据库 sqlite+aiosqlite:///{database}"
    assert "干部 0 人" in status.stdout


def test_a_command_that_expects_data_refuses_to_create_an_empty_database(tmp_path: Path) -> None:
    """The repository's settings with the default SQLite URL, run where there is no database:
    today's `shiji round status` would make a new empty one and report nothing to do."""
    missing = tmp_path / "data" / "shiji.db"
    for argv in (["round", "status"], ["db", "status"], ["backup", str(tmp_path / "b.db")]):
        done = run(*argv, cwd=tmp_path, SHIJI_DATABASE__URL=f"sqlite+aiosqlite:///{missing}")
        lines = done.stderr.splitlines()
        assert done.returncode == 2 and len(lines) == 2, (argv, lines)
        assert lines[0].startswith("shiji: 设置 ")
        assert lines[1] == (
            f"数据库 {missing} 不存在：请检查 --config 或 SHIJI_DATABASE__URL，"
            "或先运行 shiji db upgrade / shiji import-roster"
        )
        assert not (tmp_path / "data").exists(), argv
    # Starting a district may create it.
    assert run("db", "upgrade", cwd=tmp_path, SHIJI_DATABASE__URL=f"sqlite+aiosqlite:///{missing}").returncode == 0
    assert missing.is_file()


def test_the_database_line_never_shows_a_postgresql_password(capsys, monkeypatch) -> None:
    monkeypatch.setenv("SHIJI_DATABASE__URL", "postgresql+asyncpg://shiji:geheim@db.internal/shiji")
    assert main(["backup", "/nonexistent/b.db"]) == 2  # PostgreSQL: pg_dump, nothing opened
    first = capsys.readouterr().err.splitlines()[0]
    assert first.startswith("shiji: 设置 ") and "postgresql+asyncpg://shiji:***@db.internal/shiji" in first
    assert "geheim" not in first


def test_backup_into_a_folder_that_does_not_exist_is_one_line_and_leaves_nothing(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("SHIJI_DATABASE__URL", f"sqlite+aiosqlite:///{tmp_path / 'shiji.db'}")
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    target = tmp_path / "backups" / "2027-01-04.db"
    assert main(["backup", str(target)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2 and lines[1].startswith(f"未备份：目标文件夹 {target.parent} 不存在"), lines
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shiji.db"]  # no folder, no .partial


def test_help_names_the_default_settings_file_that_is_really_used(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "./settings.toml" not in help_text
    assert "SHIJI_SETTINGS, else the settings.toml next to the code, else built-in defaults" in help_text


def test_a_database_left_in_the_working_directory_is_named_not_replaced_by_an_empty_one(tmp_path: Path) -> None:
    """A deployment made before relative paths were read against the settings file's folder:
    /etc/shiji/settings.toml says data/shiji.db, the data is in systemd's WorkingDirectory.
    Even `serve` (which may create a database) must not start an empty district elsewhere."""
    etc = tmp_path / "etc"
    config = settings_file(etc, '[database]\nurl = "sqlite+aiosqlite:///data/shiji.db"\n')
    opt = tmp_path / "opt"
    opt.mkdir()
    made = run("db", "upgrade", cwd=opt, SHIJI_DATABASE__URL=f"sqlite+aiosqlite:///{opt / 'data' / 'shiji.db'}")
    assert made.returncode == 0, made.stderr
    for argv in (["serve"], ["db", "upgrade"], ["round", "status"]):
        done = run("--config", config, *argv, cwd=opt)
        lines = done.stderr.splitlines()
        assert done.returncode == 2 and len(lines) == 2 and "Traceback" not in done.stderr, (argv, lines)
        assert lines[1].startswith(f"数据库 {etc / 'data' / 'shiji.db'} 不存在，而 {opt / 'data' / 'shiji.db'} 存在")
        assert f"sqlite+aiosqlite:///{opt / 'data' / 'shiji.db'}" in lines[1]
        assert not (etc / "data").exists(), argv


def test_shiji_chat_names_the_page_it_talks_to_not_a_database(tmp_path: Path) -> None:
    """Rehearsal finding: `shiji chat` printed the settings' database — the original — while the
    rehearsal it talked to ran on a copy. It opens no database; it names the page it needs."""
    config = settings_file(tmp_path / "etc", '[wecom]\napi_base = "http://127.0.0.1:9"\n')
    done = run("--config", config, "chat", "--as", "someone", "-m", "你好", cwd=tmp_path)
    first = done.stderr.splitlines()[0]
    assert first == f"shiji: 设置 {config}；对话页面 http://127.0.0.1:9（演示或演练正在使用的数据库）", first
    assert done.returncode != 0 and "连不上演示 http://127.0.0.1:9" in done.stderr, done.stderr
    assert not (tmp_path / "etc" / "data").exists()
