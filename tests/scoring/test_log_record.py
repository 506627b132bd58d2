"""The kept record's rules (scoring/log_record.py): what readers are told of a log's versions,
and when a day's log locks."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from scoring.clock import SHANGHAI
from scoring.golive import joined_on, record_start
from scoring.log_record import Change, Version, as_read, is_locked, locked_from, needs_marks, replay
from scoring.roster import Placement
from scoring.types import Role
from scoring.visibility import may_annotate, may_read_logs_of
from scoring.workdays import WorkCalendar
from tests.scoring.calendars import Someone, calendars, days_2026, people

DAY = date(2026, 12, 4)


def at(day: date, hour: int = 17) -> datetime:
    return datetime.combine(day, time(hour), SHANGHAI)


def test_a_part_added_later_is_marked_with_the_day_it_was_written():
    versions = [Version(Change.ADD, "a", at(DAY)), Version(Change.ADD, "b", at(date(2026, 12, 8)))]
    assert as_read(["a", "b"], DAY, versions) == "a\nb（12月8日补记）"


def test_a_replaced_log_says_how_often_and_a_withdrawn_part_leaves_no_mark():
    versions = [
        Version(Change.ADD, "a", at(DAY)), Version(Change.REPLACE, "b", at(DAY, 18)),
        Version(Change.ADD, "c", at(DAY, 19)), Version(Change.WITHDRAW, "c", at(DAY, 19)),
        Version(Change.REPLACE, "d", at(DAY, 20)),
    ]
    assert as_read(["d"], DAY, versions) == "d（已修改 2 次）"


def test_parts_older_than_the_record_read_as_written_on_their_day():
    """A log kept before versions existed has fewer versions than parts: marks stay on the
    parts the versions describe, the newest."""
    versions = [Version(Change.ADD, "c", at(date(2026, 12, 7)))]
    assert as_read(["a", "b", "c"], DAY, versions) == "a\nb\nc（12月7日补记）"


changes = st.lists(
    st.tuples(st.sampled_from(list(Change)), st.integers(0, 6)), max_size=12
)


@given(changes)
def test_marks_follow_the_parts_that_remain(steps):
    """Whatever the writes, each part still standing carries the mark of the day it was
    written, parts are never lost or reordered, and a log read as stored needs no marks."""
    parts: list[tuple[str, date]] = []
    versions: list[Version] = []
    replaced = 0
    for n, (change, late_by) in enumerate(steps):
        written = DAY + timedelta(days=late_by)
        text = f"第{n}段"
        versions.append(Version(change, text, at(written)))
        if change is Change.ADD:
            parts.append((text, written))
        elif change is Change.REPLACE:
            parts, replaced = [(text, written)], replaced + 1
        elif parts:
            parts.pop()
    expected = "\n".join(t + (f"（{w.month}月{w.day}日补记）" if w > DAY else "") for t, w in parts)
    if replaced:
        expected += f"（已修改 {replaced} 次）"
    assert as_read([t for t, _ in parts], DAY, versions) == expected
    assert replay(versions).written == tuple(w for _, w in parts)
    if not needs_marks(versions, DAY):
        assert as_read([t for t, _ in parts], DAY, versions) == "\n".join(t for t, _ in parts)


@given(calendars(), days_2026, st.integers(1, 10), st.integers(0, 40))
def test_a_day_locks_exactly_after_its_window_and_stays_locked(calendar: WorkCalendar, day, window, later):
    """Open through the window's last working day (the same day 补记 closes), locked from
    the next day on, and never open again."""
    today = day + timedelta(days=later)
    deadline = calendar.backfill_deadline(day, window)
    assert is_locked(calendar, day, today, window) == (today > deadline)
    assert locked_from(calendar, day, window) == deadline + timedelta(days=1)
    assert not is_locked(calendar, day, day, window)  # the day itself is never locked
    if is_locked(calendar, day, today, window):
        assert is_locked(calendar, day, today + timedelta(days=1), window)


@given(people, people, st.booleans())
def test_who_may_annotate_may_read_and_leads_the_unit(viewer, target, is_admin):
    """批注 is a leader's: whoever may write one may read the log, never annotates their own,
    and is the admin, the unit's main leader or a superior overseeing it."""
    if not may_annotate(viewer, is_admin, target):
        return
    assert may_read_logs_of(viewer, is_admin, target) and viewer.userid != target.userid
    assert is_admin or (viewer.role is Role.main_leader and viewer.unit_id == target.unit_id) or (
        viewer.role is Role.superior and target.unit_id in viewer.oversees
    )


def test_a_staff_member_never_annotates_and_a_main_leader_only_their_own_unit():
    leader = Someone("u0", Role.main_leader, 1)
    assert may_annotate(leader, False, Someone("u1", Role.staff, 1))
    assert not may_annotate(leader, False, Someone("u2", Role.staff, 2))
    assert not may_annotate(Someone("u3", Role.staff, 1), False, Someone("u1", Role.staff, 1))
    assert not may_annotate(leader, False, leader)


def test_the_record_starts_at_the_later_of_go_live_and_joining():
    live = date(2026, 9, 1)
    first_roster = [Placement(date(2000, 1, 1), "1", Role.staff, None, True)]
    newcomer = [Placement(date(2026, 10, 12), "1", Role.staff, None, True)]
    assert record_start(live, joined_on(first_roster)) == live
    assert record_start(live, joined_on(newcomer)) == date(2026, 10, 12)
    superior = [Placement(date(2000, 1, 1), "1", Role.superior, None, True)]
    assert joined_on(superior) is None and record_start(live, None) == live
