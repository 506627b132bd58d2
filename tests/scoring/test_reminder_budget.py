"""The reminder budget's rules (issue 26, item 8), checked against plain restatements."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from scoring.clock import SHANGHAI
from scoring.reminder_budget import QuietHours, is_mute_request, next_slot, obsolete

minutes = st.integers(min_value=0, max_value=24 * 60 - 1)


def clock_face(minute: int) -> time:
    return time(minute // 60, minute % 60)


def moment(minute: int, day: date = date(2026, 11, 23)) -> datetime:
    return datetime.combine(day, clock_face(minute), tzinfo=SHANGHAI)


@given(minutes, minutes, minutes)
def test_quiet_hours_are_the_minutes_from_start_until_end_going_round_the_clock(start, end, now):
    quiet = QuietHours(clock_face(start), clock_face(end))
    spell = {(start + k) % (24 * 60) for k in range((end - start) % (24 * 60))}  # empty when equal
    assert quiet.contains(moment(now)) == (now in spell)


@given(minutes, minutes)
def test_a_quiet_spell_began_at_its_start_within_the_day_before_its_end(start, end):
    quiet = QuietHours(clock_face(start), clock_face(end))
    ended = moment(end)
    began = quiet.began_before(ended)
    assert began.timetz().replace(tzinfo=None) == clock_face(start)
    assert ended - timedelta(days=1) <= began < ended


@given(st.integers(min_value=1, max_value=6), st.lists(st.booleans(), max_size=20))
def test_slots_taken_one_after_another_never_exceed_the_budget(budget, passes):
    """Each pass (of any kind) takes the next slot if one is left; the slots a person ends the
    day with are 1..budget at most, each once."""
    taken: list[int] = []
    for _ in passes:
        slot = next_slot(len(taken), budget)
        if slot is None:
            assert len(taken) == budget
            continue
        assert slot not in taken
        taken.append(slot)
    assert taken == list(range(1, len(taken) + 1)) and len(taken) <= budget


@given(st.dates(), st.dates())
def test_a_held_back_reminder_is_obsolete_once_its_day_is_over(about, today):
    assert obsolete(about, today) == (about < today)


MUTES = st.builds(
    lambda please, day, verb, again, what, me, tail, punct: f"{please}{day}{verb}{again}{what}{me}{tail}{punct}",
    st.sampled_from(["", "请"]), st.sampled_from(["今天", "今日", "今天 ", "今日　"]),
    st.sampled_from(["不", "别", "不要", "不用", "无需", "不必", "勿", "免"]),
    st.sampled_from(["", "再"]), st.sampled_from(["提醒", "催"]), st.sampled_from(["", "我"]),
    st.sampled_from(["", "了", "啦", "吧"]), st.sampled_from(["", "！", "。", "!", "~", " 🙏"]),
)


@given(MUTES)
def test_the_ways_people_type_it_all_mute(text):
    assert is_mute_request(text)


@given(MUTES, st.text(alphabet="上午参加例会走访群众整理台账值班", min_size=2, max_size=30))
def test_a_log_that_merely_contains_it_is_no_mute(text, work):
    """Work said before or after the words makes a log (or a refusal), never a mute."""
    assert not is_mute_request(work + text)
    assert not is_mute_request(text + "，" + work)


def test_everyday_examples():
    for text in ("今天不提醒", "今日不提醒", "今天别提醒", "今天别再提醒我了！", "今天不用提醒了"):
        assert is_mute_request(text), text
    for text in ("明天不提醒", "今天提醒", "今天不提醒张三", "提醒", "今天下午不提醒群众了"):
        assert not is_mute_request(text), text
