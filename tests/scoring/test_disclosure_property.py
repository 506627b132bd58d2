"""The anonymity promise as linear algebra (R-RATE-5, issue 21's small groups).

Every figure a viewer is shown — quarter scores, group means, democratic scores, quarter
means and annual composites — is a linear function of the individual scores (rater → ratee
per quarter) and democratic lines (evaluator → ratee: the line's mark total, which is all the
product adds up), up to constants the viewer may know (deductions, the unit's result). The
viewer also knows every score and line they gave. The promise: no other single rater's score
or line is determined, i.e. no unit vector e_i of another rater's variable lies in the row
space of [figures; the viewer's own unit vectors]. Knowing a variable removes its column, so
the test drops the viewer's own columns and checks rank([M; e_i]) == rank(M) + 1 for every
other variable.

The figures are built with the product's own pieces: who rates whom (`groups.assignments`,
`year_end.evaluation_assignments`), the group weights scoring used (`score_quarter`'s
`weights_used`), the annual weights (`ScoringConfig.annual_weights`) and the disclosure rule
(`scoring.disclosure`). Places are not rows: they count scores strictly above and bound a
score without equating it. Only a tie could equate two scores (a linear row X − Y = 0); a list
shows a withheld entry without its place, and a main leader, who sees his unit's list, is not
told a withheld place of his own in it, so no viewer sees a withheld score share a place with
another figure (`tests/scoring/test_disclosure.py` shows a list cannot tell a tie from a
score just below).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.config import ScoringConfig
from scoring.disclosure import quarter_shown, year_shown
from scoring.groups import assignments
from scoring.quarter import QuarterInput, score_quarter
from scoring.types import Member, Rank, RaterGroup, Role, UnitCategory
from scoring.year_end import evaluation_assignments

ADMIN = "admin"


@dataclass(frozen=True)
class Unit:
    members: tuple[Member, ...]
    extras: tuple[str, ...]  # approved extra raters (参评), cadres of other units
    superior: str | None  # a superior who rates the main leader and oversees the unit
    absent: tuple[frozenset[str], ...]  # per quarter: raters who never hand in
    absent_dem: frozenset[str]  # evaluators who never hand in
    k: int


Var = tuple[str, ...]  # ("q", quarter, rater, ratee) or ("d", evaluator, ratee)
Row = dict[Var, Fraction]


@dataclass(frozen=True)
class Figures:
    """Every figure of the unit as rows, with who stands behind each."""

    quarter: dict[tuple[int, str], tuple[Row, dict[RaterGroup, list[str]]]]  # (q, ratee) -> total, groups
    democratic: dict[str, tuple[Row, list[str]]]


def figures(unit: Unit) -> Figures:
    cfg = ScoringConfig(min_group_size=unit.k)
    cards = assignments(unit.members, unit.extras, cfg, unit.superior)
    quarter: dict[tuple[int, str], tuple[Row, dict[RaterGroup, list[str]]]] = {}
    for q, absent in enumerate(unit.absent, start=1):
        for ratee in (m for m in unit.members if m.role is not Role.superior):
            groups: dict[RaterGroup, list[str]] = {}
            for card in cards:
                if card.ratee == ratee.userid and card.rater not in absent:
                    groups.setdefault(card.group, []).append(card.rater)
            if not groups:
                continue
            # The weights scoring itself used for these groups (any valid scores will do).
            used = score_quarter(QuarterInput(
                ratee.userid, "u", UnitCategory.district_unit, ratee.role, Rank.general,
                {g: [70] * len(raters) for g, raters in groups.items()},
            ), cfg).weights_used
            row = {("q", str(q), r, ratee.userid): used[g] / len(raters) for g, raters in groups.items() for r in raters}
            quarter[(q, ratee.userid)] = (row, groups)
    democratic: dict[str, tuple[Row, list[str]]] = {}
    for evaluator, ratee in evaluation_assignments(unit.members, unit.extras, cfg):
        if evaluator not in unit.absent_dem:
            democratic.setdefault(ratee, ({}, []))[1].append(evaluator)
    for ratee, (row, evaluators) in democratic.items():
        row.update({("d", e, ratee): Fraction(1, len(evaluators)) for e in evaluators})
    return Figures(quarter, democratic)


def _mean_row(rows: list[Row]) -> Row:
    out: Row = {}
    for row in rows:
        for var, c in row.items():
            out[var] = out.get(var, Fraction(0)) + c / len(rows)
    return out


def _composite(unit: Unit, figs: Figures, ratee: Member) -> Row | None:
    """w_d·D + w_q·mean(Q) (the unit result is public: a constant). None: not published."""
    quarters = [figs.quarter[(q, ratee.userid)][0] for q in range(1, len(unit.absent) + 1)
                if (q, ratee.userid) in figs.quarter]  # an unrated quarter is excused
    if ratee.userid not in figs.democratic or not quarters:
        return None
    weights = ScoringConfig().annual_weights(ratee.role)
    out = {var: Fraction(weights.quarters) * c for var, c in _mean_row(quarters).items()}
    for var, c in figs.democratic[ratee.userid][0].items():
        out[var] = Fraction(weights.democratic) * c
    return out


Rule = Callable[[Unit, Figures, Member, bool], list[Row]]


def shown_by_product(unit: Unit, figs: Figures, ratee: Member, other_viewer: bool) -> list[Row]:
    """The rows of `ratee`'s figures that `scoring.disclosure` lets a viewer see.

    `other_viewer`: a cadre looking at someone else's figures (a main leader's or superior's
    list), who may be one of the raters; False for the cadre themself and the admin, who see
    the whole explanation (group means included).
    """
    rows: list[Row] = []
    quarter_raters: dict[int, int] = {}
    for q in range(1, len(unit.absent) + 1):
        found = figs.quarter.get((q, ratee.userid))
        if found is None:
            continue
        row, groups = found
        quarter_raters[q] = sum(map(len, groups.values()))
        shown = quarter_shown({g: len(r) for g, r in groups.items()}, unit.k, viewer_may_be_rater=other_viewer)
        if shown.score:
            rows.append(row)
        if shown.group_means and not other_viewer:
            rows += [{("q", str(q), r, ratee.userid): Fraction(1, len(raters)) for r in raters}
                     for raters in groups.values()]
    composite = _composite(unit, figs, ratee)
    if composite is not None:
        dem_row, evaluators = figs.democratic[ratee.userid]
        year = year_shown(len(evaluators), quarter_raters, unit.k, viewer_may_be_rater=other_viewer)
        if year.democratic and not other_viewer:
            rows.append(dem_row)
        if year.composite:
            rows.append(composite)
        if year.quarter_mean and not other_viewer:
            rows.append(_mean_row([figs.quarter[(q, ratee.userid)][0] for q in quarter_raters]))
    return rows


def shown_before_issue_21(unit: Unit, figs: Figures, ratee: Member, other_viewer: bool) -> list[Row]:
    """Today's main: every total, the democratic score and the composite; group means only
    where every group had `min_group_size` raters."""
    rows: list[Row] = []
    for q in range(1, len(unit.absent) + 1):
        found = figs.quarter.get((q, ratee.userid))
        if found is None:
            continue
        row, groups = found
        rows.append(row)
        if not other_viewer and all(len(r) >= unit.k for r in groups.values()):
            rows += [{("q", str(q), r, ratee.userid): Fraction(1, len(raters)) for r in raters}
                     for raters in groups.values()]
    composite = _composite(unit, figs, ratee)
    if composite is not None:
        if not other_viewer:
            rows.append(figs.democratic[ratee.userid][0])
        rows.append(composite)
    return rows


def seen_by(unit: Unit, viewer: str, rule: Rule) -> list[Row]:
    """Every figure `viewer` is shown: their own 我的得分; a main leader's 本单位 list; a
    superior's list of the unit they oversee; the admin's everything (exports, rankings)."""
    figs = figures(unit)
    ratees = [m for m in unit.members if m.role is not Role.superior]
    rows: list[Row] = []
    viewer_member = next((m for m in ratees if m.userid == viewer), None)
    for ratee in ratees:
        if viewer == ADMIN or ratee.userid == viewer:
            rows += rule(unit, figs, ratee, False)
        elif viewer == unit.superior or (viewer_member is not None and viewer_member.role is Role.main_leader):
            rows += rule(unit, figs, ratee, True)
    return rows


def determined(unit: Unit, viewer: str, rule: Rule) -> list[Var]:
    """Other raters' variables that the figures `viewer` sees (and their own) pin down."""
    rows = seen_by(unit, viewer, rule)
    unknown = sorted({var for row in rows for var in row if var[-2] != viewer})
    if not unknown:
        return []
    index = {var: i for i, var in enumerate(unknown)}
    matrix = np.zeros((len(rows), len(unknown)))
    for r, row in enumerate(rows):
        for var, c in row.items():
            if var in index:  # the viewer's own variables are known: their columns drop out
                matrix[r, index[var]] = float(c)
    rank = np.linalg.matrix_rank(matrix)
    found = []
    for var, i in index.items():
        unit_row = np.zeros((1, len(unknown)))
        unit_row[0, i] = 1.0
        if np.linalg.matrix_rank(np.vstack([matrix, unit_row])) == rank:
            found.append(var)
    return found


