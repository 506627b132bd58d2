"""`shiji import-roster FILE` and `shiji unknown-users`."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.cli.db import open_database
from bot.clock import clock_from_start
from bot.settings import Settings
from storage.repos import Store
from storage.roster_import import RosterError, apply_roster, parse_roster, read_table


async def import_roster(settings: Settings, path: Path) -> int:
    try:
        rows = parse_roster(read_table(path))
    except RosterError as exc:
        print(f"名册未导入（全部回退），共 {len(exc.problems)} 处问题：", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        print(f"无法读取 {path}：{exc}", file=sys.stderr)
        return 2
    async with open_database(settings) as sessions:
        async with sessions() as session, session.begin():
            summary = await apply_roster(session, rows, clock_from_start(settings.clock.start).now())
    print(
        f"名册已导入：{len(rows)} 行，新建单位 {summary.units_created} 个，"
        f"新增 {summary.cadres_created} 人，更新 {summary.cadres_updated} 人。运行中的机器人一分钟内生效。"
    )
    return 0


async def unknown_users(settings: Settings) -> int:
    async with open_database(settings) as sessions:
        async with sessions() as session:
            rows = await Store(session).unknown_users.all()
    if not rows:
        print("没有名册外用户联系过机器人。")
    for row in rows:
        print(f"{row.userid}\t{row.attempts} 次\t最近 {row.last_seen:%Y-%m-%d %H:%M}\t{row.last_text}")
    return 0
