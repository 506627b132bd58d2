"""The weekly digest for each unit's main leader (issue 26, item 6): last week's days logged per
person, who missed and who backfilled late, logs flagged as copied or 套话, 「未参与」 answers
and open leave, as one markdown message — or a file, when it would not fit in one (WeCom's
2,048 bytes, scoring/wecom_protocol.py). Never a score.

Exactly once per unit and week: the outbox key `digest:<unit>:<monday>`, so a rerun, a second
replica or a catch-up queues nothing twice. Units listed in `[digest] off_units` get none.
"""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from handlers.services.golive import go_live_date
from handlers.services.log_flags import flag_line
from handlers.services.log_rules import missing_by_person
from scoring.logs import counting_start
from scoring.rule_settings import RuleSettings
from scoring.types import Role
from scoring.wecom_protocol import TEXT_LIMIT_BYTES
from scoring.workdays import WorkCalendar
from storage.directory import Directory, UnitInfo, listed_names
from storage.mention_repo import DENIED
from storage.repos import Store


@dataclass(frozen=True)
class DigestPass:
    units: int  # units whose leaders were sent a digest now
    files: int  # of them, sent as a file


def week_before(today: date) -> tuple[date, date]:
    """Monday to Sunday of the week before `today`'s."""
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(days=7), monday - timedelta(days=1)


async def unit_digest(
    store: Store, directory: Directory, calendar: WorkCalendar, settings: RuleSettings,
    unit: UnitInfo, start: date, end: date, today: date, missing: Mapping[str, Sequence[object]],
) -> str:
    """The digest of `unit` for [start, end], markdown; `missing`: everyone's missing days
    of the week (`missing_by_person`, read once for every unit)."""
    members = directory.members(unit.id)
    counted_from = counting_start(start, go_live_date(settings, directory))
    texts = await store.trust.log_texts([p.userid for p in members], start, end)
    logged = Counter(t.userid for t in texts)
    late = Counter(t.userid for t in texts if t.created_at.date() > t.day)
    owed = sum(1 for _ in calendar.working_days(counted_from, end)) if counted_from <= end else 0
    title = f"{start.month}月{start.day}日至{end.month}月{end.day}日"
    lines = [f"## 📋 {unit.name} 上周日志周报", f"> {title}，工作日 {owed} 天（仅供了解，不计分）", ""]
    lines.append("**各人记载天数**")
    lines += [f"- {p.name}：{logged[p.userid]} 天" + _also(len(missing.get(p.userid, [])), late[p.userid]) for p in members]
    missed = [p for p in members if missing.get(p.userid)]
    lines.append("")
    lines.append(f"**缺记**：{'、'.join(listed_names(missed)) if missed else '没有'}")
    backfilled = [p for p in members if late[p.userid]]
    lines.append(f"**事后补记**：{'、'.join(listed_names(backfilled)) if backfilled else '没有'}")
    flags = await store.trust.flags([p.userid for p in members], start, end)  # the nightly check's
    lines.append(f"**疑似抄袭或套话**：{len(flags)} 篇" if flags else "**疑似抄袭或套话**：没有")
    lines += [flag_line(f, directory, today, with_unit=False).replace("· ", "- ", 1) for f in flags]
    denied = [m for m in await store.mentions.of_logs([p.userid for p in members], start, end) if m.status == DENIED]
    lines.append(f"**同事回复「未参与」**：{len(denied)} 条" if denied else "**同事回复「未参与」**：没有")
    for mention in denied:
        author, colleague = directory.get(mention.author), directory.get(mention.colleague)
        lines.append(
            f"- {colleague.name if colleague else mention.colleague}：未参与"
            f"{author.name if author else mention.author} {mention.day.month}月{mention.day.day}日日志中写的工作"
        )
    leave = [
        leave for leave in await store.leave.overlapping_of([p.userid for p in members], start, end + timedelta(days=7))
        if leave.status in ("pending", "approved")
    ]
    lines.append(f"**请假/出差**：{len(leave)} 条" if leave else "**请假/出差**：没有")
    for item in sorted(leave, key=lambda x: (x.start, x.userid)):
        who = directory.get(item.userid)
        state = "待审批" if item.status == "pending" else "已批准"
        lines.append(f"- {who.name if who else item.userid} {item.kind} {item.start.month}月{item.start.day}日"
                     f"至{item.end.month}月{item.end.day}日（{state}）")
    return "\n".join(lines)


def _also(missing: int, late: int) -> str:
    notes = ([f"缺 {missing} 天"] if missing else []) + ([f"补记 {late} 天"] if late else [])
    return f"（{'，'.join(notes)}）" if notes else ""


def main_leaders_of(directory: Directory, unit_id: int) -> list[str]:
    return [p.userid for p in directory.members(unit_id) if p.role is Role.main_leader]


async def send_digests(
    store: Store, directory: Directory, calendar: WorkCalendar, settings: RuleSettings, now: datetime
) -> DigestPass:
    """Queue last week's digest to every unit's main leaders, once per unit and week."""
    start, end = week_before(now.date())
    off = set(settings.digest.off_units)
    units = [u for u in sorted(directory.units.values(), key=lambda u: u.id)
             if main_leaders_of(directory, u.id) and u.name not in off]
    counted_from = counting_start(start, go_live_date(settings, directory))
    people = [p for u in units for p in directory.members(u.id)]
    missing = (
        await missing_by_person(store, calendar, people, counted_from, end, settings.logs.backfill_working_days)
        if counted_from <= end and units else {}
    )
    sent = files = 0
    for unit in units:
        leaders = main_leaders_of(directory, unit.id)
        key = f"digest:{unit.id}:{start.isoformat()}"
        if await store.outbox.by_key(key) is not None:
            continue  # sent before: skip the work of building it
        text = await unit_digest(store, directory, calendar, settings, unit, start, end, now.date(), missing)
        if len(text.encode("utf-8")) <= TEXT_LIMIT_BYTES:
            queued = await store.outbox.enqueue(key, leaders, "markdown", {"content": text}, now)
        else:
            name = f"{unit.name}-日志周报-{start.isoformat()}.md"
            payload = {"filename": name, "data": base64.b64encode(text.encode("utf-8")).decode()}
            queued = await store.outbox.enqueue(key, leaders, "file", payload, now)
            if queued:
                files += 1
                await store.outbox.enqueue(
                    f"{key}:note", leaders, "text",
                    {"content": f"📋 {unit.name}上周日志周报内容较多，已作为文件「{name}」发送，请查收。"}, now,
                )
        sent += int(queued)
    return DigestPass(sent, files)
