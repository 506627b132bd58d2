"""Copied and boilerplate logs flagged (issue 26, item 5) for whoever may be told: the
author's main leader (weekly digest) and the admin (缺记统计). Never deducted, never shown to
colleagues; the rule is scoring/copied_logs.py.

The check runs nightly (scheduler/trust_jobs.py) over the last CHECK_DAYS days — a backfill
may still change them — and stores what it finds, so a chat command reads a table instead of
hashing a district's logs within WeCom's five seconds. The job reads each batch in a short
transaction, judges it off the event loop and outside any transaction (minutes at province
scale: the one writer and the callbacks must not wait), then stores all flags at once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from handlers.base import day_label
from scoring.copied_logs import DayLog, Flag, Flagged, flag_logs
from scoring.rule_settings import TrustSettings
from storage.directory import Directory, Person
from storage.repos import Store

CHECK_DAYS = 7  # each night: the week before today (the backfill window is 5 working days)
BATCH_PEOPLE = 2000  # whole units at a time: a province's logs never all in memory at once


def check_span(today: date) -> tuple[date, date]:
    """The days the nightly check of `today` judges: the CHECK_DAYS before it."""
    return today - timedelta(days=CHECK_DAYS), today - timedelta(days=1)


def people_batches(directory: Directory) -> list[list[Person]]:
    """Everyone who keeps a log, whole units at a time, about BATCH_PEOPLE a batch."""
    batches: list[list[Person]] = [[]]
    for unit in sorted(directory.units):
        if len(batches[-1]) >= BATCH_PEOPLE:
            batches.append([])
        batches[-1] += directory.members(unit)
    return [batch for batch in batches if batch]


async def logs_to_check(
    store: Store, directory: Directory, people: Sequence[Person], trust: TrustSettings, start: date, end: date
) -> list[DayLog]:
    """The logs that judging `people`'s logs of [start, end] needs: theirs and their unit
    colleagues', back over the lookback and around the span."""
    units = {p.unit_id for p in people}
    everyone = [p for unit in units for p in directory.members(unit)]
    unit_of = {p.userid: p.unit_id for p in everyone}
    rules = trust.rules
    texts = await store.trust.log_texts(
        [p.userid for p in everyone], start - timedelta(days=max(rules.own_lookback_days, rules.colleague_days)),
        end + timedelta(days=rules.colleague_days),
    )
    return [DayLog(t.userid, unit_of[t.userid], t.day, t.content, t.created_at.timestamp()) for t in texts]


def flags_of(logs: Sequence[DayLog], people: Sequence[Person], trust: TrustSettings, start: date, end: date) -> list[Flagged]:
    """`people`'s flags among `logs` (CPU work: the job runs it off the event loop)."""
    wanted = {p.userid for p in people}
    return [f for f in flag_logs(logs, trust.rules, start, end) if f.author in wanted]


def flag_line(flag: Flagged, directory: Directory, today: date, *, with_unit: bool) -> str:
    """「· 张三 11月17日（周二）：与本人 11月16日的日志几乎相同」"""
    author = directory.get(flag.author)
    who = (author.label if with_unit else author.name) if author is not None else flag.author
    when = day_label(flag.day, today)
    if flag.flag is Flag.boilerplate:
        return f"· {who} {when}：大部分是套话，没写具体做了什么"
    like_day = f"{flag.like_day.month}月{flag.like_day.day}日" if flag.like_day else ""
    if flag.flag is Flag.own_repeat:
        return f"· {who} {when}：与本人 {like_day}的日志几乎相同"
    other = directory.get(flag.like_author or "")
    whose = (other.label if with_unit else other.name) if other is not None else "同事"
    return f"· {who} {when}：与{whose} {like_day}的日志几乎相同"
