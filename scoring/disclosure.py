"""Which rater-based figures a viewer may be shown (R-RATE-5 for every figure): the one rule.

A published figure that rests on raters — a quarter score (its raters), a group mean (that
group's raters), a democratic score (its evaluators), and whatever is computed from them (the
quarter mean and the annual composite) — is shown only if it aggregates at least `k` raters
other than the viewer. `k` is `ScoringConfig.min_group_size` (default 3): the setting that
already kept group means to groups of 3 now keeps every figure to 3 raters. Below it the
figure is withheld with `withheld_zh(k)`; scores are still computed and still rank, grade and
decide exactly as before: only what is shown changes.

Why each part of the rule:

- *Other than the viewer.* A rater knows their own score: a main leader who rated a
  colleague and sees that colleague's total subtracts their own part and is left with the
  other raters' part. It must still aggregate `k`. Callers that cannot tell cheaply whether
  the viewer rated a cadre say `viewer_may_be_rater=True` (every cadre who looks at someone
  else's figure); only the cadre themself and the admin are never raters of the figure.
- *Group means.* Shown only if the total is and every group that rated the cadre has `k`
  raters besides the viewer: the total minus the big groups' means would reveal a small one.
- *Composites.* The annual composite is w_d·D + w_u·U + w_q·mean(Q) with U public: shown next
  to the quarter scores it reveals D, next to D it reveals mean(Q). So it (and the quarter
  mean) is shown only when every rater-based part is.
- *Counts.* A rater count below `k` is never printed (「1 人」 names who gave the figure);
  `count_zh` says 「不足 3 人」.
- *Places.* A place is the number of scores strictly above plus one: it bounds a score and
  never equals it. A cadre sees their own place among scores they are not shown; not, for a
  withheld score, their place in the unit when they also see the unit's list (a main
  leader, `own_unit_place_shown`): sharing a shown colleague's place would equate the two. In a
  list, a withheld entry is shown without score and without place — a place shared with a
  shown neighbour (a tie) would pin it to that neighbour's score; the shown entries keep
  their true places, which count only the scores strictly above them, so a withheld score
  is only bounded by its shown neighbours (it lies above the first shown score whose place
  it moved and at or below the one before), never equated to one. Extremes and charts use
  shown scores only.

`tests/scoring/test_disclosure_property.py` states the promise as linear algebra: every
figure a viewer is shown, as rows over the individual scores, plus the viewer's own scores,
never determines another single rater's score.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from scoring.ranking import Ranking
from scoring.types import RaterGroup


def withheld_zh(k: int) -> str:
    """The reason a withheld figure gives in its place."""
    return f"评分人不足 {k} 人，为保护匿名不公布"


def count_zh(raters: int, k: int) -> str:
    """A rater count as it may be printed: 「5 人」, or 「不足 3 人」 below `k`."""
    return f"{raters} 人" if raters >= k else f"不足 {k} 人"


def shows(raters: int, k: int, *, viewer_may_be_rater: bool = False) -> bool:
    """A figure aggregating `raters` raters may be shown: `k` of them besides the viewer."""
    return raters - (1 if viewer_may_be_rater else 0) >= k


@dataclass(frozen=True, slots=True)
class QuarterShown:
    """What of one published quarter result a viewer may be shown."""

    score: bool  # the score, the weighted total before deductions, a chart bar, a list line
    group_means: bool  # each group's mean next to the score

    @property
    def place_in_list(self) -> bool:
        """A list shows the place of an entry only with its score (see the module doc)."""
        return self.score


def quarter_shown(
    rater_counts: Mapping[RaterGroup, int], k: int, *, viewer_may_be_rater: bool = False
) -> QuarterShown:
    """The rule for a quarter result, from its raters per group."""
    present = [n for n in rater_counts.values() if n]
    score = shows(sum(present), k, viewer_may_be_rater=viewer_may_be_rater)
    means = score and all(shows(n, k, viewer_may_be_rater=viewer_may_be_rater) for n in present)
    return QuarterShown(score, means)


@dataclass(frozen=True, slots=True)
class YearShown:
    """What of one published year a viewer may be shown."""

    democratic: bool
    quarters: Mapping[int, bool]  # each counted quarter's score
    composite: bool  # the annual score; a list shows the place with it

    @property
    def quarter_mean(self) -> bool:
        """The mean of the counted quarters: shown when each of them is."""
        return all(self.quarters.values())

    @property
    def anything_withheld(self) -> bool:
        return not (self.democratic and self.composite and all(self.quarters.values()))


def year_shown(
    democratic_raters: int, quarter_raters: Mapping[int, int], k: int, *, viewer_may_be_rater: bool = False
) -> YearShown:
    """The rule for a year: `quarter_raters` gives each counted quarter's rater total."""
    democratic = shows(democratic_raters, k, viewer_may_be_rater=viewer_may_be_rater)
    quarters = {q: shows(n, k, viewer_may_be_rater=viewer_may_be_rater) for q, n in quarter_raters.items()}
    return YearShown(democratic, quarters, democratic and all(quarters.values()))


def shown_ranking(ranking: Ranking, shown: Callable[[str], bool]) -> Ranking:
    """The entries of `ranking` whose scores may be shown, with the places they were ranked
    at: what lists, extremes and charts are drawn from. Withheld entries join `unranked`
    only in the sense that they show no score; callers name them apart."""
    entries = tuple(e for e in ranking.entries if shown(e.userid))
    return Ranking.of(entries, ranking.unranked)


def own_unit_place_shown(score_shown: bool, sees_unit_list: bool) -> bool:
    """Whether a cadre is told their own place in their unit: always with a shown score; with
    a withheld one only if they do not also see the unit's list (scoring.visibility: a main
    leader does), where a place shared with a shown colleague would reveal the score."""
    return score_shown or not sees_unit_list


def short_of_raters_zh(units: list[str], k: int) -> str:
    """The admin's note after publishing: which units need approved extra raters."""
    return (
        f"【匿名保护】以下单位有干部的得分评分人不足 {k} 人，已不公布（本人、领导和导出中都不显示，"
        f"排名、评优照常计算）：{'、'.join(units)}。请这些单位的主要领导发送「增加参评 姓名…」"
        "提议增加参评人员，经考核办批准后从下一轮起生效。"
    )
