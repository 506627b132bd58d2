"""Publishing the year (R-YEAR-2..4, R-USE-1, R-USE-3, R-USE-4) and what it is built from.

`publish_year` gathers every cadre's published pieces — the democratic evaluation (summed by
the database, scored by `scoring`), the unit's imported result and the year's published
quarterly scores, minus excused quarters — refuses while any piece is missing (naming each
cadre and piece; nothing is stored), and otherwise freezes a new version of the year with
the figures `scoring.year_end.year_outcome` decides, queues each cadre's breakdown and the
admins' report. A re-publish is explicit, keeps the earlier version and says what changed.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from types import SimpleNamespace

from handlers.base import Ctx, Refusal
from handlers.render.year_cards import year_label
from handlers.services.golive import go_live_date
from handlers.services.jobs import Progress, no_progress
from handlers.services.publish_guard import window_guard
from handlers.services.roster_periods import people_for_period
from scoring.annual import (
    AnnualInput,
    AnnualResult,
    DemocraticResult,
    annual_scores,
    democratic_from_totals,
)
from scoring.config import AnnualWeights
from scoring.disclosure import (
    YearShown,
    count_zh,
    own_unit_place_shown,
    short_of_raters_zh,
    shown_ranking,
    withheld_zh,
    year_shown,
)
from scoring.golive import owed_period, quarters_before_go_live
from scoring.grades import (
    EXCLUDED_GRADES,
    GRADE_ZH,
    AnnualGrade,
    Consequence,
    GradeCandidate,
    LastPlaceCase,
    QuarterGrade,
    ReviewSignals,
    StaffCategory,
    consequences,
    review_reasons,
)
from scoring.names import text_key
from scoring.ranking import extremes
from scoring.rounds import may_open_round
from scoring.summary_window import SummaryPeriod
from scoring.types import RANK_ZH, Rank, Role
from scoring.use import LAST_PLACE_ZH, LastPlaceAction
from scoring.workdays import QuarterId
from scoring.year_end import Change, EarlierYears, YearOutcome, publication_changes, year_outcome
from storage.directory import Person, listed_names
from storage.models_year import AnnualPublication, GradeRecord
from storage.models_year import AnnualResult as Row
from storage.records import RoundStatus
from storage.repos import Push

# Lists longer than this are counted in chat and left to the results file.
LIST_LIMIT = 200
# What a re-publish compares, and how the admin reads it.
FIGURES_ZH = {
    "democratic": "民主测评", "unit_result": "单位结果", "quarter_mean": "季度平均", "annual": "年度得分",
    "unit_rank": "单位排名", "level_rank": "同职级排名", "excellent": "优秀", "excellent_tied": "优秀同分待定",
    "promotion_eligible": "可提拔", "commendation_eligible": "可评先", "last_place_years": "连续末位年数",
    "action": "处理", "grade": "等次",
}


# A last place who also stands in the level's top half or is proposed 优秀: no automatic talk.
PENDING_ACTION = "待考核办决定"


def action_short(flag_action: LastPlaceAction) -> str:
    """提醒谈话 / 诫勉谈话 / 组织处理: the results file's `action` words."""
    return LAST_PLACE_ZH[flag_action].split("（")[0]


def case_action(case: LastPlaceCase) -> str:
    return action_short(case.flag.action) if case.automatic else PENDING_ACTION


def _percent(value: Decimal) -> str:
    return f"{value * 100:f}".rstrip("0").rstrip(".") + "%"


@lru_cache(maxsize=8)  # two weightings, 100,000 rows
def weights_text(weights: AnnualWeights) -> str:
    return "/".join(str(w) for w in (weights.democratic, weights.unit_result, weights.quarters))


# ---- gathering ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Gathered:
    people: dict[str, Person]
    results: list[AnnualResult]
    democratic: dict[str, DemocraticResult]
    unit_results: dict[str, str]  # unit id (as scoring names units) -> imported result
    quarter_raters: dict[str, dict[int, int]]  # userid -> quarter -> raters behind its score
    quarter_grades: dict[str, list[QuarterGrade]]  # userid -> the year's 平时考核 grades
    missing_log_days: dict[str, int]  # userid -> log days deducted in the year's published quarters


