"""The go-live date: the first day the district owes anything (logs, summaries, rounds).

One definition for every rule: the setting `[logs] start_date` if the operator set it, else
the effective day of the district's first roster import. A period that ended before go-live
owes nothing (no logs, no summary, no automatic round or evaluation); a period that started
before it owes only from go-live (scoring.logs.counting_start).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from scoring.roster import Placement
from scoring.workdays import QuarterId


def go_live(start_date: date | None, first_import: date | None) -> date | None:
    """The setting wins; else the first roster import; None before any roster exists."""
    return start_date or first_import


def joined_on(history: Sequence[Placement]) -> date | None:
    """The first day the person served as a cadre (their roster history; the district's first
    roster counts from the beginning, so its people joined before go-live)."""
    return min((line.effective for line in history if line.serving), default=None)


def record_start(live: date | None, joined: date | None) -> date | None:
    """The first day a person's record can hold a log: the later of go-live and the day they
    joined. Every view, export and archive starts each person's days here (issue 26 §7)."""
    days = [d for d in (live, joined) if d is not None]
    return max(days) if days else None


def owed_period(last_day: date, live: date | None) -> bool:
    """Whether a period ending on `last_day` owes anything: not if it ended before go-live."""
    return live is None or last_day >= live


def quarters_before_go_live(year: int, live: date | None) -> frozenset[int]:
    """The quarters of `year` that ended before go-live: no round ran for them, so a cadre
    without a score there is excused, as if the admin had excused the quarter for everyone."""
    return frozenset(q for q in range(1, 5) if not owed_period(QuarterId(year, q).last_day, live))


def next_year_warning_due(today: date, warn_from: tuple[int, int]) -> bool:
    """From `warn_from` (month, day) to the year's end, next year's holiday schedule is due:
    admins are told every working day until it is loaded."""
    return (today.month, today.day) >= warn_from
