"""R-LOG-4 / R-RATE-7: who may see a unit's logs and results, as a table."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.types import Role
from scoring.visibility import Sight, may_read_logs_of, may_see_unit
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
