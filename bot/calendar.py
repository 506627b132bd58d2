"""Where working-day schedules come from: chinesecalendar for the years it ships, plus
official schedules the admin loads (`shiji calendar load FILE`), which win for their year."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import chinese_calendar

from scoring.workdays import WorkCalendar, YearSchedule, schedule_problems
from storage.models import CalendarDay, CalendarYear

_HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


def _packaged_years() -> dict[int, YearSchedule]:
    holidays: dict[int, dict[date, str]] = {}
    makeup: dict[int, set[date]] = {}
    for day, holiday in chinese_calendar.holidays.items():
        name = getattr(holiday, "value", str(holiday))
        holidays.setdefault(day.year, {})[day] = _HOLIDAY_NAMES.get(name, "法定节假日")
    for day in chinese_calendar.workdays:
        makeup.setdefault(day.year, set()).add(day)
    years = set(holidays) | set(makeup)
    return {
        y: YearSchedule(
            year=y,
            holidays=frozenset(holidays.get(y, {})),
            makeup_workdays=frozenset(makeup.get(y, set())),
            names=holidays.get(y, {}),
        )
        for y in years
    }


def build_calendar(loaded: list[tuple[CalendarYear, list[CalendarDay]]]) -> WorkCalendar:
    schedules = _packaged_years()
    for year, days in loaded:
        schedules[year.year] = YearSchedule(
            year=year.year,
            holidays=frozenset(d.day for d in days if not d.working),
            makeup_workdays=frozenset(d.day for d in days if d.working),
            names={d.day: d.name for d in days if not d.working and d.name},
        )
    return WorkCalendar(schedules.values())


class CalendarFileError(ValueError):
    pass


@dataclass(frozen=True)
class CalendarFile:
    year: int
    holidays: dict[date, str]
    makeup_workdays: dict[date, str]


def parse_calendar_file(path: Path) -> CalendarFile:
    """Read a year's official schedule (format in README: TOML with [holidays] and [workdays])."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CalendarFileError(f"无法读取 {path}：{exc}") from exc
    year = data.get("year")
    if not isinstance(year, int):
        raise CalendarFileError("缺少 year = <年份>")
    problems: list[str] = []

    def dates(table: str) -> dict[date, str]:
        out: dict[date, str] = {}
        for key, name in (data.get(table) or {}).items():
            try:
                day = date.fromisoformat(str(key))
            except ValueError:
                problems.append(f"[{table}] 中的「{key}」不是 YYYY-MM-DD 日期")
                continue
            out[day] = str(name)
        return out

    holidays, makeup = dates("holidays"), dates("workdays")
    problems += schedule_problems(year, holidays.keys(), makeup.keys())
    if problems:
        raise CalendarFileError("\n".join(problems))
    return CalendarFile(year, holidays, makeup)