# ---- the sample district's 团区委 ----------------------------------------------------------

LV, SHI, ZHANG = "tqw_lvxiao", "tqw_shiyan", "tqw_zhangchen"
TUANQUWEI = Unit(
    members=(Member(LV, Role.main_leader), Member(SHI, Role.leadership), Member(ZHANG, Role.staff)),
    extras=(), superior=None,
    absent=(frozenset({ZHANG}),), absent_dem=frozenset({ZHANG}), k=3,
)


def test_today_rule_lets_the_main_leader_recover_single_scores_in_tuanquwei() -> None:
    """Positive control: before issue 21, 吕潇's own 「互评 1 人 94.00」 is 施燕's score, and
    his colleague 张晨's total minus his own part (4:3) is 施燕's score for 张晨."""
    leaked = determined(TUANQUWEI, LV, shown_before_issue_21)
    assert ("q", "1", SHI, LV) in leaked
    assert ("q", "1", SHI, ZHANG) in leaked
    assert ("d", SHI, LV) in leaked  # 「民主测评 75.60 分（1 人测评）」
    assert ("q", "1", LV, SHI) in determined(TUANQUWEI, SHI, shown_before_issue_21)  # her own score is his
    assert determined(TUANQUWEI, ADMIN, shown_before_issue_21)


