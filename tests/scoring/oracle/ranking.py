"""ORACLE: scoring/ranking.py frozen verbatim from main at 3a5f2e6, before the fast rewrite of issue 25
item 5 (only the imports of sibling oracle modules differ). The property tests compare the production
rules against it; do not edit it, it is the reference, not a second implementation.

Rankings (R-YEAR-4): within a unit and district-wide within a rank level.

Rankings use the published (rounded) scores, so two cadres who are shown the same figure
share a rank. Ties share the best position and the next position skips ("competition"
ranking: 1, 2, 2, 4). Cadres without a score are not ranked; they are listed in
`Ranking.unranked` so a report can say why they are absent. Entries with the same score are
listed by userid, so the order never depends on the input's order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from scoring.types import Rank, Scored


@dataclass(frozen=True, slots=True)
class RankedEntry:
    userid: str
    score: Decimal
    position: int  # 1-based competition rank


@dataclass(frozen=True, slots=True)
class Ranking:
    """A ranking, best first. Build it with `competition_ranking`."""

    entries: tuple[RankedEntry, ...]
    unranked: tuple[str, ...]
    positions: Mapping[str, int]  # userid -> position, for "what is my rank?"

    @property
    def size(self) -> int:
        """Number of ranked cadres (the n of "n 人中排第 k 名")."""
        return len(self.entries)

    def position_of(self, userid: str) -> int | None:
        return self.positions.get(userid)

    def in_top_half(self, userid: str) -> bool:
        """Position ≤ n/2 (前 1/2). Tied cadres share the tie's best position.

        With n = 5 that is positions 1 and 2; a lone cadre (n = 1) is not in a top half.
        """
        position = self.positions.get(userid)
        return position is not None and 2 * position <= self.size


def competition_ranking(scores: Mapping[str, Decimal | None] | Iterable[tuple[str, Decimal | None]]) -> Ranking:
    """Rank (userid, score) pairs by score, highest first, ties sharing a position."""
    pairs = list(scores.items() if isinstance(scores, Mapping) else scores)
    seen: set[str] = set()
    for userid, _ in pairs:
        if userid in seen:
            raise ValueError(f"{userid!r} appears twice in one ranking")
        seen.add(userid)
    scored = [(userid, score) for userid, score in pairs if score is not None]
    unranked = tuple(sorted(userid for userid, score in pairs if score is None))
    # Two stable sorts: userid ascending, then score descending, keeps ties in userid order
    # without building negated Decimal keys.
    scored.sort(key=lambda pair: pair[0])
    scored.sort(key=lambda pair: pair[1], reverse=True)

    entries: list[RankedEntry] = []
    positions: dict[str, int] = {}
    previous: Decimal | None = None
    position = 0
    for index, (userid, score) in enumerate(scored, start=1):
        if score != previous:
            position, previous = index, score
        entries.append(RankedEntry(userid, score, position))
        positions[userid] = position
    return Ranking(tuple(entries), unranked, positions)


def rank_within_units(results: Iterable[Scored]) -> dict[str, Ranking]:
    """One ranking per unit."""
    by_unit: defaultdict[str, list[tuple[str, Decimal | None]]] = defaultdict(list)
    for result in results:
        by_unit[result.unit].append((result.userid, result.score))
    return {unit: competition_ranking(pairs) for unit, pairs in by_unit.items()}


def rank_within_levels(results: Iterable[Scored]) -> dict[Rank, Ranking]:
    """One district-wide ranking per rank level (正科级 / 副科级 / 一般干部)."""
    by_level: defaultdict[Rank, list[tuple[str, Decimal | None]]] = defaultdict(list)
    for result in results:
        by_level[result.rank].append((result.userid, result.score))
    return {level: competition_ranking(pairs) for level, pairs in by_level.items()}


@dataclass(frozen=True, slots=True)
class Extremes:
    """Highest and lowest score of one ranking, with everyone who has them (ties)."""

    count: int
    highest: Decimal
    highest_userids: tuple[str, ...]
    lowest: Decimal
    lowest_userids: tuple[str, ...]


def extremes(ranking: Ranking) -> Extremes | None:
    """Highest and lowest of a ranking (the seed's "最高分 … 最低分 …"); None if empty."""
    if not ranking.entries:
        return None
    highest = ranking.entries[0].score
    lowest = ranking.entries[-1].score
    return Extremes(
        ranking.size,
        highest,
        tuple(e.userid for e in ranking.entries if e.score == highest),
        lowest,
        tuple(e.userid for e in ranking.entries if e.score == lowest),
    )


def level_extremes(level_rankings: Mapping[Rank, Ranking]) -> dict[Rank, Extremes]:
    """`extremes` per rank level, leaving out levels with nobody ranked."""
    found = {level: extremes(ranking) for level, ranking in level_rankings.items()}
    return {level: value for level, value in found.items() if value is not None}
