"""Who was in which unit, in which role and at which rank, on a day or for a period.

The roster changes through the year (transfers, promotions, retirements, newcomers). Each
change is a `Placement`: a person's whole roster line from its effective day until the next
one. Owed log days, a quarter's rating groups and a year's rank levels and excellent quotas
all read the roster through these functions, so a change dated 10-15 counts from 10-15 for
every rule alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from scoring.types import Rank, Role

# The effective day of the roster a district started with: it held "since always", so days
# before the first import are judged by it (and logs.start_date) rather than by the import day.
BEGINNING = date(1900, 1, 1)

Span = tuple[date, date]  # first and last day, both included


@dataclass(frozen=True, slots=True)
class Placement:
    """One roster line of one person, in force from `effective` until their next line."""

    effective: date
    unit: str
    role: Role
    rank: Rank | None
    active: bool

    @property
    def serving(self) -> bool:
        """An active cadre: owes logs and is rated (superior leaders and leavers are not)."""
        return self.active and self.role is not Role.superior

    def same_post(self, other: Placement) -> bool:
        return (self.unit, self.role, self.rank, self.active) == (other.unit, other.role, other.rank, other.active)


class PeriodRule(StrEnum):
    """Which roster line decides a person's unit, role and rank for a whole period."""

    end = "end"  # the line in force on the period's last day (公务员考核: 由现所在单位考核)
    longest = "longest"  # the line in force for most days of the period; a tie goes to the later


def placement_on(history: Sequence[Placement], day: date) -> Placement | None:
    """The line in force on `day` (None before the person's first line)."""
    current = None
    for line in sorted(history, key=lambda p: p.effective):
        if line.effective > day:
            break
        current = line
    return current


def _stretches(history: Sequence[Placement], start: date, end: date) -> list[tuple[Placement, Span]]:
    """Each line clipped to [start, end], adjacent lines with the same post merged."""
    ordered = sorted(history, key=lambda p: p.effective)
    out: list[tuple[Placement, Span]] = []
    for index, line in enumerate(ordered):
        until = ordered[index + 1].effective - timedelta(days=1) if index + 1 < len(ordered) else end
        first, last = max(line.effective, start), min(until, end)
        if first > last:
            continue
        if out and out[-1][0].same_post(line) and out[-1][1][1] + timedelta(days=1) == first:
            # Keep the later line: it carries the newest name and position.
            out[-1] = (line, (out[-1][1][0], last))
        else:
            out.append((line, (first, last)))
    return out


def serving_spans(history: Sequence[Placement], start: date, end: date) -> list[Span]:
    """The stretches of [start, end] during which the person was an active cadre.

    Logs are owed and reminders sent only inside them: a newcomer from their first day, a
    leaver up to the day before they left.
    """
    spans: list[Span] = []
    for line, (first, last) in _stretches(history, start, end):
        if not line.serving:
            continue
        if spans and spans[-1][1] + timedelta(days=1) == first:
            spans[-1] = (spans[-1][0], last)
        else:
            spans.append((first, last))
    return spans


def within(spans: Iterable[Span], day: date) -> bool:
    return any(first <= day <= last for first, last in spans)


def placement_for_period(
    history: Sequence[Placement], start: date, end: date, rule: PeriodRule
) -> Placement | None:
    """The line that puts a person in a unit, a rater group and a rank level for a period.

    None when they were not an active cadre under that rule (joined after, left before, a
    superior leader): they are then neither rated nor ranked for the period, and keep
    whatever history they have.
    """
    if rule is PeriodRule.end:
        line = placement_on(history, end)
        return line if line is not None and line.serving else None
    best: tuple[int, date, Placement] | None = None
    for line, (first, last) in _stretches(history, start, end):
        if not line.serving:
            continue
        candidate = ((last - first).days + 1, first, line)
        if best is None or candidate[:2] >= best[:2]:
            best = candidate
    return best[2] if best is not None else None
