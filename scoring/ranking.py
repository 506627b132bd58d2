"""Rankings (R-YEAR-4): within a unit and district-wide within a rank level.

Rankings use the published (rounded) scores, so two cadres who are shown the same figure
share a rank. Ties share the best position and the next position skips ("competition"
ranking: 1, 2, 2, 4). Cadres without a score are not ranked; they are listed in
`Ranking.unranked` so a report can say why they are absent. Entries with the same score are
listed by userid, so the order never depends on the input's order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter

from scoring.bulk import bulk, quick_init
from scoring.types import Rank, Scored


@quick_init
@dataclass(frozen=True, slots=True)
class RankedEntry:
    userid: str
    score: Decimal
    position: int  # 1-based competition rank


@dataclass(frozen=True, slots=True)
class Ranking:
    """A ranking, best first. Build it with `competition_ranking`.

    Held as columns (`userids`, `scores`, `places`, best first): a province's rankings hold
    hundreds of thousands of places, and most readers want one column or one cadre's
    position. `entries` makes the `RankedEntry` records on first use only.
    """

    userids: tuple[str, ...]
    scores: tuple[Decimal, ...]
    places: tuple[int, ...]  # 1-based competition rank of userids[i]
    unranked: tuple[str, ...]
    positions: Mapping[str, int]  # userid -> position, for "what is my rank?"
    _entries: list[tuple[RankedEntry, ...]] = field(
        default_factory=list, init=False, repr=False, compare=False
    )  # the lazily made `entries`, once

    @classmethod
    def of(cls, entries: Iterable[RankedEntry], unranked: tuple[str, ...]) -> Ranking:
        """A ranking of ready-made entries (best first), e.g. a filtered copy of another."""
        made = tuple(entries)
        return cls(
            tuple(e.userid for e in made), tuple(e.score for e in made),
            tuple(e.position for e in made), unranked, {e.userid: e.position for e in made},
        )

    @property
    def entries(self) -> tuple[RankedEntry, ...]:
        if not self._entries:
            self._entries.append(tuple(map(RankedEntry, self.userids, self.scores, self.places)))
        return self._entries[0]

    @property
    def size(self) -> int:
        """Number of ranked cadres (the n of "n 人中排第 k 名")."""
        return len(self.userids)

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
    userids = [userid for userid, _ in pairs]
    if len(set(userids)) != len(userids):
        seen: set[str] = set()
        for userid in userids:
            if userid in seen:
                raise ValueError(f"{userid!r} appears twice in one ranking")
            seen.add(userid)
    scored = [pair for pair in pairs if pair[1] is not None]
    unranked = tuple(sorted(userid for userid, score in pairs if score is None)) if len(scored) < len(pairs) else ()
    # Two stable sorts: userid ascending, then score descending, keeps ties in userid order
    # without building negated Decimal keys.
    scored.sort(key=_first)
    scored.sort(key=_second, reverse=True)

    ranked_ids = [userid for userid, _ in scored]
    ranked_scores: list[Decimal] = [score for _, score in scored]
    places: list[int] = []
    previous: Decimal | None = None
    position = 0
    for index, score in enumerate(ranked_scores, start=1):
        if score != previous:
            position, previous = index, score
        places.append(position)
    return Ranking(
        tuple(ranked_ids), tuple(ranked_scores), tuple(places), unranked,
        dict(zip(ranked_ids, places, strict=True)),
    )


_first = itemgetter(0)
_second = itemgetter(1)


@bulk
def rank_within_units(results: Iterable[Scored]) -> dict[str, Ranking]:
    """One ranking per unit."""
    by_unit: defaultdict[str, list[tuple[str, Decimal | None]]] = defaultdict(list)
    for result in results:
        by_unit[result.unit].append((result.userid, result.score))
    return {unit: competition_ranking(pairs) for unit, pairs in by_unit.items()}


@bulk
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
    if not ranking.userids:
        return None
    scores = ranking.scores
    highest, lowest = scores[0], scores[-1]
    return Extremes(
        ranking.size,
        highest,
        tuple(u for u, s in zip(ranking.userids, scores, strict=True) if s == highest),
        lowest,
        tuple(u for u, s in zip(ranking.userids, scores, strict=True) if s == lowest),
    )


def level_extremes(level_rankings: Mapping[Rank, Ranking]) -> dict[Rank, Extremes]:
    """`extremes` per rank level, leaving out levels with nobody ranked."""
    found = {level: extremes(ranking) for level, ranking in level_rankings.items()}
    return {level: value for level, value in found.items() if value is not None}