async def gather(ctx: Ctx, year: int) -> Gathered:
    """Every cadre's pieces for `year`, scored; missing pieces stay visible in `missing`."""
    store = ctx.store.year
    ev = await store.evaluation.by_year(year)
    if ev is not None and ev.status == RoundStatus.open:
        raise Refusal(f"{year_label(ev.year)}还在进行中，请先「关闭测评 {year}」再发布年度结果。")
    marks = await store.evaluation.marks_by_ratee(ev.id) if ev is not None and ev.id is not None else {}
    writers = await ctx.store.summaries.writers("year", str(year))
    summary_owed = owed_period(date(year, 12, 31), go_live_date(ctx.settings, ctx.directory))
    unit_results = {str(u): score for u, score in (await store.unit_results(year)).items()}
    quarters = await store.quarter_scores(year)
    excuses = await store.excuses(year)
    everyone = excuses.get("*", set())
    before_live = quarters_before_go_live(year, go_live_date(ctx.settings, ctx.directory))
    people = await year_people(ctx, year)
    inputs: list[AnnualInput] = []
    democratic: dict[str, DemocraticResult] = {}
    for userid, person in people.items():
        got = marks.get(userid)
        democratic[userid] = democratic_from_totals(
            got.total if got else 0, got.ballots if got else 0, userid not in writers and summary_owed, ctx.cfg
        )
        unit = str(person.unit.id)
        assert person.rank is not None  # only superior leaders have none, and no period places them
        inputs.append(AnnualInput(
            userid=userid,
            unit=unit,
            role=Role(person.role),
            rank=person.rank,
            democratic=democratic[userid].score if ev is not None else None,
            unit_result=Decimal(unit_results[unit]) if unit in unit_results else None,
            quarter_scores={q: Decimal(score) for q, score in quarters.get(userid, {}).items()},
            # A quarter before go-live counts where the cadre has a score (rated by hand).
            excused_quarters=frozenset(
                everyone | excuses.get(userid, set()) | (before_live - set(quarters.get(userid, {})))
            ),
        ))
    quarter_raters = await ctx.store.results.quarter_raters(year)
    grades = {u: [QuarterGrade(g) for g in got] for u, got in (await store.quarter_grades(year)).items()}
    missing = await store.missing_log_days(year)
    return Gathered(people, annual_scores(inputs, ctx.cfg), democratic, unit_results, quarter_raters, grades, missing)


def category_of(ctx: Ctx, person: Person) -> StaffCategory:
    """The 人员类别 that names a cadre's 等次: the roster's, else [grades] default_category."""
    return StaffCategory(person.category or ctx.settings.grades.default_category)


def grade_name(row: Row | SimpleNamespace) -> str:
    """A published row's 等次 by its 人员类别; a row published before grades existed says so."""
    if row.grade is None:
        return "优秀" if row.excellent else "未评定（本功能上线前发布）"
    return GRADE_ZH[StaffCategory(row.category or StaffCategory.civil_servant)][AnnualGrade(row.grade)]


async def grade_candidates(ctx: Ctx, year: int, gathered: Gathered) -> dict[str, GradeCandidate]:
    """What the annual 等次 proposal knows of each cadre: category, score, the 平时考核
    grades, and the 考核办's records (a grade set or decided, a bar on 优秀)."""
    records = await ctx.store.year.grade_records(year)
    candidates = {}
    for result in gathered.results:
        userid = result.userid
        mine = records.get(userid, {})
        recorded = mine.get("grade")
        bar = mine.get("bar")
        candidates[userid] = GradeCandidate(
            userid, category_of(ctx, gathered.people[userid]), result.score,
            tuple(gathered.quarter_grades.get(userid, ())),
            recorded=(AnnualGrade(recorded.grade), recorded.reason) if recorded is not None and recorded.grade else None,
            barred_from_excellent=bar_text(bar) if bar is not None else None,
        )
    return candidates


