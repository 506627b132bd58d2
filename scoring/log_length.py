"""How long a day's log and each part appended to it may be (R-LOG-1).

A log must carry real content: its Chinese characters, letters and digits
(scoring.plain_text.content_chars) count against the minimum, a part appended to the day's
log against a smaller one. The maximum is on the day's whole log as stored: every
character, each part after a newline. Chat and the batched hot path ask the same question
here; handlers word the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from scoring.plain_text import content_chars


class LengthFault(StrEnum):
    EMPTY = "empty"  # no content character at all
    SHORT = "short"  # the day's first text, below the minimum
    SHORT_PART = "short_part"  # a part appended to the day's log, below its minimum
    LONG = "long"  # the day's whole log, once the text is added, above the maximum


@dataclass(frozen=True, slots=True)
class LogLength:
    words: int  # content characters of the text
    total: int  # characters of the day's log once the text is added
    fault: LengthFault | None  # None: the text may be stored


def log_length(
    text: str, existing: int | None, *, min_chars: int, append_min_chars: int, max_chars: int
) -> LogLength:
    """`text` as the day's log (`existing` None) or as a part appended, after a newline, to
    the day's log of `existing` characters."""
    words = content_chars(text)
    total = len(text) if existing is None else existing + 1 + len(text)
    if words == 0:
        fault: LengthFault | None = LengthFault.EMPTY
    elif existing is not None and words < append_min_chars:
        fault = LengthFault.SHORT_PART
    elif existing is None and words < min_chars:
        fault = LengthFault.SHORT
    elif total > max_chars:
        fault = LengthFault.LONG
    else:
        fault = None
    return LogLength(words, total, fault)
