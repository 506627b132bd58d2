"""The year's 公示 (issue 24 item 5): each unit's proposed 优秀 list is published to the
unit for `publicity_working_days` working days (公务员考核规定: 不少于5个工作日; the official
calendar with 调休); anyone may object, 实名, to the 考核办 only; the 考核办 decides each
objection with a reason. An upheld objection bars the cadre from 优秀 this year: the place
passes to the next by score in a new published version (the year's versions are kept) and a
new 公示 runs in that unit for the changed list. The year's result is final once every unit's
公示 has ended with no objection open; `finalize_if_due` marks it, once, and sends the
written notice (handlers/services/year_result_notice.py): final gates that notice.

Chat (handlers/year/publicity.py), the daily job (scheduler/notice_jobs.py) call these.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from types import SimpleNamespace

from handlers.base import Ctx, Refusal, day_label
from handlers.services.year_publish import compute_outcome, gather_complete, publish_version
from handlers.services.year_result_notice import is_excellent, remind_unanswered, send_notices
from handlers.services.year_review import remind_reviews
from handlers.services.year_ties import DECIDED_FIELDS
from scoring.grades import publicity_ends
from scoring.year_end import Change
from storage.models_year import AnnualResult
from storage.models_year_notice import YearObjection, YearPublicity
from storage.repos import Push

OPEN, UPHELD, DISMISSED = "open", "upheld", "dismissed"
STATUS_ZH = {OPEN: "待处理", UPHELD: "成立", DISMISSED: "不成立"}
# An objection says what and why: a name alone, or 「有异议」, gives the 考核办 nothing to check.
MIN_CONTENT_CHARS = 5
MAX_CONTENT_CHARS = 1000


def _listed(publicity: YearPublicity) -> list[str]:
    return [u for u in publicity.listed.split(",") if u]


def _period(publicity: YearPublicity, today: date) -> str:
    return f"{day_label(publicity.starts, today)}至{day_label(publicity.ends, today)}"


def is_running(publicity: YearPublicity, today: date) -> bool:
    return publicity.starts <= today <= publicity.ends


def _admins(ctx: Ctx) -> list[str]:
    return list(ctx.settings.admin.userids)


# ---- starting a 公示 -----------------------------------------------------------------------


async def start_publicity(ctx: Ctx, year: int, by: str) -> str:
    """`公示 2026`: publish each unit's proposed 优秀 list to the unit; a second call shows
    where the 公示 stands."""
    store = ctx.store
    if await store.notice.publicities(year):
        return await publicity_status(ctx, year)
    published = await store.year.published(year)
    if published is None:
        raise Refusal(f"{year} 年度结果尚未发布。请先「发布年度结果 {year}」，再公示拟评优秀人员。")
    tied = [r for r in published.rows if r.excellent_tied]
    if tied:
        names = "、".join(f"{r.name}（{r.unit_name}）" for r in tied)
        raise Refusal(
            f"未公示：{names} 同分处在本单位优秀名额的边界，尚待考核办评定。"
            f"请先发送「评定优秀 {year} 姓名」或「不评优秀 {year} 姓名」，再「公示 {year}」。"
        )
    by_unit: defaultdict[int, list[AnnualResult]] = defaultdict(list)
    for row in published.rows:
        by_unit[row.unit_id].append(row)
    started = [await _start_in_unit(ctx, year, published.version, rows, by, seq=1)
               for _, rows in sorted(by_unit.items())]
    await ctx.audit("year.publicity.start", f"{year} version {published.version}: {len(started)} units")
    first = started[0]
    return (
        f"📢 已在 {len(started)} 个单位公示{year}年度拟评优秀人员（依据第 {published.version} 版结果），"
        f"公示期 {_period(first, ctx.today)}（{ctx.settings.grades.publicity_working_days} 个工作日）。"
        f"各单位干部都已收到本单位名单。收到的异议会发给您；发送「异议列表 {year}」查看，"
        f"「异议处理 编号 成立 理由」或「异议处理 编号 不成立 理由」处理。"
        f"公示期满且没有待处理的异议，年度结果即确定。"
    )


async def _start_in_unit(
    ctx: Ctx, year: int, version: int, rows: Sequence[AnnualResult] | Sequence[SimpleNamespace], by: str, *, seq: int,
) -> YearPublicity:
    """One unit's 公示 from today, pushed to every cadre of the unit still on the roster."""
    first = rows[0]
    listed = sorted((r for r in rows if is_excellent(r)), key=lambda r: (r.unit_rank, r.userid))
    publicity = await ctx.store.notice.add_publicity(YearPublicity(
        year=year, unit_id=first.unit_id, unit_name=first.unit_name, seq=seq, version=version,
        listed=",".join(r.userid for r in listed),
        starts=ctx.today, ends=publicity_ends(ctx.today, ctx.calendar, ctx.settings.grades),
        started_by=by, started_at=ctx.now,
    ))
    names = "、".join(r.name for r in listed)
    again = f"（名单调整后重新公示，第 {seq} 次）" if seq > 1 else ""
    text = (
        f"📢 {year}年度考核优秀等次人选公示{again}\n{first.unit_name}拟评优秀：{names or '无（本单位没有优秀名额或无人符合条件）'}。\n"
        f"公示期：{_period(publicity, ctx.today)}，共 {ctx.settings.grades.publicity_working_days} 个工作日。\n"
        + (f"如有异议，请在公示期内发送「异议 姓名 具体事实和理由」，例如：异议 {listed[0].name} ……。"
           "异议实名向考核办反映，考核办核实后把处理结果告诉您；被反映人看不到您的姓名和内容。" if listed else "")
    )
    recipients = [r.userid for r in rows if ctx.directory.get(r.userid) is not None]
    await ctx.store.outbox.enqueue_many(
        (Push(f"year-publicity:{publicity.id}:{u}", u, "text", json.dumps({"content": text}, ensure_ascii=False), ctx.now)
         for u in recipients),
        ctx.now,
    )
    return publicity