def bar_text(bar: GradeRecord) -> str:
    """「诫勉影响期（2026-03-01 至 2026-12-31）」: a recorded bar on 优秀 with its period."""
    period = f"（{bar.period_from or '…'} 至 {bar.period_to or '…'}）" if bar.period_from or bar.period_to else ""
    return f"{bar.reason}{period}"


async def year_people(ctx: Ctx, year: int) -> dict[str, Person]:
    """The year's cadres in the unit, role and rank level the roster gave them for the year
    (settings roster.year_rule): a promotion or transfer dated in the year counts as the rule
    says, and someone who left is ranked only if the rule still places them."""
    return await people_for_period(
        ctx.store, ctx.directory, date(year, 1, 1), date(year, 12, 31), ctx.settings.roster.year_rule
    )


async def earlier_years(ctx: Ctx, before: int) -> EarlierYears:
    """Who was excellent and who last in their unit, per year before `before`: published
    years as published, earlier ones from the imported history."""
    excellent: defaultdict[int, set[str]] = defaultdict(set)
    last: defaultdict[int, set[str]] = defaultdict(set)
    published = [y for y in await ctx.store.year.published_years() if y < before]
    for row in await ctx.store.year.history():
        if row.year < before and row.year not in published:
            if row.excellent:
                excellent[row.year].add(row.userid)
            if row.last_in_unit:
                last[row.year].add(row.userid)
        else:
            excellent.setdefault(row.year, set())
    for year in published:
        found = await ctx.store.year.published(year)
        assert found is not None
        excellent[year] = {r.userid for r in found.rows if r.excellent}
        last[year] = {r.userid for r in found.rows if r.last_place_years > 0}
    return EarlierYears(
        {y: frozenset(v) for y, v in excellent.items()}, {y: frozenset(v) for y, v in last.items()}
    )


def missing_text(year: int, gathered: Gathered) -> str:
    lines = [
        f"· {gathered.people[r.userid].unit.name} {gathered.people[r.userid].name}（{r.userid}）：缺{r.missing_zh}"
        for r in gathered.results if r.missing
    ]
    return (
        f"{year} 年度结果未发布（什么也没有保存），以下 {len(lines)} 人缺少数据：\n" + "\n".join(lines)
        + f"\n补齐后再发布：季度得分须先「发布结果 {year}Q1」等；民主测评须「开启测评 {year}」并「关闭测评 {year}」；"
        f"单位结果在对话中发送「单位结果 {year} 单位名称 得分 …」导入（或 shiji year import-unit-results {year} 文件）。确因中途入职、长期病假等未参加某季度考核的，"
        f"考核办可运行 shiji year excuse {year} USERID q2 原因 免计该季度。"
    )


# ---- what people read --------------------------------------------------------------------


def row_shown(
    row: Row | SimpleNamespace, quarter_raters: Mapping[int, int], k: int, *, viewer_may_be_rater: bool = False
) -> YearShown:
    """What of a published year row may be shown (scoring.disclosure), given the raters
    behind each of the cadre's published quarter scores."""
    counted = [int(q) for q in row.quarters.split(",") if q]
    return year_shown(row.democratic_raters, {q: quarter_raters.get(q, 0) for q in counted}, k,
                      viewer_may_be_rater=viewer_may_be_rater)


