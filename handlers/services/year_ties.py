"""Deciding an excellent tie (R-USE-1): cadres tied at the score of their unit's last
excellent place, whom the quota cannot all take, are listed to the admin at publish time;
the admin grants or refuses each (`评定优秀 2026 张三`, `shiji year grant-excellent 2026 USERID`).

A decision is kept (publishing applies it for as long as the tie stands) and takes effect as
a new published version, as a re-publish does: it says what changed and tells each cadre whose
figures changed. It is refused while the year has other unpublished changes, so a decision
never carries a correction nobody asked for.
"""

from __future__ import annotations

from handlers.base import Ctx, Refusal
from handlers.services.year_publish import compute_outcome, gather_complete, publish_version
from scoring.use import tie_decision_refusal
from scoring.year_end import Change
from storage.directory import Person, listed_names
from storage.models_year import ExcellentDecision

# What a decision may change in a published year: the grade, whether it awaits a decision,
# and promotion eligibility (an excellent counts for three years).
DECIDED_FIELDS = frozenset({"excellent", "excellent_tied", "promotion_eligible", "grade"})


def find_person(people: dict[str, Person], who: str) -> Person:
    """A userid, a name, or 名@单位 among the year's cadres."""
    if who in people:
        return people[who]
    name, _, unit = who.partition("@")
    found = [p for p in people.values() if p.name == name and unit in ("", p.unit.name)]
    if not found:
        raise Refusal(f"本年度考核的干部中没有「{who}」。请写姓名或 userid，同名时写 张三@城关镇。")
    if len(found) > 1:
        raise Refusal(f"有 {len(found)} 位「{name}」：" + "、".join(p.label for p in found) + "。请写成 张三@单位。")
    return found[0]


async def decide_tie(ctx: Ctx, year: int, who: str, grant: bool, by: str) -> str:
    """Grant (or refuse) excellent to one cadre of a tie at their unit's quota boundary."""
    store = ctx.store.year
    prior = await store.latest_version(year)
    if prior is None:
        raise Refusal(f"{year} 年度结果尚未发布。同分待定的人员在「发布年度结果 {year}」时列出，发布后再评定。")
    gathered = await gather_complete(ctx, year)
    person = find_person(gathered.people, who.strip())
    verdict = "评为优秀" if grant else "不评为优秀"
    decisions = await store.excellent_decisions(year)
    if decisions.get(person.userid) is grant:
        raise Refusal(f"{person.label}已经评定为「{verdict}」，未作更改。")
    outcome = await compute_outcome(ctx, year, gathered, {**decisions, person.userid: grant})
    grades = outcome.excellent[str(person.unit.id)]
    reason = tie_decision_refusal(grades, person.userid, grant, decisions)
    if reason is not None:
        tied = "、".join(listed_names(gathered.people[u] for u in grades.tied)) or "无"
        raise Refusal(f"未评定：{person.label}{reason}。本单位同分人员：{tied}。")
    await store.decide_excellent(ExcellentDecision(
        year=year, userid=person.userid, granted=grant, decided_by=by, decided_at=ctx.now,
    ))
    await ctx.audit(f"year.excellent.{'grant' if grant else 'refuse'}", f"{year} {person.userid}")
    tie = set(grades.tied)

    def decided(change: Change) -> bool:
        return change.userid in tie and change.field in DECIDED_FIELDS

    return await publish_version(
        ctx, year, by, prior, gathered, outcome, why=f"考核办评定同分人员：{person.label}{verdict}",
        note="考核办评定同分人员的优秀等次", may_change=decided,
    )
