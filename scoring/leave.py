"""Leave (请假/出差, R-LOG-7): which days it covers and who decides on it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from enum import StrEnum

from scoring.types import Role, Rostered
from scoring.workdays import WorkCalendar


def leave_days(leave_start: date, leave_end: date, start: date, end: date) -> Iterator[date]:
    """The days of leave [leave_start, leave_end] that fall in [start, end], in order."""
    day = max(leave_start, start)
    last = min(leave_end, end)
    while day <= last:
        yield day
        day += timedelta(days=1)


def leave_approvers(requester: Rostered, colleagues: Iterable[Rostered], admins: Iterable[str]) -> list[str]:
    """Who is asked to decide: the unit's main leader; for the main leader's own leave (or a
    unit without one), the admins."""
    leaders = [
        p.userid for p in colleagues
        if p.role == Role.main_leader and p.unit_id == requester.unit_id and p.userid != requester.userid
    ]
    return leaders or sorted(admins)


def may_decide_leave(decider: Rostered | None, is_admin: bool, requester: Rostered | None) -> bool:
    """An admin, or the main leader of the requester's unit; nobody decides their own leave."""
    if is_admin:
        return True
    return (
        decider is not None and requester is not None and decider.userid != requester.userid
        and decider.role == Role.main_leader and decider.unit_id == requester.unit_id
    )


class LeaveRefusal(StrEnum):
    """Why a leave request cannot be registered, checked in this order."""

    ends_before_start = "ends_before_start"
    too_long = "too_long"  # more than max_days calendar days
    too_far_ahead = "too_far_ahead"  # ends more than max_days_ahead days from today
    too_late = "too_late"  # starts before the oldest day still backfillable
    no_working_day = "no_working_day"


def leave_refusal(
    calendar: WorkCalendar, today: date, start: date, end: date,
    *, max_days: int, max_days_ahead: int, window: int,
) -> LeaveRefusal | None:
    """None when leave [start, end] may be registered on `today`. Leave excuses logs, so it
    may not reach back past the backfill window: a day already missed stays missed."""
    if end < start:
        return LeaveRefusal.ends_before_start
    if (end - start).days + 1 > max_days:
        return LeaveRefusal.too_long
    if (end - today).days > max_days_ahead:
        return LeaveRefusal.too_far_ahead
    if start < calendar.earliest_backfillable(today, window):
        return LeaveRefusal.too_late
    if next(calendar.working_days(start, end), None) is None:
        return LeaveRefusal.no_working_day
    return None
