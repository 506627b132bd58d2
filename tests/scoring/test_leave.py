"""R-LOG-7: the days a leave covers, who decides on it, and which requests are refused."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from scoring.leave import LeaveRefusal, leave_approvers, leave_days, leave_refusal, may_decide_leave
from scoring.types import Role
from tests.scoring.calendars import Someone, calendars, days_2026, people, windows

some_days = st.dates(date(2026, 1, 1), date(2026, 3, 31))


@given(some_days, some_days, some_days, some_days)
def test_leave_days_are_the_days_both_spans_share(leave_start, leave_end, start, end):
    days = list(leave_days(leave_start, leave_end, start, end))
    everyday = [date(2026, 1, 1) + timedelta(days=n) for n in range(90)]
    shared = [d for d in everyday if leave_start <= d <= leave_end and start <= d <= end]
    assert days == shared


@given(people, st.lists(people, max_size=8, unique_by=lambda p: p.userid), st.sets(st.sampled_from(["admin1", "admin2", "u1"])))
def test_whoever_is_asked_to_approve_may_decide_and_no_colleague_else_may(requester, others, admins):
    unit = [p for p in others if p.unit_id == requester.unit_id and p.userid != requester.userid]
    approvers = leave_approvers(requester, [requester, *unit], admins)
    for userid in approvers:
        approver = next((p for p in unit if p.userid == userid), None)
        assert may_decide_leave(approver, userid in admins, requester)
    for colleague in unit:
        if colleague.userid not in approvers:
            assert not may_decide_leave(colleague, False, requester)
    assert requester.userid not in approvers or requester.userid in admins
    if not any(p.role == Role.main_leader for p in unit):
        assert approvers == sorted(admins)  # nobody in the unit: the admins decide


@given(people, st.booleans())
def test_nobody_but_an_admin_decides_their_own_leave(person, is_admin):
    assert may_decide_leave(person, is_admin, person) == is_admin


def test_a_main_leader_decides_for_the_own_unit_only():
    boss = Someone("boss", Role.main_leader, unit_id=1)
    assert may_decide_leave(boss, False, Someone("staff", Role.staff, unit_id=1))
    assert not may_decide_leave(boss, False, Someone("other", Role.staff, unit_id=2))
    assert not may_decide_leave(Someone("vice", Role.leadership, 1), False, Someone("staff", Role.staff, 1))


@given(calendars(), days_2026, st.integers(-20, 40), st.integers(-3, 20), windows, st.data())
def test_a_registered_leave_is_short_near_and_still_backfillable(calendar, today, offset, length, window, data):
    start = today + timedelta(days=offset)
    end = start + timedelta(days=length)
    max_days, max_days_ahead = data.draw(st.integers(1, 15)), data.draw(st.integers(0, 60))
    refusal = leave_refusal(calendar, today, start, end, max_days=max_days, max_days_ahead=max_days_ahead,
                            window=window)
    checks = {
        LeaveRefusal.ends_before_start: end >= start,
        LeaveRefusal.too_long: (end - start).days < max_days,
        LeaveRefusal.too_far_ahead: (end - today).days <= max_days_ahead,
        LeaveRefusal.too_late: start >= calendar.earliest_backfillable(today, window),
        LeaveRefusal.no_working_day: any(calendar.is_working_day(start + timedelta(days=n))
                                         for n in range(max(0, length) + 1)),
    }
    failed = [reason for reason, ok in checks.items() if not ok]
    assert refusal == (failed[0] if failed else None)  # the first rule broken, in order
