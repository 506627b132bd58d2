"""`shiji rehearse`: an operator rehearses their own district before go-live, on a copy of its
database, through the demo's page (and so `shiji chat`) with the movable clock. Their people,
their admin; the original database is only read."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.cli.rehearse import (
    POSTGRES_ADVICE,
    banner,
    copy_for_rehearsal,
    rehearsal_settings,
    rehearse,
    scratch_database,
)
from bot.clock import ManualClock
from bot.demo.credentials import DEMO_ADMINS, DEMO_WECOM, demo_settings
from bot.demo.run import running_rehearsal
from bot.settings import load_settings
from tests.conftest import SAMPLE_2027, SAMPLE_ROSTER, at
from tests.harness import harness_settings, running_bot

OPERATOR = "zzb_wangqiang"  # their own admin, not the demo's
WU = "chengguan_wuhao"
LOG = "上午到城关社区走访困难群众三户，下午整理征地拆迁协调会纪要并报送党政办。"
START = at("2027-01-04 09:00")  # a Monday, before their go-live's first reminder


def fingerprint(database: Path) -> tuple[bytes, int, int]:
    """The database's bytes, its modification time, and the size of its write-ahead log: a
    reader of a WAL database leaves an empty -wal (and an -shm index) beside it, a writer
    leaves frames in the log or new bytes in the file."""
    wal = database.with_name(database.name + "-wal")
    return database.read_bytes(), database.stat().st_mtime_ns, wal.stat().st_size if wal.exists() else 0


def rows(database: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


@asynccontextmanager
async def their_district(tmp_path: Path) -> AsyncIterator[Path]:
    """A small district's own database, as `shiji import-roster` and `calendar load` leave it."""
    database = tmp_path / "theirs" / "shiji.db"
    database.parent.mkdir()
    async with running_bot(f"sqlite+aiosqlite:///{database}", ManualClock(at("2026-12-30 10:00")), SAMPLE_ROSTER,
                           calendars=(SAMPLE_2027,), admin={"userids": [OPERATOR]}):
        pass
    yield database


async def page(http: aiohttp.ClientSession, url: str, method: str = "GET", **kw: Any) -> dict[str, Any]:
    async with http.request(method, url, **kw) as resp:
        body = await resp.json()
        assert resp.status == 200, body
        return body  # type: ignore[no-any-return]


async def said(http: aiohttp.ClientSession, api: str, userid: str, text: str) -> str:
    """Send `text` as `userid` through the page (the real encrypted callback); the bot's answer."""
    await page(http, f"{api}/demo/api/send", "POST", json={"as": userid, "text": text})
    entries = (await page(http, f"{api}/demo/api/conversation", params={"as": userid}))["entries"]
    return str(entries[-1].get("text") or "")


async def test_a_rehearsal_runs_their_district_on_a_copy_and_never_writes_the_original(tmp_path, monkeypatch):
    async with their_district(tmp_path) as original:
        before = fingerprint(original)
        monkeypatch.chdir(tmp_path)  # the copy goes to ./data, as beside a real installation
        settings = harness_settings(f"sqlite+aiosqlite:///{original}", "http://127.0.0.1:0", admin={"userids": [OPERATOR]})
        copy = copy_for_rehearsal(settings, None, datetime.now(START.tzinfo))
        assert copy.parent == Path("data") and copy.name.startswith("rehearsal-")
        assert copy.stat().st_mode & 0o777 == 0o600  # every log and score of theirs: owner only

        async with running_rehearsal(rehearsal_settings(settings, f"sqlite+aiosqlite:///{copy}"), START) as rehearsal, \
                aiohttp.ClientSession() as http:
            api = rehearsal.page_url.rstrip("/")
            assert rehearsal.runtime.clock.now() >= START
            people = (await page(http, f"{api}/demo/api/people"))["units"]
            admins = [p["userid"] for unit in people if unit["unit"] == "考核办（组织部）" for p in unit["people"]]
            assert admins == [OPERATOR]  # they rehearse as their own admin, not the demo's

            reply = await said(http, api, WU, LOG)
            assert "已记录" in reply, reply
            assert (await said(http, api, OPERATOR, "缺记统计")).startswith("📊 缺记统计")
            assert "不在本区干部实绩考核名册中" in await said(http, api, DEMO_ADMINS[0], "缺记统计")

            moved = await page(http, f"{api}/demo/api/clock", "POST", json={"to": "daily"})
            assert moved["now"].startswith("2027-01-04T17:30")
            # The 17:30 reminder ran on the moved clock and reached a cadre who had not written.
            zhao = (await page(http, f"{api}/demo/api/conversation", params={"as": "chengguan_zhaojh"}))["entries"]
            assert any("日志" in (e.get("text") or "") for e in zhao if e["side"] == "bot"), zhao
            # Nobody of theirs said anything the operator did not play.
            assert rows(copy, "SELECT userid FROM dailylog") == [(WU,)]

    assert fingerprint(original) == before
    assert rows(original, "SELECT count(*) FROM dailylog") == [(0,)]


