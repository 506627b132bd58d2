"""`shiji serve` refuses to start with secrets anyone can read (issue 22, item 1): the check as a
table, then the real command as an operator runs it, with the shipped settings.toml."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.settings import DEFAULT_SETTINGS_FILE, load_settings
from bot.startup_check import API_ONLY, PUBLISHED, SERVE, env_var, unsafe_settings
from tests.harness import ADMIN, TEST_WECOM

REPO = DEFAULT_SETTINGS_FILE.parent
GOOD: dict[str, Any] = {**TEST_WECOM, "api_base": "https://qyapi.weixin.qq.com"}
TENCENT_SAMPLE_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"  # weworkapi's Sample.php


def problems(needs=SERVE, admins=(ADMIN,), **wecom: Any) -> list[str]:  # type: ignore[no-untyped-def]
    settings = load_settings(None, wecom={**GOOD, **wecom}, admin={"userids": list(admins)})
    return unsafe_settings(settings, needs)


def test_proper_settings_pass() -> None:
    assert problems() == []


@pytest.mark.parametrize(
    ("wecom", "admins", "expected"),
    [
        ({"token": ""}, (ADMIN,), ["wecom.token 为空：请设置环境变量 SHIJI_WECOM__TOKEN"]),
        ({"token": "  "}, (ADMIN,), ["wecom.token 为空"]),
        ({"token": "demotoken"}, (ADMIN,), ["wecom.token 是公开的演示/示例值", "SHIJI_WECOM__TOKEN"]),
        ({"token": "QDG6eK"}, (ADMIN,), ["wecom.token 是公开的"]),  # Tencent's sample
        ({"encoding_aes_key": ""}, (ADMIN,), ["wecom.encoding_aes_key 为空", "SHIJI_WECOM__ENCODING_AES_KEY"]),
        ({"encoding_aes_key": TENCENT_SAMPLE_KEY}, (ADMIN,), ["wecom.encoding_aes_key 是公开的"]),
        ({"encoding_aes_key": "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"}, (ADMIN,), ["是公开的"]),  # wechatpy's
        ({"encoding_aes_key": "x" * 42}, (ADMIN,), ["wecom.encoding_aes_key 不是有效的 EncodingAESKey（长度是 42 位"]),
        ({"encoding_aes_key": "!" * 43}, (ADMIN,), ["不是有效的 EncodingAESKey（含有 base64 以外的字符"]),
        ({"secret": ""}, (ADMIN,), ["wecom.secret 为空：请设置环境变量 SHIJI_WECOM__SECRET"]),
        ({"secret": "demo-secret"}, (ADMIN,), ["wecom.secret 是公开的"]),
        ({"corp_id": ""}, (ADMIN,), ["wecom.corp_id 为空：请设置环境变量 SHIJI_WECOM__CORP_ID"]),
        ({"corp_id": "ww_demo_corp"}, (ADMIN,), ["wecom.corp_id 是公开的"]),
        ({"corp_id": "wx5823bf96d3bd56c7"}, (ADMIN,), ["wecom.corp_id 是公开的"]),
        ({"api_base": "http://qyapi.weixin.qq.com"}, (ADMIN,), ["wecom.api_base 不是 https 地址", "SHIJI_WECOM__API_BASE"]),
        ({"api_base": "http://10.0.0.7:8701"}, (ADMIN,), ["wecom.api_base 不是 https 地址"]),
        ({}, (), ["admin.userids 为空", """SHIJI_ADMIN__USERIDS='["""]),
        ({}, ("",), ["admin.userids 为空"]),
    ],
)
def test_each_unsafe_setting_is_named_with_its_environment_variable(wecom, admins, expected) -> None:  # type: ignore[no-untyped-def]
    found = problems(admins=admins, **wecom)
    assert len(found) == 1, found
    assert all(part in found[0] for part in expected), found


@pytest.mark.parametrize("api_base", ["http://127.0.0.1:8701", "http://localhost:8701", "http://[::1]:8701"])
def test_plain_http_is_for_a_stand_in_on_this_machine_only(api_base: str) -> None:
    assert problems(api_base=api_base) == []


def test_every_value_this_repository_shipped_is_refused() -> None:
    shipped = {"token": "demotoken", "encoding_aes_key": TENCENT_SAMPLE_KEY, "secret": "demo-secret", "corp_id": "ww_demo_corp"}
    for key, value in shipped.items():
        assert value in PUBLISHED[key]
    assert len(problems(**shipped)) == 4


