"""How much a person may be reminded (issue 26, item 8): at most a budget of reminders a day
across every kind, none in quiet hours, and none of today's log nudge once they said
「今天不提醒」.

The jobs decide who is due; these rules decide whether a due reminder may go now. Times are
the business clock's (Asia/Shanghai): quiet hours are a promise about the cadre's evening.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from scoring.plain_text import fold


@dataclass(frozen=True)
class QuietHours:
    """[start, end) on the clock face; start after end spans midnight (21:00–08:00), and
    start == end means no quiet hours at all."""

    start: time
    end: time

    def contains(self, moment: datetime) -> bool:
        face = moment.timetz().replace(tzinfo=None)
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= face < self.end
        return face >= self.start or face < self.end

    def began_before(self, end_instant: datetime) -> datetime:
        """The start of the quiet spell that ends at `end_instant` (a moment at `end`)."""
        started = end_instant.replace(hour=self.start.hour, minute=self.start.minute,
                                      second=self.start.second, microsecond=0)
        return started if started < end_instant else started - timedelta(days=1)


def next_slot(sent_today: int, budget: int) -> int | None:
    """The number today's next reminder to a person would be (1 = their first today), or None
    when `sent_today` already used the budget. The slot is what the database keeps unique per
    person and day, so two replicas cannot both send someone their last allowed reminder."""
    return sent_today + 1 if 0 <= sent_today < budget else None


def obsolete(about: date, today: date) -> bool:
    """A reminder held back (quiet hours) about a day that has since ended is no use: the
    next day's own reminders say what is still owed."""
    return about < today


# 「今天不提醒」 and what people type for it: 今日/今天, 不/别/不要/不用/无需/不必/勿/免, an
# optional 再, an optional 我, and a trailing 了/啦/吧 or punctuation.
_MUTE = re.compile(
    r"^(请)?(今天|今日)(先)?(不|别|不要|不用|无需|不必|勿|免)(再)?(提醒|催)(我)?(了|啦|吧|哈|啊)*$"
)


def is_mute_request(text: str) -> bool:
    """Whether `text` asks to skip today's log nudge (「今天不提醒」「今日别提醒了！」)."""
    bare = re.sub(r"[\s\W_]+", "", fold(text))
    return bool(_MUTE.match(bare))
