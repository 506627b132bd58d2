"""How a text that is not stored as a log is answered (handlers/hints.py): rules over what
people type and who types it. The texts are read by the real router against every keyword."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from handlers.hints import NOT_LOGGED, answer_unless_log
from handlers.registry import build_router
from scoring.plain_text import COURTESIES, FILLERS, Meaning, fold
from scoring.types import Rank, Role, UnitCategory
from storage.directory import Person, UnitInfo
from tests.scoring.test_plain_text import EMOJI, NAMES, WORK_PHRASES, chit_chat, one_slip

ROUTER = build_router()
UNIT = UnitInfo(1, "城关镇", UnitCategory.township)


def _person(role: Role) -> Person:
    return Person(f"p_{role}", "赵一", UNIT, role, None if role is Role.superior else Rank.fuke, "", True)


# (person on the roster or None, is an admin), by who they are.
PEOPLE: dict[str, tuple[Person | None, bool]] = {
    "staff": (_person(Role.staff), False),
    "leadership": (_person(Role.leadership), False),
    "main leader": (_person(Role.main_leader), False),
    "superior leader": (_person(Role.superior), False),
    "admin": (None, True),
    "admin on the roster": (_person(Role.staff), True),
}
KEEP_NO_LOG = ("superior leader", "admin")
WHO = st.sampled_from(sorted(PEOPLE))
KEYWORDS = sorted(k for k in ROUTER.handled_keywords() if len(k) >= 2 and " " not in k)


def answer(text: str, who: str) -> tuple[str | None, Meaning, bool]:
    """(the answer, what the text reads as, whether its command is one `who` may use)."""
    plain = ROUTER.read(text, log_chars=15, names=NAMES)
    person, is_admin = PEOPLE[who]
    allowed = plain.command is not None and plain.command.audience.admits(person, is_admin)
    return answer_unless_log(plain, person, is_admin), plain.reading.meaning, allowed


glued = st.builds(lambda k, n: k + n, st.sampled_from(KEYWORDS), st.sampled_from(sorted(NAMES)))
after = st.builds(
    lambda a, g, k: f"{a}{g}{k}", st.sampled_from(["2026Q4", "本周", "正科级", "吴昊"]),
    st.sampled_from([" ", "　", "，"]), st.sampled_from(KEYWORDS),
)
near_misses = st.one_of(
    glued, after, one_slip(), st.builds(lambda t, p: t + p, one_slip(), st.sampled_from("？!！"))
).filter(lambda t: ROUTER.resolve(t)[0] == ROUTER.plain_text)  # a slip may land on another keyword


@given(near_misses, WHO)
def test_only_a_keyword_run_into_its_content_is_told_about_the_space(typed: str, who: str):
    """「帮组」 is a typo and 「2026Q4 排名」 a matter of order: only 「查看吴昊」, the text with
    the suggestion's space taken out, is told 「命令和内容之间空一格」."""
    told, meaning, allowed = answer(typed, who)
    if meaning is not Meaning.COMMAND or not allowed:
        return
    plain = ROUTER.read(typed, log_chars=15, names=NAMES)
    suggestion = plain.reading.suggestion or ""
    assert told is not None and f"「{suggestion}」" in told
    assert ("空一格" in told) == (fold(typed).strip() == suggestion.replace(" ", "", 1))


@given(st.one_of(near_misses, chit_chat), WHO)
def test_only_people_who_keep_a_log_are_told_a_text_was_not_logged(typed: str, who: str):
    told, meaning, allowed = answer(typed, who)
    if meaning is Meaning.WORK:
        return
    assert told is not None
    if who in KEEP_NO_LOG:
        assert "记入日志" not in told and "工作日志" not in told
    elif meaning is Meaning.COMMAND and allowed:
        assert told.endswith(NOT_LOGGED)


@st.composite
def courtesies(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.sampled_from(sorted(COURTESIES)), min_size=1, max_size=3))
    words += draw(st.lists(st.sampled_from(sorted(FILLERS)), max_size=1))
    return "".join(w + draw(st.sampled_from(["", "，", "！", "。", "~"])) for w in draw(st.permutations(words)))


@given(st.one_of(courtesies(), st.lists(EMOJI, min_size=1, max_size=5).map("".join)))
def test_a_courtesy_gets_one_short_friendly_line_the_same_for_everyone(typed: str):
    told = {who: answer(typed, who) for who in PEOPLE}
    assert {meaning for _, meaning, _ in told.values()} == {Meaning.COURTESY}
    (line,) = {text for text, _, _ in told.values()}
    assert line is not None and "\n" not in line and len(line) <= 20 and "日志" not in line


@given(st.lists(st.sampled_from(WORK_PHRASES), min_size=2, max_size=3).map("，".join), WHO)
def test_work_is_left_to_be_stored_exactly_for_those_who_keep_a_log(text: str, who: str):
    told, meaning, _ = answer(text, who)
    assert meaning is Meaning.WORK
    assert (told is None) == (who not in KEEP_NO_LOG)
