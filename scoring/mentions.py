"""Which colleagues a log names as taking part (issue 26, item 4): 「与李四、王五一起…」,
「和李四…」, 「@李四」.

Only names from `names` are ever found — the caller passes the people the author may see and
who may read the log — so 「与群众一起」 finds nobody, and a name the author may not see is
never resolved, even when someone of that name exists elsewhere. A name is read only right
after a word that joins people (与 和 同 跟 会同 协同 陪同) or an @, or as the next item of a
list begun that way (「与李四、王五及赵六」), never from the middle of a word.
"""

from __future__ import annotations

from collections.abc import Collection

from scoring.plain_text import fold

# Words after which a name means "together with".
JOINERS = ("会同", "协同", "陪同", "与", "和", "同", "跟", "@")
# Between two names of one list.
LIST_SEPARATORS = frozenset("、，, 　和与及跟同")


def may_name_colleagues(text: str) -> bool:
    """Whether `text` has a word that joins people at all: without one it names nobody, and
    nobody's names need looking up (most logs: the callback's hot path asks this first)."""
    folded = fold(text)
    return any(joiner in folded for joiner in JOINERS)


def named_colleagues(text: str, names: Collection[str]) -> list[str]:
    """The names in `names` that `text` says took part, in order of first mention, each once."""
    if not names:
        return []
    folded = fold(text)
    if not any(joiner in folded for joiner in JOINERS):
        return []
    longest_first = sorted({n for n in names if n}, key=len, reverse=True)
    found: list[str] = []
    at = 0
    while at < len(folded):
        joiner = next((j for j in JOINERS if folded.startswith(j, at)), None)
        if joiner is None:
            at += 1
            continue
        at += len(joiner)
        # The list after the joiner: a name, then any number of (separators, name).
        while (named := _name_at(folded, at, longest_first)) is not None:
            name, at = named
            if name not in found:
                found.append(name)
            gap = at
            while gap < len(folded) and folded[gap] in LIST_SEPARATORS:
                gap += 1
            if gap == at or folded.startswith("@", gap):
                break
            if _name_at(folded, gap, longest_first) is None:
                break
            at = gap
    return found


def _name_at(text: str, at: int, longest_first: list[str]) -> tuple[str, int] | None:
    """The name starting at `at` (after an optional @: 「和@李四」) and where it ends."""
    if at < len(text) and text[at] == "@":
        at += 1
    while at < len(text) and text[at] in " \u3000":  # 「@ 李四」「和 李四」
        at += 1
    name = next((n for n in longest_first if text.startswith(n, at)), None)
    return None if name is None else (name, at + len(name))
