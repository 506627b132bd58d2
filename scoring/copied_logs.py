"""Copied and boilerplate logs (issue 26, item 5): flagged for the author's main leader and the
admin, never deducted and never shown to colleagues.

A log is flagged when its substance — what is left once sentences about recurring duties (值班,
例会 …) are set aside — nearly repeats one of the author's own logs of the days before, or a
unit colleague's log of the same days, or when it is mostly template phrases. A day that is
only recurring duties has no substance to copy and is never flagged: 「全天值班」 twice is a
rota, not a copy.

Near-duplicates are MinHash estimates of the Jaccard similarity of character 3-grams
(datasketch): one 64-number signature a log, compared only where the question lies (an
author's recent days, a unit's same days), so a province's quarter is a few minutes and its
memory a few hundred bytes a log.
"""

from __future__ import annotations

import re
import zlib
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cache

import numpy as np
from datasketch import MinHash

from scoring.plain_text import fold

NUM_PERM = 64
SHINGLE = 3
_SCHEME = "affine32"
# Sentences end at these; a sentence naming a recurring duty is routine, with what it goes on to
# say about that duty (「全天值班，受理咨询10件」).
_SENTENCE = re.compile(r"[。；;！!？?\n]+")
_NOT_CONTENT = re.compile(r"[^\w]|_")


class Flag(StrEnum):
    own_repeat = "own_repeat"  # nearly repeats the author's own earlier log
    colleague_copy = "colleague_copy"  # nearly repeats a unit colleague's log of the same days
    boilerplate = "boilerplate"  # mostly template phrases


@dataclass(frozen=True)
class CopyRules:
    """The thresholds (settings [trust], scoring/rule_settings.py)."""

    own_similarity: float = 0.7
    own_lookback_days: int = 14
    colleague_similarity: float = 0.8
    colleague_days: int = 1  # a colleague's log this many days apart or less counts as "same days"
    template_share: float = 0.5
    min_substance_chars: int = 12
    routine_words: tuple[str, ...] = ()
    template_phrases: tuple[str, ...] = ()


@dataclass(frozen=True)
class DayLog:
    author: str
    unit_id: int
    day: date
    content: str
    # When it was first written (POSIX seconds): of two alike logs of colleagues, the later
    # one is the copy.
    written: float = 0.0


@dataclass(frozen=True)
class Flagged:
    author: str
    day: date
    flag: Flag
    like_author: str | None = None  # the log it repeats (None for boilerplate)
    like_day: date | None = None
    similarity: float = 0.0


def content_chars(text: str) -> str:
    return _NOT_CONTENT.sub("", fold(text))


def substance(content: str, routine_words: Iterable[str]) -> str:
    """The content characters of the sentences that name no recurring duty."""
    words = tuple(routine_words)
    kept = [c for c in _SENTENCE.split(fold(content)) if not any(w in c for w in words)]
    return content_chars("".join(kept))


def template_share(content: str, phrases: Iterable[str]) -> float:
    """The share of a log's content characters that template phrases cover."""
    text = content_chars(content)
    if not text:
        return 0.0
    covered = bytearray(len(text))
    for bare in _bare_phrases(tuple(phrases)):
        start = text.find(bare)
        while start != -1:
            covered[start : start + len(bare)] = b"\x01" * len(bare)
            start = text.find(bare, start + 1)
    return sum(covered) / len(text)


