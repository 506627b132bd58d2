"""What a text that starts with no command is meant as: property tests over what people type."""

from __future__ import annotations

import string
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from handlers.registry import build_router
from scoring.plain_text import (
    COURTESIES,
    FILLERS,
    PLEASANTRIES,
    THANKS,
    Courtesy,
    Meaning,
    Miss,
    content_chars,
    content_words,
    fold,
    read_plain_text,
)

# Keywords of commands not built yet (a router's reserved ones) are read like any other.
NOT_BUILT = ("导出照片", "月度评比")
KEYWORDS = sorted(build_router().handled_keywords() | set(NOT_BUILT))
NAMES = frozenset({"吴昊", "赵建华", "王强", "城关镇", "发改局"})
LOG_CHARS = 15


def read(text: str):
    return read_plain_text(text, KEYWORDS, log_chars=LOG_CHARS, names=NAMES)


EMOJI = st.sampled_from(list("👍👌😀🙏🎉💪❤️🌹😂🤝✅"))
PUNCTUATION = st.sampled_from([*"，。！？、…~～ ,.!?", "\u3000", "\n"])
chit_chat = st.lists(
    st.one_of(st.sampled_from(sorted(PLEASANTRIES)), EMOJI, PUNCTUATION), min_size=1, max_size=12
).map("".join)

WORK_PHRASES = [
    "上午走访城关社区三户低保家庭", "下午整理民政台账并报送党政办", "参加全区防汛调度会议",
    "督促两个村完成人居环境整治", "审核低保申请材料12件", "起草镇年度安全生产工作方案",
    "陪同检查组检查河道清障情况", "组织召开党员大会传达会议精神", "完成3个项目的入库申报",
    "接待群众来访4人次并登记办理", "修改了应急预案三处表述", "查看了在建工地的围挡和扬尘措施",
]
work_text = st.lists(st.sampled_from(WORK_PHRASES), min_size=1, max_size=4).map("，".join).filter(
    lambda t: content_chars(t) >= LOG_CHARS
)


@given(chit_chat)
def test_chit_chat_and_emoji_are_never_work(text: str):
    assert read(text).meaning is not Meaning.WORK


@given(st.lists(st.one_of(EMOJI, PUNCTUATION, st.sampled_from(list(string.digits))), min_size=1, max_size=30).map("".join))
def test_text_without_a_single_letter_is_chat_or_a_courtesy(text: str):
    assert read(text).meaning in (Meaning.CHAT, Meaning.COURTESY)


# Punctuation that does not end a text as a question.
CLOSING = st.sampled_from([*"，。！、…~～ ,.!", "\u3000", "\n"])


@given(st.lists(st.one_of(EMOJI, CLOSING), min_size=1, max_size=20).map("".join))
def test_emoji_and_punctuation_alone_are_a_courtesy(text: str):
    """「👌」「🙏🙏」 are a nod, answered in a friendly line; never a log, never a lecture."""
    assert read(text).meaning is Meaning.COURTESY


