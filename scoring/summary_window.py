"""When a 季度小结 / 年度总结 may be written (R-LOG-2): pure dates on the working-day calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from scoring.workdays import QuarterId, UnknownCalendarYear, WorkCalendar


@dataclass(frozen=True)
class SummaryPeriod:
    kind: str  # quarter | year
    year: int
    quarter: int = 0  # 1..4 for quarters

    @classmethod
    def of(cls, kind: str, day: date) -> SummaryPeriod:
        if kind == "quarter":
            return cls(kind, day.year, QuarterId.of(day).quarter)
        if kind == "year":
            return cls(kind, day.year)
        raise ValueError(f"unknown summary kind {kind!r}")

    @property
    def key(self) -> str:
        """How the period is stored: '2026Q4' or '2026'."""
        return f"{self.year}Q{self.quarter}" if self.kind == "quarter" else str(self.year)

    @property
    def label(self) -> str:
        return f"{self.year}年第{self.quarter}季度" if self.kind == "quarter" else f"{self.year}年度"

    @property
    def first_day(self) -> date:
        if self.kind == "quarter":
            return QuarterId(self.year, self.quarter).first_day
        return date(self.year, 1, 1)

    @property
    def last_day(self) -> date:
        if self.kind == "quarter":
            return QuarterId(self.year, self.quarter).last_day
        return date(self.year, 12, 31)

    def previous(self) -> SummaryPeriod:
        if self.kind == "quarter":
            q = QuarterId(self.year, self.quarter).previous()
            return SummaryPeriod(self.kind, q.year, q.quarter)
        return SummaryPeriod(self.kind, self.year - 1)


@dataclass(frozen=True)
class Window:
    period: SummaryPeriod
    opens: date  # first day it may be written
    # Last day it may be written; None when it lies in a year whose schedule is not loaded yet
    # (only ever for a window that is already open, so nobody is refused for it).
    closes: date | None


def opening_day(calendar: WorkCalendar, period: SummaryPeriod, before_end: int) -> date:
    """The period's `before_end`-th last working day (the day after it ends for 0)."""
    opens = period.last_day + timedelta(days=1)
    found, day = 0, period.last_day
    while found < before_end and day >= period.first_day:
        if calendar.is_working_day(day):
            found += 1
            opens = day
        day -= timedelta(days=1)
    return opens


def closing_day(calendar: WorkCalendar, period: SummaryPeriod, after_end: int) -> date:
    """The `after_end`-th working day after the period ends (its last day for 0)."""
    return calendar.add_working_days(period.last_day, after_end)


@dataclass(frozen=True)
class WindowState:
    open: Window | None  # the window `today` falls in, if any
    last_closed: Window | None  # else: the one that closed most recently
    next_open: Window | None  # else: the one that opens next


def window_state(
    calendar: WorkCalendar, kind: str, today: date, before_end: int, after_end: int
) -> WindowState:
    """Which period's summary may be written today, or which window closed and which opens next.

    The current period's closing day is looked up only once its window is open: in November
    the year after may have no official schedule yet, and nobody needs it then.
    """
    current = SummaryPeriod.of(kind, today)
    previous = current.previous()
    previous_window = Window(
        previous, opening_day(calendar, previous, before_end), closing_day(calendar, previous, after_end)
    )
    if previous_window.closes is not None and today <= previous_window.closes:
        return WindowState(previous_window, None, None)
    opens = opening_day(calendar, current, before_end)
    if today >= opens:
        try:
            closes: date | None = closing_day(calendar, current, after_end)
        except UnknownCalendarYear:
            closes = None
        return WindowState(Window(current, opens, closes), None, None)
    return WindowState(None, previous_window, Window(current, opens, None))


def summary_deadline(calendar: WorkCalendar, period: SummaryPeriod, after_end: int) -> date | None:
    """The last day `period`'s summary may be written; None while the schedule of the year it
    falls in is not loaded (so it has not come yet). A result counting the period's missing
    summaries is final only after this day."""
    try:
        return closing_day(calendar, period, after_end)
    except UnknownCalendarYear:
        return None
