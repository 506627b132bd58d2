"""R-LOG-4 / R-RATE-7: who may see a unit's logs and results, as a table."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.types import Role
from scoring.visibility import (
    RankingView,
    Sight,
    may_read_logs_of,
    may_see_entry,
    may_see_unit,
    ranking_view,
)
from tests.scoring.calendars import Someone, people

OWN, OVERSEEN, OTHER = 1, 2, 3
LOGS, RESULTS = Sight.logs, Sight.results

VIEWERS = {
    "superior": Someone("sup", Role.superior, OWN, frozenset({OVERSEEN})),
    "main_leader": Someone("boss", Role.main_leader, OWN),
    "leadership": Someone("vice", Role.leadership, OWN),
    "staff": Someone("clerk", Role.staff, OWN),
    "inactive main_leader": Someone("gone", Role.main_leader, OWN, active=False),
    "inactive superior": Someone("retired", Role.superior, OWN, frozenset({OVERSEEN}), active=False),
    "unknown": None,
}

# viewer -> (logs of own, overseen, other unit), (results of own, overseen, other unit)
TABLE = {
    "superior": ((True, True, False), (False, True, False)),
    "main_leader": ((True, False, False), (True, False, False)),
    "leadership": ((True, False, False), (False, False, False)),
    "staff": ((True, False, False), (False, False, False)),
    "inactive main_leader": ((False, False, False), (False, False, False)),
    "inactive superior": ((False, False, False), (False, False, False)),
    "unknown": ((False, False, False), (False, False, False)),
}


@pytest.mark.parametrize("name", TABLE)
def test_visibility_table(name):
    viewer = VIEWERS[name]
    for sight, row in zip((LOGS, RESULTS), TABLE[name], strict=True):
        seen = tuple(may_see_unit(viewer, False, unit, sight) for unit in (OWN, OVERSEEN, OTHER))
        assert seen == row, (name, sight)


@given(st.none() | people, st.integers(1, 3), st.sampled_from(list(Sight)))
def test_an_admin_sees_everything(viewer, unit, sight):
    assert may_see_unit(viewer, True, unit, sight)


@given(st.none() | people, st.integers(1, 3))
def test_whoever_may_see_a_units_results_may_read_its_logs(viewer, unit):
    if may_see_unit(viewer, False, unit, RESULTS):
        assert may_see_unit(viewer, False, unit, LOGS)


@given(st.none() | people, st.booleans(), people)
def test_a_persons_logs_are_readable_exactly_when_their_units_are(viewer, is_admin, target):
    readable = may_read_logs_of(viewer, is_admin, target)
    if target.role == Role.superior or not target.active:
        assert not readable  # superior leaders write no logs; former cadres are not listed
    else:
        assert readable == may_see_unit(viewer, is_admin, target.unit_id, LOGS)


# ---- rankings (R-CHAT-4): what of a ranking each viewer sees, then which entries ----

WHOLE, UNITS, OWN_PLACE, NONE = RankingView.whole, RankingView.units, RankingView.own, RankingView.none

# viewer -> view of the ranking of (own unit, overseen unit, other unit, a rank level)
RANKING_TABLE = {
    "superior": (NONE, WHOLE, NONE, UNITS),
    "main_leader": (WHOLE, NONE, NONE, OWN_PLACE),
    "leadership": (OWN_PLACE, NONE, NONE, OWN_PLACE),
    "staff": (OWN_PLACE, NONE, NONE, OWN_PLACE),
    "inactive main_leader": (NONE, NONE, NONE, NONE),
    "inactive superior": (NONE, NONE, NONE, NONE),
    "unknown": (NONE, NONE, NONE, NONE),
}


@pytest.mark.parametrize("name", RANKING_TABLE)
def test_ranking_table(name):
    viewer = VIEWERS[name]
    seen = tuple(ranking_view(viewer, False, unit) for unit in (OWN, OVERSEEN, OTHER, None))
    assert seen == RANKING_TABLE[name]


# entry (whose, of which unit) -> shown under (whole, units, own, none), for the superior
# "sup" overseeing OVERSEEN and the staff member "clerk" of OWN.
ENTRY_TABLE = {
    ("superior", "x", OVERSEEN): (True, True, False, False),
    ("superior", "x", OTHER): (True, False, False, False),
    ("staff", "clerk", OWN): (True, False, True, False),
    ("staff", "boss", OWN): (True, False, False, False),
    ("unknown", "x", OWN): (True, False, False, False),
}


@pytest.mark.parametrize("case", ENTRY_TABLE)
def test_entry_table(case):
    name, userid, unit = case
    shown = tuple(may_see_entry(VIEWERS[name], view, userid, unit) for view in (WHOLE, UNITS, OWN_PLACE, NONE))
    assert shown == ENTRY_TABLE[case]


@given(st.none() | people, st.sampled_from([1, 2, 3, None]))
def test_an_admin_sees_every_ranking_whole(viewer, unit):
    assert ranking_view(viewer, True, unit) is RankingView.whole


@given(st.none() | people, st.booleans(), st.sampled_from([1, 2, 3, None]), people)
def test_no_view_shows_another_cadre_unless_whole_or_overseen(viewer, is_admin, unit, other):
    """Whatever the asker, an entry of someone else shows only in a whole ranking they may see,
    or in a rank level restricted to the units they oversee as a superior leader."""
    view = ranking_view(viewer, is_admin, unit)
    if viewer is not None and other.userid != viewer.userid and may_see_entry(viewer, view, other.userid, other.unit_id):
        assert view is RankingView.whole or (
            view is RankingView.units and viewer.role == Role.superior and other.unit_id in viewer.oversees
        )
        if view is RankingView.whole and unit is not None and not is_admin:
            assert may_see_unit(viewer, False, unit, RESULTS)