@cache
def _bare_phrases(phrases: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(bare for phrase in phrases if (bare := content_chars(phrase)))


def _grams(text: str) -> list[bytes]:
    return [g.encode() for g in {text[i : i + SHINGLE] for i in range(max(1, len(text) - SHINGLE + 1))}]


def signatures(texts: Iterable[str]) -> list[np.ndarray]:
    """The MinHash signature of each text's character 3-grams (a short text: the text itself),
    from one MinHash state reused for all (datasketch's generator)."""
    return [
        np.asarray(minhash.hashvalues, dtype=np.uint32)
        for minhash in MinHash.generator(
            (_grams(text) for text in texts),
            num_perm=NUM_PERM, seed=26, hashfunc=zlib.crc32, scheme=_SCHEME,
        )
    ]


def signature(text: str) -> np.ndarray:
    return signatures([text])[0]


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """The MinHash estimate of two signatures' Jaccard similarity."""
    return float(np.count_nonzero(a == b)) / NUM_PERM


def flag_logs(logs: Sequence[DayLog], rules: CopyRules, start: date, end: date) -> list[Flagged]:
    """Flags of the logs dated in [start, end]; `logs` also holds the days before that their
    own repeats are looked for in (own_lookback_days) and the colleagues' days around them."""
    flags: dict[tuple[str, date], Flagged] = {}
    judged = [log for log in logs if start <= log.day <= end]
    for log in judged:
        if template_share(log.content, rules.template_phrases) >= rules.template_share:
            flags[(log.author, log.day)] = Flagged(log.author, log.day, Flag.boilerplate)
    bodies = [(log, substance(log.content, rules.routine_words)) for log in logs]
    bodies = [(log, body) for log, body in bodies if len(body) >= rules.min_substance_chars]
    signed = list(zip([log for log, _ in bodies], signatures(body for _, body in bodies), strict=True))
    by_author: dict[str, list[tuple[DayLog, np.ndarray]]] = defaultdict(list)
    by_unit_day: dict[tuple[int, date], list[tuple[DayLog, np.ndarray]]] = defaultdict(list)
    for log, sig in signed:
        by_author[log.author].append((log, sig))
        by_unit_day[(log.unit_id, log.day)].append((log, sig))
    lookback = timedelta(days=rules.own_lookback_days)
    for own in by_author.values():
        own.sort(key=lambda pair: pair[0].day)
        matrix = np.stack([sig for _, sig in own])
        days = [log.day for log, _ in own]
        for index, (log, sig) in enumerate(own):
            if not start <= log.day <= end or (log.author, log.day) in flags:
                continue
            first = bisect_left(days, log.day - lookback)
            if first >= index:
                continue
            scores = np.count_nonzero(matrix[first:index] == sig, axis=1) / NUM_PERM
            best = int(np.argmax(scores))
            if scores[best] >= rules.own_similarity:
                like = own[first + best][0]
                flags[(log.author, log.day)] = Flagged(
                    log.author, log.day, Flag.own_repeat, like.author, like.day, float(scores[best])
                )
    for (unit, day), here in by_unit_day.items():
        if not start <= day <= end:
            continue
        around = [
            pair for offset in range(-rules.colleague_days, rules.colleague_days + 1)
            for pair in by_unit_day.get((unit, day + timedelta(days=offset)), ())
        ]
        if len(around) < 2:
            continue
        # Every log of the day against every log around it at once: (here × around) scores,
        # a pair that cannot be a copy (the same author, or not written before) scoring -1.
        mine = np.stack([sig for _, sig in here])
        theirs = np.stack([sig for _, sig in around])
        scores = np.count_nonzero(mine[:, None, :] == theirs[None, :, :], axis=2) / NUM_PERM
        authors = np.array([o.author for o, _ in around])
        written = np.array([o.written for o, _ in around])
        for row, (log, _) in enumerate(here):
            if (log.author, log.day) in flags:
                continue
            allowed = (authors != log.author) & (written < log.written)
            if not allowed.any():
                continue
            candidates = np.where(allowed, scores[row], -1.0)
            best = int(np.argmax(candidates))
            if candidates[best] >= rules.colleague_similarity:
                like = around[best][0]
                flags[(log.author, log.day)] = Flagged(
                    log.author, log.day, Flag.colleague_copy, like.author, like.day, float(candidates[best])
                )
    return sorted(flags.values(), key=lambda f: (f.day, f.author))


