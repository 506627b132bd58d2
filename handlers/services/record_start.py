"""Where each person's record begins (issue 26 §7): the later of go-live and the day they
joined (scoring.golive.record_start). Views, exports and the archive list days from there
and say once why there is nothing before it, so no earlier day reads as missed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from handlers.render.records import before_record
from handlers.services.golive import go_live_date
from scoring.golive import joined_on, record_start
from scoring.roster import Placement
from scoring.rule_settings import RuleSettings
from storage.directory import Directory, Person
from storage.repos import Store


@dataclass(frozen=True)
class RecordStart:
    day: date
    began: str  # 「系统 2026-09-01 上线」 or 「吴昊 2026-10-12 起参加考核」

    @property
    def note(self) -> str:
        """Said once where a view reaches back before `day`."""
        return before_record(self.began)

    def note_for(self, logged_before: bool) -> str:
        return before_record(self.began, logged_before)

    def first_listed(self, start: date) -> date:
        return max(start, self.day)


def start_of(live: date | None, history: Sequence[Placement], person: Person) -> RecordStart | None:
    """None before any roster (no go-live, nobody joined)."""
    joined = joined_on(history)
    day = record_start(live, joined)
    if day is None:
        return None
    if live is not None and day == live:
        return RecordStart(day, f"系统 {live.isoformat()} 上线")
    return RecordStart(day, f"{person.name} {day.isoformat()} 起参加考核")


async def record_start_of(store: Store, settings: RuleSettings, directory: Directory, person: Person) -> RecordStart | None:
    history = (await store.roster.placements([person.userid])).get(person.userid, [])
    return start_of(go_live_date(settings, directory), history, person)


async def record_starts(
    store: Store, settings: RuleSettings, directory: Directory, people: Sequence[Person]
) -> dict[str, RecordStart]:
    """`record_start_of` for many people: one query."""
    live = go_live_date(settings, directory)
    history = await store.roster.placements()
    return {
        p.userid: found for p in people
        if (found := start_of(live, history.get(p.userid, []), p)) is not None
    }
