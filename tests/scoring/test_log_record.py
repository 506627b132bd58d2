"""The kept record's rules (scoring/log_record.py): what readers are told of a log's versions,
and when a day's log locks."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from scoring.clock import SHANGHAI
from scoring.log_record import Change, Version, as_read, is_locked, locked_from, needs_marks, replay
from scoring.workdays import WorkCalendar
from tests.scoring.calendars import calendars, days_2026

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
