"""Colleagues' confirmation of a log (issue 26, item 4): a log that names colleagues who took
part (scoring/mentions.py) sends each a one-tap card 「确认参与」/「未参与」; 查看 shows the
confirmed names beside the log, and a 「未参与」 only to the author and their unit's main leader.

Only colleagues the author may see and who may read the log (scoring/visibility.py) are looked
for, so nobody else's name is ever resolved or revealed; two colleagues of one name are not
guessed between. Each (log, colleague) is asked once (storage/mention_repo.py), so an append
naming them again, or a retried callback, sends no second card.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from handlers.base import day_label
from handlers.cards import fit_desc, new_task_id
from scoring.mentions import may_name_colleagues, named_colleagues
from scoring.types import Role
from scoring.visibility import may_read_logs_of
from storage.directory import Directory, Person, listed_names
from storage.mention_repo import CONFIRMED, DENIED
from storage.models_trust import LogMention
from storage.repos import Store

MENTION_PREFIX = "mention-"
ANSWERS = {"yes": CONFIRMED, "no": DENIED}
_EXCERPT = 100  # characters of the log on the card (sub_title_text: WeCom advises 160 at most)


def _colleagues(directory: Directory, author: Person) -> dict[str, list[Person]]:
    """By name: who the author may name, people the author may see who may read the log."""
    units = {author.unit_id, *author.oversees}
    by_name: dict[str, list[Person]] = {}
    for unit in units:
        for person in directory.members(unit):
            if (
                person.userid != author.userid
                and may_read_logs_of(author, False, person)
                and may_read_logs_of(person, False, author)
            ):
                by_name.setdefault(person.name, []).append(person)
    return by_name


def names_a_colleague(directory: Directory, author: Person | None, text: str) -> bool:
    """Whether `text` names a colleague: such a log is written the ordinary way, which asks.
    Who the author's colleagues are is worked out only for a text that could name one."""
    if author is None or not may_name_colleagues(text):
        return False
    return bool(named_colleagues(text, _colleagues(directory, author).keys()))


def mention_card(task_id: str, author: Person, day: date, content: str, decided: str | None = None) -> dict[str, Any]:
    excerpt = content if len(content) <= _EXCERPT else content[: _EXCERPT - 1] + "…"
    card: dict[str, Any] = {
        "card_type": "button_interaction",
        "source": {"desc": "实绩考核助手"},
        "main_title": {"title": "同事日志：请确认是否参与", "desc": fit_desc(author.label, f"{day.month}月{day.day}日", " ")},
        "sub_title_text": f"日志中写到与您一起：{excerpt}",
        "horizontal_content_list": [
            {"keyname": "写日志人", "value": author.name},
            {"keyname": "日期", "value": day_label(day)},
        ],
        "task_id": task_id,
        "button_list": [
            {"text": "确认参与", "style": 1, "key": "yes"},
            {"text": "未参与", "style": 2, "key": "no"},
        ],
    }
    if decided is not None:
        card["replace_text"] = decided
    return card


def decided_text(status: str) -> str:
    return "已确认参与" if status == CONFIRMED else "已回复：未参与"


async def ask_colleagues(store: Store, directory: Directory, author: Person, day: date, content: str, now: datetime) -> str:
    """Send a card to each colleague `content` names who was not asked about this log yet;
    the line the author's reply adds ('' when none)."""
    by_name = _colleagues(directory, author)
    asked: list[Person] = []
    alike: list[str] = []
    for name in named_colleagues(content, by_name.keys()):
        people = by_name[name]
        if len(people) > 1:
            alike.append(name)
            continue
        colleague = people[0]
        mention_id = await store.mentions.ask(author.userid, day, colleague.userid, now)
        if mention_id is None:
            continue  # asked about this log before
        card = mention_card(new_task_id(MENTION_PREFIX, mention_id), author, day, content)
        await store.outbox.enqueue(f"mention-card:{mention_id}", [colleague.userid], "template_card", {"card": card}, now)
        asked.append(colleague)
    lines = []
    if asked:
        lines.append(f"已请{'、'.join(listed_names(asked))}确认参与（各收到一张卡片）。")
    if alike:
        lines.append(f"本单位有不止一位「{'」「'.join(alike)}」，无法确定是哪一位，没有发确认卡片。")
    return "\n".join(lines)


@dataclass(frozen=True)
class Answered:
    mention: LogMention
    changed: bool  # False: answered before (a second tap, another device)


async def record_answer(store: Store, directory: Directory, mention: LogMention, status: str, now: datetime) -> Answered:
    """The colleague's answer, once; a 「未参与」 is told to the author and their unit's main
    leader (never to anyone else)."""
    assert mention.id is not None
    if not await store.mentions.answer(mention.id, status, now):
        await store.session.refresh(mention)
        return Answered(mention, False)
    await store.session.refresh(mention)
    if status == DENIED:
        author, colleague = directory.get(mention.author), directory.get(mention.colleague)
        who = colleague.name if colleague is not None else mention.colleague
        when = day_label(mention.day, now.date())
        await store.outbox.enqueue(
            f"mention-denied:{mention.id}:author", [mention.author], "text",
            {"content": f"【同事确认】{who}回复没有参与您 {when}日志中写的那项工作。如有误会请与{who}核对；"
                        "这只是同事间的确认，不计分。"}, now,
        )
        leaders = [u for u in main_leaders(directory, author) if u != mention.author]
        if leaders and author is not None:
            await store.outbox.enqueue(
                f"mention-denied:{mention.id}:leader", leaders, "text",
                {"content": f"【同事确认】{who}回复没有参与{author.name} {when}日志中写的那项工作"
                            "（仅供您了解，不计分）。"}, now,
            )
    return Answered(mention, True)


def main_leaders(directory: Directory, author: Person | None) -> list[str]:
    if author is None:
        return []
    return [p.userid for p in directory.members(author.unit_id) if p.role is Role.main_leader]


def sees_denials(viewer: Person | None, is_admin: bool, author: Person) -> bool:
    """A 「未参与」 is shown to the author, their unit's main leader and the admin only."""
    if is_admin:
        return True
    if viewer is None:
        return False
    return viewer.userid == author.userid or (viewer.role is Role.main_leader and viewer.unit_id == author.unit_id)


async def mention_notes(
    store: Store, directory: Directory, viewer: Person | None, is_admin: bool,
    authors: Iterable[Person], start: date, end: date,
) -> dict[tuple[str, date], str]:
    """What 查看 shows beside each log of `authors` in [start, end]: 「（李四、王五确认参与）」,
    and for those who may see it, 「（赵六：未参与）」."""
    by_id = {a.userid: a for a in authors}
    grouped: dict[tuple[str, date], tuple[list[Person], list[Person]]] = {}
    for mention in await store.mentions.of_logs(list(by_id), start, end):
        colleague = directory.get(mention.colleague)
        if colleague is None or mention.status not in (CONFIRMED, DENIED):
            continue
        confirmed, denied = grouped.setdefault((mention.author, mention.day), ([], []))
        if mention.status == CONFIRMED:
            confirmed.append(colleague)
        elif sees_denials(viewer, is_admin, by_id[mention.author]):
            denied.append(colleague)
    notes = {}
    for key, (confirmed, denied) in grouped.items():
        parts = []
        if confirmed:
            parts.append(f"{'、'.join(listed_names(confirmed))}确认参与")
        if denied:
            parts.append(f"{'、'.join(listed_names(denied))}：未参与")
        if parts:
            notes[key] = f"（{'；'.join(parts)}）"
    return notes