@st.composite
def courtesies(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A text of courtesies (at least one) and fillers, with emoji and punctuation between."""
    words = draw(st.lists(st.sampled_from(sorted(COURTESIES)), min_size=1, max_size=4))
    words += draw(st.lists(st.sampled_from(sorted(FILLERS)), max_size=2))
    words = draw(st.permutations(words))
    gaps = draw(st.lists(st.one_of(st.just(""), EMOJI, CLOSING), min_size=len(words), max_size=len(words)))
    return "".join(w + g for w, g in zip(words, gaps, strict=True)), words


@given(courtesies())
def test_courtesies_are_answered_as_courtesies_and_thanks_win(drawn: tuple[str, list[str]]):
    text, words = drawn
    reading = read(text)
    assert reading.meaning is Meaning.COURTESY
    if any(w in THANKS for w in words):
        assert reading.courtesy is Courtesy.thanks


@given(st.sampled_from(KEYWORDS).filter(lambda k: len(k) >= 2), st.sampled_from(sorted(NAMES)))
def test_a_keyword_run_into_a_name_is_that_command(keyword: str, name: str):
    reading = read(keyword + name)
    assert reading.meaning is Meaning.COMMAND and reading.miss is Miss.joined
    assert reading.suggestion == f"{reading.keyword} {name}" and reading.suggestion.endswith(name)


HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)


@given(
    st.sampled_from(KEYWORDS).filter(lambda k: len(k) >= 2),
    st.text(HAN, min_size=2, max_size=4),
    st.sampled_from(["", " 11-30", "11-30", " 本周"]),
)
def test_a_keyword_run_into_any_name_shaped_text_is_that_command(keyword: str, name: str, tail: str):
    """Whether or not such a person exists (or may be seen): the answer never tells, and
    「查看司马相如」 is never stored as a line of today's log."""
    reading = read(keyword + name + tail)
    assert reading.meaning is Meaning.COMMAND
    assert reading.suggestion is not None
    # …unless the whole is one slip from a longer keyword (「我的得份」 → 我的得分).
    assert name in reading.suggestion or (reading.miss is Miss.slip and len(reading.suggestion) > len(keyword))


@st.composite
def one_slip(draw: st.DrawFn) -> str:
    keyword = draw(st.sampled_from([k for k in KEYWORDS if len(k) >= 2]))
    i = draw(st.integers(0, len(keyword) - 1))
    other = draw(st.sampled_from(list("组的地看着得分进读名")))
    kind = draw(st.sampled_from(["swap", "drop", "add", "turn"]))
    if kind == "drop":
        return keyword[:i] + keyword[i + 1:]
    if kind == "add":
        return keyword[:i] + other + keyword[i:]
    if kind == "turn" and i + 1 < len(keyword):
        return keyword[:i] + keyword[i + 1] + keyword[i] + keyword[i + 2:]
    return keyword[:i] + other + keyword[i + 1:]


@given(one_slip(), st.sampled_from(["", "？", "!", " "]))
def test_a_keyword_one_slip_away_is_never_work(typed: str, tail: str):
    assert read(typed + tail).meaning is not Meaning.WORK


@given(st.sampled_from(NOT_BUILT), st.sampled_from(["", " 正科级", "：城关镇", " 2026Q4 全区所有正科级干部的情况"]))
def test_a_keyword_not_handled_yet_is_a_command_whatever_follows(keyword: str, args: str):
    reading = read(keyword + args)
    assert (reading.meaning, reading.keyword) == (Meaning.COMMAND, keyword)


@given(
    st.sampled_from(["2026Q4", "２０２６年第４季度", "本周", "上季度", "正科级", "11-20", "城关镇", "吴昊"]),
    # One word: 「2026 测评 进度」 is 测评 with its arguments (the alias is for 测评进度 typed apart).
    st.sampled_from([k for k in KEYWORDS if len(k) >= 2 and " " not in k]),
    st.sampled_from([" ", "　", "，", "："]),
)
def test_a_keyword_typed_after_its_arguments_is_that_command(argument: str, keyword: str, gap: str):
    """「2026Q4 排名」 is 排名 asked the other way round, never a log."""
    reading = read(f"{argument}{gap}{keyword}")
    assert reading.meaning is Meaning.COMMAND and reading.miss is Miss.order
    assert reading.suggestion is not None and reading.suggestion.startswith(keyword)


@given(work_text, st.sampled_from(["", "。", "👍", "！"]))
def test_real_work_text_is_always_work(text: str, tail: str):
    reading = read(text + tail)
    assert reading.meaning is Meaning.WORK and reading.chars == content_chars(text)


def test_the_examples_new_users_sent():
    assert (read("查看吴昊").suggestion, read("查看吴昊").miss) == ("查看 吴昊", Miss.joined)
    assert (read("帮组").suggestion, read("帮组").miss) == ("帮助", Miss.slip)
    assert (read("我得分").suggestion, read("我得分").miss) == ("我的得分", Miss.slip)
    # A slip in a longer keyword is not a shorter keyword run into a name (found in the demo).
    assert (read("我的得份").suggestion, read("我的得份").miss) == ("我的得分", Miss.slip)
    # A long summary sent under a mistyped keyword is that command, never a day's log.
    summary = "季度小节 本季度认真履行岗位职责，完成了民政台账整理和低保复核工作"
    assert (read(summary).meaning, read(summary).miss) == (Meaning.COMMAND, Miss.slip)
    assert str(read(summary).suggestion).startswith("季度小结 本季度认真履行岗位职责")
    assert read("排名 正科级").suggestion == "排名 正科级"
    assert read("２０２６年第４季度 排名").suggestion == "排名 2026年第4季度"
    assert read("２０２６年第４季度 发布年度结果").suggestion == "发布年度结果 2026年第4季度"  # 15 chars
    assert read("上午召开全镇干部大会部署工作 排名 靠前").meaning is Meaning.WORK  # a log that says 排名
    assert (read("好的").meaning, read("好的").courtesy) == (Meaning.COURTESY, Courtesy.ack)
    assert (read("收到，谢谢领导！").meaning, read("收到，谢谢领导！").courtesy) == (Meaning.COURTESY, Courtesy.thanks)
    assert read("您好").courtesy is Courtesy.greeting
    assert read("👌").meaning is Meaning.COURTESY
    assert read("怎么补记？").meaning is Meaning.CHAT
    assert read("怎么用").meaning is Meaning.CHAT  # a doubt, not a courtesy: it is pointed to 帮助
    assert read("领导").meaning is Meaning.CHAT  # a filler alone says nothing
    assert read("？").meaning is Meaning.CHAT
    assert (read("我的！").suggestion, read("我的！").miss) == ("我的", Miss.slip)
    assert read("修改了方案并上报").meaning is Meaning.WORK
    assert read("查看司马相如").suggestion == "查看 司马相如"  # no such person: asked, not stored
    assert read("增加参评沈宇").suggestion == "增加参评 沈宇"
    assert read("查看了在建工地的围挡").meaning is Meaning.WORK
    assert content_chars("上午开会👍，下午走访 3 户！") == 10


@given(st.text(max_size=60))
def test_the_fast_tables_agree_with_the_unicode_definitions_for_any_text(text: str) -> None:
    """fold() and content_words() run through tables built at import; any text, astral
    characters included, must come out as the per-character definitions say."""
    def folded(char: str) -> str:
        normal = unicodedata.normalize("NFKC", char)
        return normal if len(normal) == 1 else char

    assert fold(text) == "".join(folded(c) for c in text)
    assert content_words(text) == "".join(
        c for c in text if unicodedata.category(c)[0] == "L" or unicodedata.category(c) == "Nd"
    )
