"""The fast province scoring publishes exactly what the rules published before (issue 25, item 5).

Random provinces go through the production rules and through the oracle (today's rules frozen
at main 3a5f2e6 in tests/scoring/oracle/): every figure must be the same Decimal with the same
digits, every rank, tie, flag, reason and list identical.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from decimal import Decimal
from enum import Enum
from fractions import Fraction
from itertools import chain
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scoring.annual as fast_annual
import scoring.quarter as fast_quarter
import scoring.ranking as fast_ranking
import scoring.use as fast_use
from scoring.config import ScoringConfig
from scoring.rounding import from_hundredths, round_ratio, round_score
from scoring.types import Rank, RaterGroup, Role, UnitCategory
from tests.scoring.oracle import annual as old_annual
from tests.scoring.oracle import quarter as old_quarter
from tests.scoring.oracle import ranking as old_ranking
from tests.scoring.oracle import use as old_use

YEAR = 2026

CONFIGS = (
    ScoringConfig(),
    # A group that weighs nothing, odd deductions that land on half-hundredths, groups of 2.
    ScoringConfig(
        group_weights={c: {"lead": 0, "peer": 1, "other": 1} for c in UnitCategory},
        log_deduction_per_day=Decimal("0.125"), log_deduction_cap=Decimal("3.375"),
        quarter_summary_deduction=Decimal("0.005"), annual_summary_deduction=Decimal("1.125"),
        min_group_size=2, excellent_share=Decimal("0.3"), excellent_min_unit_size=2,
    ),
    ScoringConfig(
        group_weights={
            UnitCategory.township: {"lead": "0.5", "peer": "0.25", "other": "0.25"},
            UnitCategory.district_unit: {"lead": 1, "peer": 0, "other": 0},
            UnitCategory.sub_unit: {"lead": 3, "peer": 3, "other": 1},
        },
        score_min=0, score_max=100, high_score=90, min_group_size=5,
        annual_weights_main_leader=(Decimal("0.15"), Decimal("0.35"), Decimal("0.5")),
        annual_weights_other=(Decimal("0.125"), Decimal("0.125"), Decimal("0.75")),
        promotion_window_years=1,
    ),
)


def plain(value: Any) -> Any:
    """A comparable form that tells apart anything a user could see: Decimal digits included."""
    if isinstance(value, Decimal):
        return ("D", str(value))
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (str, int, Fraction)) or value is None:
        return value
    if isinstance(value, (fast_ranking.Ranking, old_ranking.Ranking)):  # columns today, records before
        return ("Ranking", plain(value.entries), plain(value.unranked), plain(value.positions))
    if dataclasses.is_dataclass(value):
        return (type(value).__name__, *(plain(getattr(value, f.name)) for f in dataclasses.fields(value)))
    if isinstance(value, Mapping):
        return [(plain(k), plain(v)) for k, v in value.items()]
    if isinstance(value, (list, tuple, frozenset, set)):
        items = [plain(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    raise TypeError(f"plain: {type(value)}")


# --- a random province -------------------------------------------------------------------

scores_of = st.lists(st.one_of(st.integers(50, 100), st.sampled_from((60, 75, 90, 100))), max_size=9)


@st.composite
def cadre(draw: st.DrawFn, unit: str, index: int) -> dict[str, Any]:
    role = draw(st.sampled_from((Role.main_leader, Role.leadership, Role.staff)))
    groups = {}
    for group in RaterGroup:
        if draw(st.booleans()):  # a group may be absent altogether or present but empty
            groups[group] = draw(scores_of)
    return {
        "userid": f"{unit}-{draw(st.sampled_from('abcxyz'))}{index:02d}",
        "unit": unit,
        "role": role,
        "rank": draw(st.sampled_from(tuple(Rank))),
        "groups": groups,
        "missing_log_days": draw(st.sampled_from((0, 0, 0, 1, 2, 3, 7, 27, 50, 61))),
        "missing_quarter_summary": draw(st.booleans()),
        "ballots": draw(st.lists(st.tuples(*[st.integers(50, 100)] * 5), max_size=6)),
        "missing_annual_summary": draw(st.booleans()),
        "democratic_missing": draw(st.integers(0, 19)) == 0,
        "later": [draw(published) for _ in range(3)],
        "excused": draw(st.frozensets(st.integers(1, 4), max_size=4)),
        "excellent_years": draw(st.lists(st.integers(YEAR - 5, YEAR), max_size=2)),
    }


published = st.one_of(
    st.none(),
    st.integers(0, 10000).map(from_hundredths),
    st.sampled_from((Decimal("88.5"), Decimal("90"), Decimal("75.00"), Decimal("80.10"), Decimal("0"))),
)
unit_result = st.one_of(
    st.none(),
    st.integers(0, 10000).map(from_hundredths),
    st.sampled_from((Decimal("87.125"), Decimal("100"), Decimal("66.6"), Decimal("0.005"), Decimal("93.1234"))),
)


@st.composite
def province(draw: st.DrawFn) -> tuple[ScoringConfig, list[dict[str, Any]], dict[str, Any]]:
    cfg = draw(st.sampled_from(CONFIGS))
    people: list[dict[str, Any]] = []
    unit_results: dict[str, Any] = {}
    for u in range(draw(st.integers(1, 5))):
        unit = f"{u:02d}"
        size = draw(st.one_of(st.integers(1, 6), st.integers(1, 40)))
        category = draw(st.sampled_from(tuple(UnitCategory)))
        for i in range(size):
            person = draw(cadre(unit, i))
            person["category"] = category
            people.append(person)
        unit_results[unit] = draw(unit_result)
    seen: set[str] = set()
    people = [p for p in people if not (p["userid"] in seen or seen.add(p["userid"]))]  # type: ignore[func-returns-value]
    return cfg, people, unit_results


def quarter_inputs(module: Any, people: list[dict[str, Any]]) -> list[Any]:
    return [
        module.QuarterInput(
            p["userid"], p["unit"], p["category"], p["role"], p["rank"], p["groups"],
            p["missing_log_days"], p["missing_quarter_summary"],
        )
        for p in people
    ]


def year_of(
    q: Any, an: Any, rk: Any, use: Any, cfg: ScoringConfig,
    people: list[dict[str, Any]], unit_results: dict[str, Any], marks: bool,
) -> list[Any]:
    """The bench's whole quarter and year with one set of rule modules; everything they output."""
    quarter = q.score_quarters(quarter_inputs(q, people), cfg)
    out: list[Any] = [quarter, rk.rank_within_units(quarter), rk.rank_within_levels(quarter)]
    inputs = []
    for p, result in zip(people, quarter, strict=True):
        if marks:
            democratic = an.democratic_from_marks(
                bytes(chain.from_iterable(p["ballots"])), p["missing_annual_summary"], cfg
            )
        else:
            democratic = an.democratic_score(p["ballots"], p["missing_annual_summary"], cfg)
        out.append(democratic)
        later = p["later"]
        inputs.append(an.AnnualInput(
            p["userid"], p["unit"], p["role"], p["rank"],
            None if p["democratic_missing"] else democratic.score,
            unit_results[p["unit"]],
            {k: v for k, v in {1: result.score, 2: later[0], 3: later[1], 4: later[2]}.items()
             if v is not None or k == 1},
            p["excused"],
        ))
    results = an.annual_scores(inputs, cfg)
    units = rk.rank_within_units(results)
    levels = rk.rank_within_levels(results)
    history = {p["userid"]: p["excellent_years"] for p in people}
    candidates = {r.userid: r.rank for r in results}
    earlier = {YEAR - 1: rk.rank_within_units(quarter), YEAR - 2: units}
    out += [
        results, units, levels, rk.level_extremes(levels),
        use.excellent_by_unit(results, cfg),
        use.excellent_by_unit(results, cfg, None, units) if use is fast_use else use.excellent_by_unit(results, cfg),
        use.eligible_for_promotion(levels, history, YEAR, cfg, candidates),
        [use.promotion_eligibility(p["userid"], levels, p["excellent_years"], YEAR, cfg, False) for p in people],
        [use.commendation_eligibility(p["userid"], levels, YEAR) for p in people],
        # The province's forms (scoring.year_end.year_outcome) against the oracle's one by one.
        use.promotions(levels, history, YEAR, cfg, list(history)) if use is fast_use else
        {u: use.promotion_eligibility(u, levels, years, YEAR, cfg) for u, years in history.items()},
        use.commendations(levels, YEAR, list(history)) if use is fast_use else
        {u: use.commendation_eligibility(u, levels, YEAR) for u in history},
        use.last_place_flags({**earlier, YEAR: units}, YEAR),
        use.last_place_flags({YEAR - 1: units, YEAR: rk.rank_within_units(quarter)}, YEAR),
    ]
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(province(), st.booleans())
def test_a_province_scores_exactly_as_before(drawn: tuple[ScoringConfig, list[dict[str, Any]], dict[str, Any]], marks: bool) -> None:
    cfg, people, unit_results = drawn
    fast = year_of(fast_quarter, fast_annual, fast_ranking, fast_use, cfg, people, unit_results, marks)
    old = year_of(old_quarter, old_annual, old_ranking, old_use, cfg, people, unit_results, False)
    assert len(fast) == len(old)
    for got, want in zip(fast, old, strict=True):
        assert plain(got) == plain(want)