def test_a_command_that_only_calls_the_api_needs_no_callback_secrets_nor_admin() -> None:
    assert problems(API_ONLY, admins=(), token="", encoding_aes_key="") == []
    assert len(problems(API_ONLY, secret="", corp_id="", api_base="http://example.org")) == 3


def test_env_var_names_match_what_the_settings_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(env_var("wecom", "encoding_aes_key"), "k" * 43)
    monkeypatch.setenv(env_var("admin", "userids"), '["zhang"]')
    settings = load_settings(None)
    assert settings.wecom.encoding_aes_key == "k" * 43 and settings.admin.userids == ("zhang",)


# ---- the real commands -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _env(tmp_path: Path, port: int, **extra: str) -> dict[str, str]:
    """The operator's environment: nothing of shiji's but what the test sets."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("SHIJI_")}
    return {**env, "SHIJI_SERVER__PORT": str(port),
            "SHIJI_DATABASE__URL": f"sqlite+aiosqlite:///{tmp_path / 'shiji.db'}", **extra}


def test_serve_with_the_shipped_settings_refuses_to_start(tmp_path: Path) -> None:
    port = _free_port()
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(DEFAULT_SETTINGS_FILE), "serve"],
        env=_env(tmp_path, port), cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "已启动" not in done.stdout
    where, refusal = done.stderr.split("\n", 1)  # which settings and database, then why not
    assert where == f"shiji: 设置 {DEFAULT_SETTINGS_FILE}；数据库 sqlite+aiosqlite:///{tmp_path / 'shiji.db'}"
    assert refusal.startswith("shiji serve：设置不安全，拒绝启动：\n")
    for key in ("token", "encoding_aes_key", "secret", "corp_id"):
        assert f"  - wecom.{key} 为空：请设置环境变量 {env_var('wecom', key)}" in done.stderr
    assert "  - admin.userids 为空" in done.stderr
    assert not (tmp_path / "shiji.db").exists()  # refused before the database was even opened
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_serve_with_the_demo_values_refuses_to_start(tmp_path: Path) -> None:
    """A deployment that copied the old settings.toml: secrets set, but to the demo's."""
    demo = {"corp_id": "ww_demo_corp", "secret": "demo-secret", "token": "demotoken",
            "encoding_aes_key": TENCENT_SAMPLE_KEY}
    extra = {env_var("wecom", k): v for k, v in demo.items()} | {env_var("admin", "userids"): '["kaohe_admin"]'}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "serve"], env=_env(tmp_path, _free_port(), **extra),
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.count("是公开的演示/示例值") == 4 and "admin" not in done.stderr


def test_serve_starts_with_proper_values(tmp_path: Path) -> None:
    port = _free_port()
    extra = {env_var("wecom", k): str(v) for k, v in TEST_WECOM.items()} | {
        env_var("admin", "userids"): json.dumps([ADMIN]),
    }
    with subprocess.Popen(
        [sys.executable, "-m", "bot", "--config", str(DEFAULT_SETTINGS_FILE), "serve"],
        env=_env(tmp_path, port, **extra), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    ) as bot:
        try:
            assert bot.stdout is not None
            first = bot.stdout.readline()  # blocks until it listens (or dies: then '')
            assert f"shiji 已启动：http://127.0.0.1:{port}/wecom/callback" in first
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as resp:
                assert resp.status == 200
        finally:
            bot.terminate()
            _, err = bot.communicate(timeout=30)
    assert "设置不安全" not in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "needs_secrets"),
    [
        (["roster", "sync"], True),
        (["remind", "now", "--kind", "daily"], True),
        (["calendar", "show"], False),
        (["audit"], False),
        (["db", "upgrade"], False),
    ],
)
def test_only_commands_that_talk_to_wecom_need_its_secrets(  # type: ignore[no-untyped-def]
    argv, needs_secrets, tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SHIJI_DATABASE__URL", f"sqlite+aiosqlite:///{tmp_path / 'shiji.db'}")
    for key in ("token", "encoding_aes_key", "secret", "corp_id", "api_base"):
        monkeypatch.delenv(env_var("wecom", key), raising=False)
    assert main(["--config", str(DEFAULT_SETTINGS_FILE), "db", "upgrade"]) == 0  # the district's database
    capsys.readouterr()
    code = main(["--config", str(DEFAULT_SETTINGS_FILE), *argv])
    err = capsys.readouterr().err
    if needs_secrets:
        assert code == 2 and f"shiji {' '.join(argv[:2])}：设置不安全，拒绝启动" in err
        assert "wecom.secret 为空" in err
    else:
        assert code == 0 and "设置不安全" not in err
