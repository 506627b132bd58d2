"""`shiji calendar load FILE` and `shiji calendar show`: official working-day schedules."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.calendar import CalendarFileError, build_calendar, parse_calendar_file
from bot.cli.db import open_database
from bot.cli.ops import cli_actor
from bot.clock import clock_from_start
from bot.settings import Settings
from storage.repos import Store


async def calendar_load(settings: Settings, path: Path) -> int:
    try:
        schedule = parse_calendar_file(path)
    except CalendarFileError as exc:
        print(f"未载入：\n{exc}", file=sys.stderr)
        return 2
    now = clock_from_start(settings.clock.start).now()
    async with open_database(settings) as sessions:
        async with sessions() as session, session.begin():
            store = Store(session)
            await store.calendar.load_year(schedule.year, schedule.holidays, schedule.makeup_workdays, str(path), now)
            await store.audit.record(cli_actor(), "calendar.load", f"{schedule.year} from {path.name}", now)
    print(
        f"已载入 {schedule.year} 年安排：假日 {len(schedule.holidays)} 天，"
        f"调休上班 {len(schedule.makeup_workdays)} 天。"
    )
    return 0


async def calendar_show(settings: Settings) -> int:
    async with open_database(settings) as sessions:
        async with sessions() as session:
            loaded = await Store(session).calendar.loaded()
    calendar = build_calendar(loaded)
    packaged = sorted(calendar.years - {y.year for y, _ in loaded})
    print(f"内置（chinesecalendar）：{packaged[0]}–{packaged[-1]}")
    for year, days in loaded:
        print(f"已载入 {year.year}：{len(days)} 个例外日期，来源 {year.source}")
    return 0