async def test_a_rehearsal_of_a_postgresql_installation_says_how_to_make_an_sqlite_copy(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    settings = harness_settings("postgresql+asyncpg://postgres@127.0.0.1:5432/shiji", "http://127.0.0.1:0")
    assert await asyncio.wait_for(rehearse(settings, None, None), 30) == 2
    assert POSTGRES_ADVICE in capsys.readouterr().err
    assert not (tmp_path / "data").exists()


async def test_a_rehearsal_of_a_database_that_is_not_there_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    settings = harness_settings(f"sqlite+aiosqlite:///{tmp_path / 'shiji.db'}", "http://127.0.0.1:0")
    assert await asyncio.wait_for(rehearse(settings, tmp_path / 'nowhere.db', None), 30) == 2
    assert "不存在" in capsys.readouterr().err
    roster = tmp_path / "名册.xlsx"
    roster.write_bytes(b"PK\x03\x04 not a database")
    assert await asyncio.wait_for(rehearse(settings, roster, None), 30) == 2
    assert "不是 shiji 的 SQLite 数据库" in capsys.readouterr().err
    assert list((tmp_path / "data").iterdir()) == []  # no half-made copy left behind


def test_shiji_chat_finds_the_rehearsal_and_it_never_reaches_real_wecom(tmp_path) -> None:
    """`shiji chat` looks for the page where demo_settings puts it: the rehearsal serves it there,
    on this machine, with the demo's published app instead of the district's real secrets."""
    settings = harness_settings("sqlite+aiosqlite:///shiji.db", "https://qyapi.weixin.qq.com", admin={"userids": [OPERATOR]})
    rehearsal = rehearsal_settings(settings, f"sqlite+aiosqlite:///{tmp_path}/copy.db")
    assert rehearsal.wecom.api_base == demo_settings(settings).wecom.api_base == DEMO_WECOM["api_base"]
    assert rehearsal.wecom.secret == DEMO_WECOM["secret"] != settings.wecom.secret
    assert list(rehearsal.admin.userids) == [OPERATOR]
    assert rehearsal.database.url.endswith("copy.db")


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_a_postgresql_district_is_rehearsed_on_a_scratch_database_never_on_the_live_one(
    db_url, tmp_path, monkeypatch, capsys
):
    """`--db-url` names a scratch database the operator restored from pg_dump; the bot's own
    database is refused, however the address is spelled."""
    scratch = db_url
    async with running_bot(scratch, ManualClock(at("2026-12-30 10:00")), SAMPLE_ROSTER, calendars=(SAMPLE_2027,)):
        pass
    monkeypatch.chdir(tmp_path)
    live = harness_settings(scratch.replace("127.0.0.1", "localhost").replace(":5432", ""), "http://127.0.0.1:0")
    assert await asyncio.wait_for(rehearse(live, None, None, db_url=scratch), 30) == 2
    assert "正是机器人使用的数据库" in capsys.readouterr().err
    sqlite = harness_settings(f"sqlite+aiosqlite:///{tmp_path}/x.db", "http://127.0.0.1:0")
    assert await asyncio.wait_for(rehearse(sqlite, None, None, db_url=f"sqlite+aiosqlite:///{tmp_path}/x.db"), 30) == 2
    assert "只用于 PostgreSQL" in capsys.readouterr().err

    configured = scratch.rsplit("/", 1)[0] + "/shiji_live"
    settings = harness_settings(configured, "http://127.0.0.1:0", admin={"userids": [OPERATOR]})
    url = scratch_database(settings, scratch)
    async with running_rehearsal(rehearsal_settings(settings, url), START) as rehearsal, aiohttp.ClientSession() as http:
        reply = await said(http, rehearsal.page_url.rstrip("/"), WU, LOG)
        assert "已记录" in reply, reply
    assert not (tmp_path / "data").exists()  # nothing copied: the scratch database is the rehearsal's


def test_the_rehearsal_prints_a_chat_line_that_finds_it(tmp_path: Path) -> None:
    """Rehearsal finding: the printed `shiji chat` line lacked the settings file that gives the
    page's port, so the operator's chat looked for the demo's port and found nothing."""
    config = tmp_path / "settings.toml"
    config.write_text('[wecom]\napi_base = "http://127.0.0.1:8799"\n[admin]\nuserids = ["zzb_wangqiang"]\n')
    settings = load_settings(config)
    text = banner(settings, "数据库副本 data/rehearsal.db", "http://127.0.0.1:8799/")
    line = text.splitlines()[-1]
    assert line.endswith(f" --config {config} chat --as {OPERATOR}"), line
    # That line's settings lead `shiji chat` to the rehearsal's page.
    assert demo_settings(load_settings(config)).wecom.api_base == "http://127.0.0.1:8799"
