"""China's official working-day calendar as pure data: holidays and 调休 make-up working days.

A date whose year has no schedule raises UnknownCalendarYear: shiji never guesses Mon–Fri.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta


class UnknownCalendarYear(LookupError):
    """The official schedule for this year has not been loaded."""

    def __init__(self, year: int) -> None:
        super().__init__(f"no official working-day schedule loaded for {year}")
        self.year = year


@dataclass(frozen=True)
class YearSchedule:
    """One year's published schedule: days off that would be weekdays, weekend days worked."""

    year: int
    holidays: frozenset[date] = field(default_factory=frozenset)
    makeup_workdays: frozenset[date] = field(default_factory=frozenset)
    # Holiday names for friendlier refusals ("10月3日是国庆节假期"), optional.
    names: Mapping[date, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems = schedule_problems(self.year, self.holidays, self.makeup_workdays)
        if problems:
            raise ValueError("\n".join(problems))


def schedule_problems(year: int, holidays: Collection[date], makeup_workdays: Collection[date]) -> list[str]:
    """Why a year's published schedule cannot be right, in plain Chinese (empty if plausible).

    The lists are named as in the calendar file ([holidays], [workdays]) so an admin can find
    the line to fix.
    """
    problems = [
        f"[{table}] 中的 {day} 不在 {year} 年"
        for table, days in (("holidays", holidays), ("workdays", makeup_workdays))
        for day in sorted(days)
        if day.year != year
    ]
    problems += [f"{day} 既是假日又是调休上班日" for day in sorted(set(holidays) & set(makeup_workdays))]
    problems += [f"{day} 是周一至周五，无需列为调休上班日" for day in sorted(makeup_workdays) if day.weekday() < 5]
    if not holidays:
        problems.append("[holidays] 为空：每年都有法定节假日，请检查文件")
    return problems


@dataclass(frozen=True)
class QuarterId:
    year: int
    quarter: int  # 1..4

    @classmethod
    def of(cls, day: date) -> QuarterId:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.quarter - 2, 1)

    @property
    def last_day(self) -> date:
        if self.quarter == 4:
            return date(self.year, 12, 31)
        return date(self.year, 3 * self.quarter + 1, 1) - timedelta(days=1)

    def previous(self) -> QuarterId:
        return QuarterId(self.year - 1, 4) if self.quarter == 1 else QuarterId(self.year, self.quarter - 1)

    def __str__(self) -> str:
        return f"{self.year}Q{self.quarter}"


class WorkCalendar:
    def __init__(self, schedules: Iterable[YearSchedule]) -> None:
        self._years: dict[int, YearSchedule] = {s.year: s for s in schedules}

    @property
    def years(self) -> frozenset[int]:
        return frozenset(self._years)

    def schedule(self, year: int) -> YearSchedule:
        try:
            return self._years[year]
        except KeyError:
            raise UnknownCalendarYear(year) from None

    def is_working_day(self, day: date) -> bool:
        schedule = self.schedule(day.year)
        if day in schedule.makeup_workdays:
            return True
        if day in schedule.holidays:
            return False
        return day.weekday() < 5

    def holiday_name(self, day: date) -> str | None:
        schedule = self.schedule(day.year)
        if day in schedule.holidays:
            return schedule.names.get(day, "法定节假日")
        return None

    def working_days(self, start: date, end: date) -> Iterator[date]:
        """Working days in [start, end], inclusive."""
        day = start
        while day <= end:
            if self.is_working_day(day):
                yield day
            day += timedelta(days=1)

    def add_working_days(self, day: date, count: int) -> date:
        """The count-th working day after `day` (not counting `day` itself)."""
        found = 0
        while found < count:
            day += timedelta(days=1)
            if self.is_working_day(day):
                found += 1
        return day

    def backfill_deadline(self, day: date, window: int) -> date:
        """Last day on which a log for `day` may still be written (R-LOG-3)."""
        return self.add_working_days(day, window)

    def earliest_backfillable(self, today: date, window: int) -> date:
        """The oldest working day whose window is still open on `today`."""
        # Walk back `window` working days; that day's deadline is exactly today or later.
        day, found = today, 0
        while found < window:
            day -= timedelta(days=1)
            if self.is_working_day(day):
                found += 1
        return day