async def publicity_status(ctx: Ctx, year: int) -> str:
    store = ctx.store.notice
    current = await store.current(year)
    if not current:
        raise Refusal(f"{year} 年度还没有公示。发送「公示 {year}」开始公示拟评优秀人员。")
    final = await store.final(year)
    head = (f"✅ {year}年度考核结果已于 {day_label(final.final_at.astimezone(ctx.now.tzinfo).date(), ctx.today)}确定（第 {final.version} 版）。"
            if final is not None else f"📢 {year}年度拟评优秀人员公示：")
    lines = [head]
    for publicity in sorted(current.values(), key=lambda p: p.unit_name):
        state = "公示中" if is_running(publicity, ctx.today) else ("已期满" if ctx.today > publicity.ends else "未开始")
        names = "、".join(_name(ctx, u) for u in _listed(publicity)) or "无"
        lines.append(f"· {publicity.unit_name}：{names}；{_period(publicity, ctx.today)}，{state}")
    waiting = await store.open_count(year)
    if waiting:
        lines.append(f"待处理的异议 {waiting} 件：发送「异议列表 {year}」查看。")
    return "\n".join(lines)


def _name(ctx: Ctx, userid: str) -> str:
    person = ctx.directory.people.get(userid)
    return person.label if person is not None else userid


# ---- objections ----------------------------------------------------------------------------


async def raise_objection(ctx: Ctx, args: str) -> str:
    """`异议 张三 理由` (also 张三@城关镇; ：，separators): 实名, to the 考核办 only."""
    store = ctx.store.notice
    running = [(year, p) for year in await store.years_in_publicity()
               for p in (await store.current(year)).values() if is_running(p, ctx.today)]
    if not running:
        raise Refusal("目前没有正在公示的年度优秀人选，异议未记录。公示开始后，各单位干部会收到公示名单。")
    text = args.strip()
    who, content = _split_name(text)
    listed = {u: (year, p) for year, p in running for u in _listed(p)}
    found = [u for u in listed if _matches(ctx, u, who)]
    names = "、".join(_name(ctx, u) for u in listed) or "无"
    if not who or not found:
        got = f"公示名单中没有「{who}」。" if who else ""
        raise Refusal(f"{got}请写成「异议 姓名 具体事实和理由」，姓名是正在公示的拟评优秀人员：{names}。异议未记录。")
    if len(found) > 1:
        raise Refusal("公示名单中有同名人员：" + "、".join(_name(ctx, u) for u in found) + "。请写成「异议 张三@单位 理由」。")
    target = found[0]
    if target == ctx.userid:
        raise Refusal("不能对本人提出异议。如对本人结果有意见，请联系考核办。")
    if len(content) < MIN_CONTENT_CHARS:
        raise Refusal(f"异议未记录：请写明具体事实和理由（至少 {MIN_CONTENT_CHARS} 个字），例如：异议 {_name(ctx, target)} ……。")
    if len(content) > MAX_CONTENT_CHARS:
        raise Refusal(f"异议未记录：内容超过 {MAX_CONTENT_CHARS} 字，请精简后重发，材料可另交考核办。")
    year, publicity = listed[target]
    assert publicity.id is not None
    number = await store.add_objection(YearObjection(
        year=year, publicity_id=publicity.id, target=target, objector=ctx.userid, content=content, raised_at=ctx.now,
    ))
    await ctx.audit("year.objection.raise", f"{year} #{number} against {target}")
    admins = _admins(ctx)
    if admins:
        await ctx.store.outbox.enqueue(f"year-objection:{number}", admins, "text", {"content": (
            f"📮 收到{year}年度优秀人选公示异议（编号 {number}）\n反映人：{_name(ctx, ctx.userid)}\n"
            f"被反映人：{_name(ctx, target)}\n内容：{content}\n"
            f"核实后发送「异议处理 {number} 成立 理由」或「异议处理 {number} 不成立 理由」。"
            f"公示期至 {day_label(publicity.ends, ctx.today)}。"
        )}, ctx.now)
    return (
        f"已收到您对{_name(ctx, target)}的异议（编号 {number}），已实名转给考核办，被反映人看不到。"
        "考核办核实处理后会告诉您结果。"
    )


