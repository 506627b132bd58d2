"""Handing in a rater's whole ballot (R-RATE-3..5): every rule at once, over every unit.

A rater may hold cards for more than one unit (their own and a small unit they were
approved for); each unit is its own ballot for the 90+ cap (`ballot.check_ballot`). On top
of the per-unit rules, a ballot is complete only when every assigned ratee has a score.
The same check decides, at round close, whether an unsubmitted draft is handed in for the
rater (valid) or dropped (invalid).
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from scoring.ballot import BallotCheck, check_ballot
from scoring.config import ScoringConfig

U = TypeVar("U", bound=Hashable)  # what a unit is keyed by (its id, in the rating round)


@dataclass(frozen=True, slots=True)
class HandinCheck(Generic[U]):
    """`ballots` per unit (each with its violations), and the assigned ratees not yet scored."""

    ballots: Mapping[U | None, BallotCheck]
    unanswered: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.unanswered and all(check.ok for check in self.ballots.values())


def check_handin(
    scores: Mapping[str, int],
    assigned: Mapping[U, Collection[str]],
    headcounts: Mapping[U, int],
    cfg: ScoringConfig,
    *,
    rater: str,
) -> HandinCheck[U]:
    """Check a rater's draft (ratee -> score) against their cards, grouped by unit.

    `assigned` maps a unit to the ratees this rater has cards for there; `headcounts` gives
    each unit's number of ratees (the base of the 30% cap). A score for someone without a
    card is reported by `check_ballot` under the unit it is filed with; scores that match no
    unit at all are checked as a ballot of their own under the key None.
    """
    owner = {ratee: unit for unit, ratees in assigned.items() for ratee in ratees}
    per_unit: dict[U | None, dict[str, int]] = {unit: {} for unit in assigned}
    for ratee, score in scores.items():
        per_unit.setdefault(owner.get(ratee), {})[ratee] = score
    ballots: dict[U | None, BallotCheck] = {}
    for unit, ballot in per_unit.items():
        allowed = assigned.get(unit, ()) if unit is not None else ()
        headcount = headcounts.get(unit, max(1, len(allowed))) if unit is not None else 1
        ballots[unit] = check_ballot(
            ballot, headcount, cfg, rater=rater, allowed_ratees=frozenset(allowed)
        )
    unanswered = tuple(sorted(ratee for ratee in owner if ratee not in scores))
    return HandinCheck(ballots, unanswered)