def breakdown_text(row: Row | SimpleNamespace, shown: YearShown, k: int, *, place_if_withheld: bool = True) -> str:
    """A cadre's year: the score, its parts with their weights, ranks and grade; a part
    resting on fewer than `k` raters, and whatever would reveal it, says so instead. The
    places of a withheld score stay for the cadre themself (`place_if_withheld`), not in
    the archive, which files every cadre together."""
    w_dem, w_unit, w_quarters = (Decimal(w) for w in row.weights.split("/"))
    quarters = "、".join("一二三四"[int(q) - 1] for q in row.quarters.split(","))
    deduction = f"，未交年度总结扣 {row.summary_deduction} 分" if Decimal(row.summary_deduction) else ""
    withheld = withheld_zh(k)
    if row.excellent_tied:
        grade = f"{grade_name(row)}（与他人同分处在本单位优秀名额的边界，由考核办研究确定）"
    else:
        grade = grade_name(row)
    democratic = (
        f"· 民主测评 {row.democratic} 分 × {_percent(w_dem)}（{count_zh(row.democratic_raters, k)}测评{deduction}）"
        if shown.democratic else f"· 民主测评：{withheld}（权重 {_percent(w_dem)}{deduction}）"
    )
    quarter_mean = (
        f"· 季度考核平均 {row.quarter_mean} 分 × {_percent(w_quarters)}（第{quarters}季度）"
        if shown.quarter_mean else f"· 季度考核平均：{withheld}（权重 {_percent(w_quarters)}，第{quarters}季度）"
    )
    lines = [
        f"年度得分：{row.annual} 分" if shown.composite else f"年度得分：{withheld}（得分照常计算，用于排名和评优）",
        democratic,
        f"· 本单位年度综合考核结果 {row.unit_result} 分 × {_percent(w_unit)}",
        quarter_mean,
    ]
    if shown.composite or place_if_withheld:
        level_place = f"在全区{RANK_ZH[Rank(row.rank_level)]} {row.level_size} 人中排第 {row.level_rank} 名。"
        # A main leader also sees the unit's list (scoring.visibility).
        if own_unit_place_shown(shown.composite, Role(row.role) is Role.main_leader):
            lines.append(f"在本单位 {row.unit_size} 人中排第 {row.unit_rank} 名；{level_place}")
        else:
            lines.append(level_place)
    lines.append(f"等次：{grade}。")
    if row.action and row.action != PENDING_ACTION:  # a conflict is the 考核办's to decide first
        lines.append(f"连续 {row.last_place_years} 年为本单位末位：{row.action}。")
    return "\n".join(lines)


def changes_lines(changes: list[Change], names: dict[str, str]) -> str:
    lines = []
    for change in changes:
        who = f"{names.get(change.userid, change.userid)}（{change.userid}）"
        if not change.field:
            lines.append(f"· {who}：{'新增' if change.before is None else '不再列入'}")
        else:
            lines.append(f"· {who} {FIGURES_ZH[change.field]}：{_yes_no(change.before)} → {_yes_no(change.after)}")
    return "\n".join(lines)


def _yes_no(value: str | None) -> str:
    return {"True": "是", "False": "否", "": "无", None: "无"}.get(value, value or "")


def _names(gathered: Gathered, userids: Iterable[str]) -> str:
    ids = list(userids)
    if len(ids) > LIST_LIMIT:
        return f"共 {len(ids)} 人（名单见 shiji year results 导出的文件）"
    return "、".join(listed_names(gathered.people[u] for u in ids)) or "无"


def grades_report(
    year: int, gathered: Gathered, outcome: YearOutcome, categories: Mapping[str, StaffCategory],
    review: Mapping[str, list[str]], follow: list[Consequence],
) -> list[str]:
    """The 等次 part of the admins' report: counts, what the 考核办 recorded, who to consider
    for 基本称职/不称职 (the system never grades so by itself), and what the rules attach."""
    def who(userid: str) -> str:
        return listed_names([gathered.people[userid]])[0]

    def within_quota(userid: str) -> bool:
        unit = str(gathered.people[userid].unit.id)
        return outcome.unit_rankings[unit].positions[userid] <= outcome.excellent[unit].quota

    counts = Counter(p.grade_zh(categories[p.userid]) for p in outcome.grades.values())
    lines = ["【年度等次】" + "，".join(f"{name} {n} 人" for name, n in sorted(counts.items(), key=lambda i: -i[1]))]
    noted = [p for p in outcome.grades.values() if p.grade not in (AnnualGrade.competent, AnnualGrade.excellent)
             or (p.reason_zh.startswith("不能评为优秀") and within_quota(p.userid))]  # barred, or by the 平时考核
    for p in sorted(noted, key=lambda p: text_key(who(p.userid))):
        if p.grade is AnnualGrade.competent:
            lines.append(f"· {who(p.userid)}：得分在本单位优秀名额之内，但{p.reason_zh}；名额由本单位得分其后者依次递补")
        else:
            lines.append(f"· {who(p.userid)}：{p.grade_zh(categories[p.userid])}（{p.reason_zh}）")
    lines.append("【请考核办研究是否评为基本称职（基本合格）或不称职（不合格）】")
    lines += [f"· {who(u)}：{'；'.join(reasons)}" for u, reasons in review.items()] or ["无"]
    lines.append(f"如需认定，发送「等次 {year} 姓名 基本称职 理由」；不确定等次或不参加考核的发送「不定等次 {year} 姓名 理由」"
                 f"「不参加考核 {year} 姓名 理由」；处分、诫勉影响期内不得评优的发送「不评优 {year} 姓名 理由」；"
                 f"然后「发布年度结果 {year} 重新发布」。")
    lines.append("【按规定随等次产生的后果（系统不自动执行，供考核办办理）】")
    lines += [f"· {who(c.userid)}：{c.what_zh}（{c.source_zh}）" for c in follow] or ["无"]
    return lines


