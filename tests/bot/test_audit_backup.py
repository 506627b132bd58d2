"""The audit trail of admin actions, `shiji backup`, and the dedupe pruning job."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from sqlalchemy import func, select

from bot.cli import calendar, ops, roster, rounds
from bot.runtime import Runtime
from bot.settings import load_settings
from scheduler.housekeeping import prune_inbound
from storage.backup import sqlite_path
from storage.models import InboundMessage
from storage.models_ops import AuditEvent
from tests.conftest import SAMPLE_2027, SAMPLE_ROSTER, at
from tests.harness import ADMIN, running_bot

WU = "chengguan_wuhao"
LOG = "上午走访城关社区三户低保家庭核实情况，下午整理民政台账"


async def audit_rows(runtime: Runtime) -> list[tuple[str, str, str]]:
    async with runtime.sessions() as session:
        rows = (await session.execute(select(AuditEvent).order_by(AuditEvent.id))).scalars().all()
    return [(r.actor, r.action, r.detail) for r in rows]


async def test_every_admin_action_is_in_the_audit_trail_without_scores(db_url, tmp_path, capsys, clock):
    settings = load_settings(
        None, database={"url": db_url}, admin={"userids": [ADMIN]}, clock={"start": "2027-01-04T09:30:00+08:00"},
    )
    assert await roster.import_roster(settings, SAMPLE_ROSTER) == 0
    assert await calendar.calendar_load(settings, SAMPLE_2027) == 0
    groups = tmp_path / "groups.csv"
    groups.write_text("group,userid\n县级领导,qw_kongdeming\n", encoding="utf-8")
    assert await rounds.raters_import(settings, "groups", groups) == 0
    assert await rounds.rating_round(settings, "open", "2026Q4") == 0
    assert await rounds.rating_round(settings, "close", "2026Q4") == 0
    assert await rounds.rating_round(settings, "publish", "2026Q4", force=True) == 0  # nobody rated, window open
    assert await rounds.rating_round(settings, "publish", "2026Q4") == 2  # refused: not recorded
    capsys.readouterr()
    assert await ops.audit(settings, 30) == 0
    out = capsys.readouterr().out.splitlines()
    actions = [line.split("\t")[2] for line in out]
    assert actions == ["round.publish", "round.close", "round.open", "role_groups.import", "calendar.load", "roster.import"]
    assert all(line.split("\t")[1].startswith("cli") for line in out)
    assert "2027 from calendar-2027.toml" in out[4] and "district.csv: " in out[5]

    clock.set(at("2027-04-06 09:30"))  # admins open, close and publish in chat too
    async with running_bot(db_url, clock, None) as h:
        assert "已开启" in await h.say(ADMIN, "开启评分")
        assert "已关闭" in await h.say(ADMIN, "关闭评分")
        assert "已发布" in await h.say(ADMIN, "发布结果 强制发布")
        chat = (await audit_rows(h.runtime))[-3:]
    assert [(actor, action) for actor, action, _ in chat] == [
        (ADMIN, "round.open"), (ADMIN, "round.close"), (ADMIN, "round.publish"),
    ]
    assert chat[0][2].startswith("2027Q1: ") and "scored" in chat[2][2]
    assert not any("." in detail.split(":")[-1] for _, _, detail in chat)  # no score like 91.25


async def test_backup_while_the_bot_writes_is_consistent_and_checked(sqlite_url, clock, tmp_path, capsys):
    async with running_bot(sqlite_url, clock, SAMPLE_ROSTER) as h:
        target = tmp_path / "copy.db"
        writes = asyncio.gather(*(h.say(f"stranger_{i}", f"你好 {i}") for i in range(30)))
        assert await ops.backup(h.settings, target) == 0
        await writes
        assert await ops.backup(h.settings, target) == 2  # never overwrites
    out, err = capsys.readouterr()
    assert "校验通过" in out and "已存在" in err
    copy = sqlite3.connect(target)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("SELECT count(*) FROM cadre").fetchone()[0] > 0
    copied = copy.execute("SELECT count(*) FROM inbound_message").fetchone()[0]
    assert copied == copy.execute("SELECT count(*) FROM unknown_user").fetchone()[0]  # one state, not torn
    assert copy.execute("SELECT action FROM audit_event").fetchall() == []  # recorded after the copy
    assert not list(tmp_path.glob("*.partial"))
    assert sqlite_path("postgresql+asyncpg://u@h/db") is None
    pg = load_settings(None, database={"url": "postgresql+asyncpg://u@h/db"})
    assert await ops.backup(pg, tmp_path / "pg.db") == 2 and "pg_dump" in capsys.readouterr().err


async def inbound_count(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        return (await session.execute(select(func.count()).select_from(InboundMessage))).scalar_one()


async def test_dedupe_records_are_pruned_once_a_day_by_one_replica(db_url, clock):
    """Defect 7: one inbound_message row per callback, kept forever."""
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h, running_bot(db_url, clock, None) as other:
        await h.say(WU, LOG)
        clock.advance(days=6)
        await h.say(WU, LOG + "（补）")
        assert await inbound_count(h.runtime) == 2
        clock.advance(days=2)  # the first message is now 8 days old, the second 2
        now = clock.now()
        results = await asyncio.gather(prune_inbound(h.runtime.jobs, now), prune_inbound(other.runtime.jobs, now))
        assert sorted(results, key=str) == [1, None]
        assert await inbound_count(h.runtime) == 1
        assert await prune_inbound(h.runtime.jobs, now) is None  # that day is done
        clock.advance(days=7)
        assert await prune_inbound(other.runtime.jobs, clock.now()) == 1


def test_backup_path_of_an_sqlite_url(tmp_path: Path) -> None:
    assert sqlite_path(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}") == tmp_path / "x.db"