@given(st.lists(st.tuples(st.text("abc", min_size=1, max_size=3), st.one_of(st.none(), published)), max_size=30))
def test_a_ranking_of_any_figures_is_as_before(pairs: list[tuple[str, Decimal | None]]) -> None:
    unique = list(dict(pairs).items())
    assert plain(fast_ranking.competition_ranking(unique)) == plain(old_ranking.competition_ranking(unique))
    if len(unique) < len(pairs):
        for rank in (fast_ranking.competition_ranking, old_ranking.competition_ranking):
            try:
                rank(pairs)
            except ValueError as error:
                assert "appears twice" in str(error)
            else:
                raise AssertionError("a userid twice in one ranking must be refused")


@given(st.integers(-10**7, 10**7), st.integers(1, 10**5))
def test_every_ratio_rounds_as_before(numerator: int, denominator: int) -> None:
    assert str(round_ratio(numerator, denominator)) == str(old_round_ratio(numerator, denominator))


def old_round_ratio(numerator: int, denominator: int) -> Decimal:
    from tests.scoring.oracle.rounding import round_ratio as oracle
    return oracle(numerator, denominator)


def test_half_way_figures_round_half_up_to_the_cent() -> None:
    assert str(round_ratio(88125, 1000)) == "88.13"
    assert str(round_ratio(-88125, 1000)) == "-88.13"
    assert str(round_ratio(88124999, 1000000)) == "88.12"
    assert str(round_ratio(1, 200)) == "0.01"  # 0.005
    assert str(round_ratio(0, 7)) == "0.00"
    assert str(round_score(Decimal("79.995"))) == "80.00"
    assert str(round_score(Fraction(2, 3))) == "0.67"
    assert str(round_ratio(10**9 + 5, 10**7)) == "100.00"  # 100.0000005, beyond the shared table: same digits
    assert str(round_ratio(10**13, 1)) == "10000000000000.00"