def report_text(
    year: int, version: int, gathered: Gathered, outcome: YearOutcome, changes: str, shown: Mapping[str, YearShown], k: int,
    last_place_min: int, grading: tuple[Mapping[str, StaffCategory], Mapping[str, list[str]], list[Consequence]] | None = None,
) -> str:
    """The admins' report: the seed's table (of the scores that may be shown), 优秀 per unit,
    评先, the last-place ladder, and the units whose figures were withheld."""
    units = {str(p.unit.id): p.unit.name for p in gathered.people.values()}
    lines = [f"📊 {year}年度考核结果（第 {version} 版）已发布，共 {len(outcome.results)} 人", "【各职级得分】"]
    for level in Rank:
        ranking = outcome.level_rankings.get(level)
        if ranking is None or not ranking.entries:
            continue
        found = extremes(shown_ranking(ranking, lambda u: shown[u].composite))
        hidden = ranking.size - (found.count if found else 0)
        note = f"（评分人不足 {k} 人的得分不公布，未计入最高最低）" if hidden else ""
        if found is None:
            lines.append(f"{RANK_ZH[level]} {ranking.size} 人：{withheld_zh(k)}")
        else:
            lines.append(
                f"{RANK_ZH[level]} {ranking.size} 人：最高 {found.highest} 分（{_names(gathered, found.highest_userids)}），"
                f"最低 {found.lowest} 分（{_names(gathered, found.lowest_userids)}）{note}"
            )
    lines.append("【优秀（按本单位名额）】")
    for unit, grades in sorted(outcome.excellent.items(), key=lambda item: units[item[0]]):
        text = f"· {units[unit]}（{grades.headcount} 人，名额 {grades.quota}）：" + (
            _names(gathered, grades.excellent) if grades.quota else "不足设优秀名额的人数"
        )
        if grades.tied_at_boundary:
            text += f"；同分超出名额、待研究决定：{_names(gathered, grades.tied_at_boundary)}"
        lines.append(text)
    if any(grades.tied_at_boundary for grades in outcome.excellent.values()):
        lines.append(f"同分待定的人员由考核办决定：发送「评定优秀 {year} 姓名」或「不评优秀 {year} 姓名」，"
                     "系统发布新版本并通知本人。")
    lines.append("【可推荐评先评优（全区同职级前 1/2）】")
    for level in Rank:
        ranking = outcome.level_rankings.get(level)
        if ranking is not None:
            top = [e.userid for e in ranking.entries if ranking.in_top_half(e.userid)]
            lines.append(f"{RANK_ZH[level]}：{_names(gathered, top)}")
    lines.append("【本单位末位】")
    for case in outcome.last_place:
        flag = case.flag
        person = gathered.people[flag.userid]
        span = f"{flag.years[0]}–{flag.years[-1]} 年" if flag.streak > 1 else f"{flag.years[0]} 年"
        then = f"→ {flag.action_zh}" if case.automatic else f"，但{case.conflict_zh}：不自动安排谈话，由考核办研究决定"
        lines.append(f"· {case_action(case)}：{person.name}（{person.unit.name}），{span}连续 {flag.streak} 年为本单位末位 {then}")
    if not outcome.last_place:
        lines.append("无")
    lines.append(f"（末位只在 {last_place_min} 人及以上的单位认定：人数更少的单位总有人排最后，不说明问题）")
    eligible = sum(1 for e in outcome.promotion.values() if e.eligible)
    lines.append(f"【提拔】{eligible} 人符合提拔的实绩条件，发送「提拔名单 正科级」等查看。")
    if grading is not None and outcome.grades:
        lines += grades_report(year, gathered, outcome, *grading)
    short = sorted({units[str(gathered.people[u].unit.id)] for u, seen in shown.items() if seen.anything_withheld},
                   key=text_key)
    if short:
        lines.append(short_of_raters_zh(short, k))
    if changes:
        lines.append("【与上一版相比的改动】\n" + changes)
    return "\n".join(lines)