def _split_name(text: str) -> tuple[str, str]:
    for i, ch in enumerate(text):
        if ch in " \t\n\u3000:：,，;；":
            return text[:i], text[i + 1:].strip(" \t\n\u3000:：,，;；")
    return text, ""


def _matches(ctx: Ctx, userid: str, who: str) -> bool:
    person = ctx.directory.people.get(userid)
    if person is None:
        return who == userid
    name, _, unit = who.partition("@")
    return who == userid or (person.name == name and unit in ("", person.unit.name))


async def objections_text(ctx: Ctx, year: int) -> str:
    found = await ctx.store.notice.objections(year)
    if not found:
        return f"{year} 年度公示没有收到异议。"
    lines = [f"📮 {year}年度公示异议 {len(found)} 件（待处理 {sum(1 for o in found if o.status == OPEN)} 件）"]
    for o in found:
        when = day_label(o.raised_at.astimezone(ctx.now.tzinfo).date(), ctx.today)
        line = f"{o.id}. {when} {_name(ctx, o.objector)} 反映 {_name(ctx, o.target)}：{o.content}【{STATUS_ZH[o.status]}】"
        if o.status != OPEN:
            line += f"理由：{o.reason}"
        lines.append(line)
    if any(o.status == OPEN for o in found):
        lines.append("处理：「异议处理 编号 成立 理由」或「异议处理 编号 不成立 理由」。")
    return "\n".join(lines)


async def decide_objection(ctx: Ctx, number: int, upheld: bool, reason: str, by: str) -> str:
    """Decide objection `number`. Upheld: the cadre is barred from 优秀 this year, a new
    version is published (only what changed) and the changed units' lists are publicised
    again. Dismissed: recorded. The objector is told either way; the person objected to never."""
    store = ctx.store.notice
    objection = await store.objection(number)
    if objection is None:
        raise Refusal(f"没有编号为 {number} 的异议。发送「异议列表」查看。")
    if objection.status != OPEN:
        raise Refusal(f"异议 {number} 已于此前处理（{STATUS_ZH[objection.status]}：{objection.reason}），未作更改。")
    if len(reason.strip()) < 2:
        raise Refusal(f"请写上处理理由，例如：异议处理 {number} {'成立' if upheld else '不成立'} 经核实……。")
    year, target = objection.year, objection.target
    status = UPHELD if upheld else DISMISSED
    if not await store.decide(number, status, by, ctx.now, reason.strip()):
        raise Refusal(f"异议 {number} 刚刚已被处理，未作更改。")
    await ctx.audit(f"year.objection.{status}", f"{year} #{number} {target}")
    answer = f"异议 {number}（{_name(ctx, objection.objector)} 反映 {_name(ctx, target)}）：不成立，已记录。"
    if upheld:
        answer = await _republish_without(ctx, year, target, number, by)
    verdict = "经核实成立，已调整公示名单" if upheld else "经核实不成立"
    await ctx.store.outbox.enqueue(f"year-objection-decided:{number}", [objection.objector], "text", {"content": (
        f"您对{_name(ctx, target)}的{year}年度公示异议（编号 {number}）{verdict}。理由：{reason.strip()}"
    )}, ctx.now)
    if await finalize_if_due(ctx, year):
        answer += f"\n所有单位公示期已满，没有待处理的异议：{year}年度考核结果已确定。"
    return answer