def test_a_quarter_half_way_to_the_cent_rounds_up() -> None:
    """One peer rating 80 and two other ratings 85, 86 under 3:1 weights: 80·3/4 + 85.5/4 =
    81.375 → 81.38; a day's 0.125 and a summary's 0.005 deduct 0.13, and 81.245 rounds up to 81.25."""
    cfg = ScoringConfig(
        group_weights={c: {"lead": 0, "peer": 3, "other": 1} for c in UnitCategory},
        log_deduction_per_day=Decimal("0.125"), quarter_summary_deduction=Decimal("0.005"),
    )
    inp = fast_quarter.QuarterInput(
        "u1", "1", UnitCategory.township, Role.staff, Rank.general,
        {RaterGroup.peer: [80], RaterGroup.other: [85, 86]}, 1, True,
    )
    result = fast_quarter.score_quarter(inp, cfg)
    assert (str(result.raw_score), str(result.score), str(result.deduction)) == ("81.38", "81.25", "0.13")


def test_compact_marks_refuse_what_ballots_refuse() -> None:
    cfg = ScoringConfig()
    for ballots in ([(50, 60, 70, 80, 101)], [(49, 60, 70, 80, 90)], [(0, 0, 0, 0, 0)]):
        with pytest.raises(ValueError, match=r"\[50, 100\]"):
            fast_annual.democratic_score(ballots, False, cfg)
        with pytest.raises(ValueError, match=r"\[50, 100\]"):
            fast_annual.democratic_from_marks(bytes(chain.from_iterable(ballots)), False, cfg)
    with pytest.raises(ValueError, match="5 scores"):
        fast_annual.democratic_from_marks(bytes([60, 70, 80, 90]), False, cfg)


def outcome(action: Any) -> Any:
    try:
        return plain(action())
    except (ValueError, TypeError) as error:
        return (type(error).__name__, str(error))


@given(
    st.dictionaries(
        st.sampled_from(tuple(RaterGroup)),
        st.lists(st.one_of(st.integers(40, 110), st.sampled_from((60.0, Decimal(70), True))), max_size=4),
    ),
    st.integers(-1, 3),
)
def test_a_bad_quarter_is_refused_as_before(groups: dict[RaterGroup, list[Any]], days: int) -> None:
    cfg = ScoringConfig()
    args = ("u1", "1", UnitCategory.township, Role.staff, Rank.general, groups, days, False)
    assert outcome(lambda: fast_quarter.score_quarter(fast_quarter.QuarterInput(*args), cfg)) == outcome(
        lambda: old_quarter.score_quarter(old_quarter.QuarterInput(*args), cfg)
    )