# ---- publishing --------------------------------------------------------------------------


def _rows(year: int, version: int, gathered: Gathered, outcome: YearOutcome) -> list[dict[str, object]]:
    cases = {case.flag.userid: case for case in outcome.last_place}
    rows = []
    for result in gathered.results:
        assert result.score is not None and result.quarter_mean is not None
        userid, unit = result.userid, result.unit
        person, democratic = gathered.people[userid], gathered.democratic[userid]
        unit_ranking, level_ranking = outcome.unit_rankings[unit], outcome.level_rankings[result.rank]
        case = cases.get(userid)
        rows.append({
            "year": year, "version": version, "userid": userid, "name": person.name,
            "unit_id": person.unit.id, "unit_name": person.unit.name, "role": person.role,
            "rank_level": result.rank.value, "democratic": str(democratic.score),
            "democratic_raters": democratic.rater_count, "summary_deduction": str(democratic.deduction),
            "unit_result": gathered.unit_results[unit], "quarter_mean": str(result.quarter_mean),
            "quarters": ",".join(map(str, result.quarters_counted)), "weights": weights_text(result.weights),
            "annual": str(result.score),
            "unit_rank": unit_ranking.positions[userid], "unit_size": unit_ranking.size,
            "level_rank": level_ranking.positions[userid], "level_size": level_ranking.size,
            "excellent": outcome.is_excellent(userid, unit), "excellent_tied": outcome.is_tied(userid, unit),
            "promotion_eligible": outcome.promotion[userid].eligible,
            "promotion_reason": outcome.promotion[userid].reason_zh,
            "commendation_eligible": outcome.commendation[userid].eligible,
            "last_place_years": case.flag.streak if case else 0,
            "action": case_action(case) if case else "",
            **_grade_cells(outcome, userid, person),
        })
    return rows


def _grade_cells(outcome: YearOutcome, userid: str, person: Person) -> dict[str, object]:
    proposed = outcome.grades.get(userid)
    if proposed is None:
        return {"grade": None, "category": None, "grade_reason": ""}
    return {"grade": proposed.grade.value, "category": person.category or None, "grade_reason": proposed.reason_zh}


def _figures(row: dict[str, object] | Row) -> dict[str, str]:
    """What a re-publish compares, as the admin reads it (the 等次 by its name)."""
    read = SimpleNamespace(**row) if isinstance(row, dict) else row
    return {field: grade_name(read) if field == "grade" else str(getattr(read, field)) for field in FIGURES_ZH}


async def check_publish(ctx: Ctx, year: int, *, republish: bool = False) -> AnnualPublication | None:
    """The refusals of `publish_year` that cost nothing (said in the reply before a job is
    queued); the version published so far."""
    if not may_open_round(QuarterId(year, 4), ctx.today):  # the year is over with its Q4
        raise Refusal(f"{year} 年到 12月31日才结束，年度结束后才能发布{year}年度结果，未发布。")
    prior = await ctx.store.year.latest_version(year)
    if prior is not None and not republish:
        raise Refusal(
            f"{year} 年度结果已于 {prior.published_at.astimezone(ctx.now.tzinfo):%Y-%m-%d} 发布（第 {prior.version} 版），"
            f"发布后即冻结。如需更正，请发送「发布年度结果 {year} 重新发布」：系统保留原版本并列出改动。"
        )
    return prior