def test_the_disclosure_rule_leaves_nobody_in_tuanquwei_a_single_score() -> None:
    for viewer in (LV, SHI, ZHANG, ADMIN):
        assert determined(TUANQUWEI, viewer, shown_by_product) == [], viewer


# ---- every unit ---------------------------------------------------------------------------


@st.composite
def units(draw: st.DrawFn) -> tuple[Unit, str]:
    size = draw(st.integers(2, 12))
    leaders = draw(st.integers(0, min(4, size - 1)))
    members = [Member("m0", Role.main_leader)]
    members += [Member(f"m{i}", Role.leadership) for i in range(1, leaders + 1)]
    members += [Member(f"m{i}", Role.staff) for i in range(leaders + 1, size)]
    extras = tuple(f"x{i}" for i in range(draw(st.integers(0, 4))))
    superior = draw(st.sampled_from([None, "sup"]))
    everyone = [m.userid for m in members] + list(extras) + ([superior] if superior else [])
    quarters = draw(st.integers(1, 2))
    absent = tuple(frozenset(draw(st.sets(st.sampled_from(everyone)))) for _ in range(quarters))
    absent_dem = frozenset(draw(st.sets(st.sampled_from(everyone))))
    unit = Unit(tuple(members), extras, superior, absent, absent_dem, draw(st.sampled_from([2, 3, 4])))
    viewers = [m.userid for m in members] + list(extras) + ([superior] if superior else []) + [ADMIN]
    return unit, draw(st.sampled_from(viewers))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(units())
def test_no_viewer_ever_determines_another_raters_score(case: tuple[Unit, str]) -> None:
    unit, viewer = case
    assert determined(unit, viewer, shown_by_product) == []