async def _republish_without(ctx: Ctx, year: int, target: str, number: int, by: str) -> str:
    prior = await ctx.store.year.latest_version(year)
    assert prior is not None  # a 公示 starts from a published year
    gathered = await gather_complete(ctx, year)
    outcome = await compute_outcome(ctx, year, gathered, await ctx.store.year.excellent_decisions(year))
    person = gathered.people.get(target)
    unit = person.unit.id if person is not None else None

    def allowed(change: Change) -> bool:
        changed = gathered.people.get(change.userid)
        # What a tie decision may change, in the objected cadre's unit only.
        return change.field in DECIDED_FIELDS and changed is not None and changed.unit.id == unit

    published = await publish_version(
        ctx, year, by, prior, gathered, outcome, why=f"公示异议 {number} 成立：{_name(ctx, target)}不评为优秀",
        note="公示异议成立，调整优秀等次", may_change=allowed,
    )
    rerun = await rerun_changed(ctx, year, by)
    units = "、".join(p.unit_name for p in rerun)
    return published + (f"\n已在{units}重新公示调整后的名单（{_period(rerun[0], ctx.today)}）。" if rerun else "")


async def rerun_changed(ctx: Ctx, year: int, by: str) -> list[YearPublicity]:
    """A new 公示 in every unit whose 优秀 list in the newest version differs from the one
    last publicised (nothing before the year's first 公示, nothing once final)."""
    store = ctx.store.notice
    current = await store.current(year)
    if not current or await store.final(year) is not None:
        return []
    published = await ctx.store.year.published(year)
    assert published is not None
    by_unit: defaultdict[int, list[AnnualResult]] = defaultdict(list)
    for row in published.rows:
        by_unit[row.unit_id].append(row)
    started = []
    for unit_id, rows in sorted(by_unit.items()):
        last = current.get(unit_id)
        now_listed = {r.userid for r in rows if is_excellent(r)}
        if last is None or set(_listed(last)) != now_listed:
            seq = 1 if last is None else last.seq + 1
            started.append(await _start_in_unit(ctx, year, published.version, rows, by, seq=seq))
    if started:
        await ctx.audit("year.publicity.rerun", f"{year} version {published.version}: "
                        + ",".join(str(p.unit_id) for p in started))
    return started


# ---- the final gate and the 考核办's reminder ------------------------------------------------


async def is_final(ctx: Ctx, year: int) -> bool:
    return await ctx.store.notice.final(year) is not None


async def finalize_if_due(ctx: Ctx, year: int) -> bool:
    """Mark `year` final once every unit's latest 公示 has ended and no objection is open;
    True the one time it does (a retry or another replica finds it marked). A unit whose list
    in the newest version differs from the one publicised (the year re-published meanwhile)
    is publicised again first: only a list that was publicised becomes final."""
    store = ctx.store.notice
    if await rerun_changed(ctx, year, ctx.userid):
        return False  # a list changed since it was publicised (a re-publish, a tie decision): publicised again first
    current = await store.current(year)
    if not current or any(ctx.today <= p.ends for p in current.values()) or await store.open_count(year):
        return False
    version = await ctx.store.year.latest_version(year)
    assert version is not None
    if not await store.make_final(year, version.version, ctx.now):
        return False
    await ctx.audit("year.final", f"{year} version {version.version}")
    sent = await send_notices(ctx, year, version.version)  # what final gates: the written notice
    admins = _admins(ctx)
    if admins:
        await ctx.store.outbox.enqueue(f"year-final:{year}", admins, "text", {"content": (
            f"✅ {year}年度拟评优秀人员公示期满，没有待处理的异议：{year}年度考核结果（第 {version.version} 版）已确定，"
            f"已向 {sent} 人发出书面结果通知，请本人确认或填写本人意见。"
        )}, ctx.now)
    return True


async def daily_check(ctx: Ctx) -> None:
    """The job's work: remind the 考核办 of open objections as a 公示 nears its end, and
    make each year final when due. Each push has a per-day key: once across replicas."""
    store = ctx.store.notice
    await remind_unanswered(ctx)
    await remind_reviews(ctx)
    before = ctx.settings.notice.remind_working_days_before_end
    for year in await store.years_in_publicity():
        await finalize_if_due(ctx, year)
        waiting = await store.objections(year, open_only=True)
        if not waiting or await store.final(year) is not None:
            continue
        current = await store.current(year)
        ends = min((p.ends for p in current.values() if ctx.today <= p.ends), default=None)
        near = ends is not None and ctx.calendar.add_working_days(ctx.today, before - 1) >= ends
        if not (near or ends is None):  # ended with objections open: remind every working day
            continue
        admins = _admins(ctx)
        if not admins:
            continue
        when = f"公示期 {day_label(ends, ctx.today)}结束" if ends is not None else "公示期已满"
        await ctx.store.outbox.enqueue(f"year-objection-remind:{year}:{ctx.today.isoformat()}", admins, "text", {
            "content": (
                f"⏰ {year}年度优秀人选{when}，还有 {len(waiting)} 件异议待处理（编号 "
                + "、".join(str(o.id) for o in waiting)
                + f"）。处理完毕、公示期满，年度结果才能确定。发送「异议列表 {year}」查看。"
            ),
        }, ctx.now)