async def publish_year(
    ctx: Ctx, year: int, by: str, *, republish: bool = False, force: bool = False, progress: Progress = no_progress,
) -> str:
    """Publish (or, explicitly, re-publish) `year`; `force` (强制发布) publishes while the
    annual-summary window is still open. Returns the admin's short answer. One unit of work:
    a job rerun after a crash finds either nothing published or the version it committed."""
    prior = await check_publish(ctx, year, republish=republish)
    await progress(0, 3, "正在汇总全年数据")
    gathered = await gather_complete(ctx, year)
    # Only the first version waits: once published, no annual summary is taken, so a
    # re-publish counts the same summaries whenever it runs.
    early = "" if prior is not None else window_guard(
        ctx.settings, ctx.calendar, ctx.today, SummaryPeriod("year", year), force=force,
        command=f"发布年度结果 {year}",
        deducts=f"{sum(1 for d in gathered.democratic.values() if d.deduction)} 人按未交年度总结扣分",
    )
    await progress(1, 3, f"正在计算 {len(gathered.results):,} 人的年度结果")
    outcome = await compute_outcome(ctx, year, gathered, await ctx.store.year.excellent_decisions(year))
    await progress(2, 3, "正在保存并通知本人")
    return await publish_version(ctx, year, by, prior, gathered, outcome) + early


async def gather_complete(ctx: Ctx, year: int) -> Gathered:
    """`gather`, refused (naming every cadre and piece) while any piece is missing."""
    gathered = await gather(ctx, year)
    if not gathered.results:
        raise Refusal("名册中没有需要考核的干部，未发布。")
    if any(r.missing for r in gathered.results):
        raise Refusal(missing_text(year, gathered))
    return gathered


async def compute_outcome(ctx: Ctx, year: int, gathered: Gathered, decisions: dict[str, bool]) -> YearOutcome:
    """What the year decides: quotas from the year's headcounts, the admin's tie decisions,
    who may not be 优秀 (a 公示 objection upheld) and who is by a 复核 decision
    (handlers/services/year_notice.py, year_review.py)."""
    headcounts = Counter(str(p.unit.id) for p in gathered.people.values())
    grading = (await grade_candidates(ctx, year, gathered), ctx.settings.grades)
    barred = await ctx.store.notice.barred(year)
    granted = frozenset(u for u, grade in (await ctx.store.notice.changed_to(year)).items() if grade == "excellent")
    return year_outcome(
        year, gathered.results, await earlier_years(ctx, year), ctx.cfg, headcounts, decisions, grading,
        barred=barred, granted=granted,
    )


async def grade_follow_up(
    ctx: Ctx, year: int, gathered: Gathered, outcome: YearOutcome,
) -> tuple[dict[str, list[str]], list[Consequence]]:
    """Who the 考核办 may want to grade 基本称职/不称职 (review_reasons), and what the rules
    attach to this year's grades given the years before (consequences)."""
    rules = ctx.settings.grades
    streaks = {case.flag.userid: case.flag.streak for case in outcome.last_place}
    review = {}
    for userid, proposed in outcome.grades.items():
        if proposed.grade is not AnnualGrade.competent:
            continue  # already graded otherwise: excellent, recorded or left out
        reasons = review_reasons(ReviewSignals(
            userid, streaks.get(userid, 0), gathered.missing_log_days.get(userid, 0),
            tuple(gathered.quarter_grades.get(userid, ())),
        ), rules)
        if reasons:
            review[userid] = reasons
    history: dict[str, dict[int, AnnualGrade]] = defaultdict(dict)
    earlier = await earlier_years(ctx, year)
    for y, who in earlier.excellent.items():
        for userid in who:
            history[userid][y] = AnnualGrade.excellent
    for y in await ctx.store.year.published_years():
        if y < year and (found := await ctx.store.year.published(y)) is not None:
            for row in found.rows:
                if row.grade is not None:
                    history[row.userid][y] = AnnualGrade(row.grade)
    follow = []
    for userid, proposed in sorted(outcome.grades.items()):
        if proposed.grade is AnnualGrade.competent or proposed.grade in EXCLUDED_GRADES:
            continue  # the rules attach nothing to 称职 or to not being graded
        history[userid][year] = proposed.grade
        follow += consequences(userid, category_of(ctx, gathered.people[userid]), history[userid], year, rules)
    return review, follow


async def publish_version(
    ctx: Ctx, year: int, by: str, prior: AnnualPublication | None, gathered: Gathered, outcome: YearOutcome,
    *, why: str = "", note: str = "更正", may_change: Callable[[Change], bool] | None = None,
) -> str:
    """Freeze `outcome` as the year's next version, tell each cadre whose figures changed and
    the admins. `why` heads the admins' change list, `note` what the cadres read of a later
    version; a change outside `may_change` refuses the whole version."""
    store = ctx.store.year
    version = 1 if prior is None else prior.version + 1
    rows = _rows(year, version, gathered, outcome)
    changed = {str(r["userid"]) for r in rows}
    changes_text = ""
    if prior is not None:
        before = await store.published(year, version=prior.version)
        assert before is not None
        changes = publication_changes(
            {r.userid: _figures(r) for r in before.rows}, {str(r["userid"]): _figures(r) for r in rows}
        )
        if not changes:
            raise Refusal(f"重新计算的 {year} 年度结果与第 {prior.version} 版完全相同，未重新发布。")
        names = {r.userid: r.name for r in before.rows} | {str(r["userid"]): str(r["name"]) for r in rows}
        unexpected = [c for c in changes if may_change is not None and not may_change(c)]
        if unexpected:
            raise Refusal(
                f"自第 {prior.version} 版发布以来，年度数据还有其他改动，未作任何更改：\n{changes_lines(unexpected, names)}\n"
                f"请先「发布年度结果 {year} 重新发布」发布这些改动，再作此决定。"
            )
        changed = {c.userid for c in changes}
        changes_text = (f"{why}\n" if why else "") + changes_lines(changes, names)
    await store.save_publication(
        AnnualPublication(year=year, version=version, published_by=by, published_at=ctx.now, changes=changes_text),
        rows,
    )
    # Someone who has left since keeps the published row and gets no message.
    notified = {u for u in changed if ctx.directory.get(u) is not None}
    head = f"📊 {year}年度考核结果" + (f"（{note}，第 {version} 版）" if version > 1 else "")
    k = ctx.cfg.min_group_size
    shown = {
        str(r["userid"]): row_shown(SimpleNamespace(**r), gathered.quarter_raters.get(str(r["userid"]), {}), k)
        for r in rows
    }
    await ctx.store.outbox.enqueue_many(
        (
            Push(f"year-result:{year}:{version}:{row.userid}", row.userid, "text",
                 json.dumps({"content": head + "\n" + breakdown_text(row, shown[row.userid], k)}, ensure_ascii=False),
                 ctx.now)
            # Plain namespaces: building 100,000 SQLModel objects would cost more than the rest.
            for row in (SimpleNamespace(**r) for r in rows) if row.userid in notified
        ),
        ctx.now,
    )
    await ctx.audit("year.republish" if version > 1 else "year.publish", f"{year} version {version}: {len(rows)} people, {len(notified)} notified")
    admins = list(ctx.settings.admin.userids)
    if admins:
        review, follow = await grade_follow_up(ctx, year, gathered, outcome)
        categories = {u: category_of(ctx, p) for u, p in gathered.people.items()}
        report = report_text(year, version, gathered, outcome, changes_text, shown, k, ctx.cfg.last_place_min_unit_size,
                             (categories, review, follow))
        await ctx.store.outbox.enqueue(f"year-report:{year}:{version}", admins, "text", {"content": report}, ctx.now)
    short = sorted({str(r["unit_name"]) for r in rows if shown[str(r["userid"])].anything_withheld}, key=text_key)
    return (
        f"✅ 已发布{year}年度考核结果（第 {version} 版）：{len(rows)} 人，{len(notified)} 人已收到本人结果；"
        "各职级最高最低分、优秀、评先、末位名单已发给考核办。"
        + (f"\n{short_of_raters_zh(short, k)}" if short else "")
        + (f"\n与第 {version - 1} 版相比的改动：\n{changes_text}" if changes_text else "")
    )
