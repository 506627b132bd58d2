"""What a chat text that starts with no command is meant as (R-LOG-1, R-CHAT-2, R-CHAT-5).

Logs are read by colleagues and leaders and cost or earn points, so a text lands in one only
when it reads as work. Everything else is answered, never stored:

- COMMAND: a command typed slightly wrong, and how (`Miss`, so the answer can say what to
  change) — a keyword run into its argument (「查看吴昊」「排名正科级」), one slip away from a
  keyword (「帮组」「我得分」), typed after its arguments (「2026Q4 排名」), or a keyword this
  version does not handle yet (「排名 正科级」). A keyword followed by a separator is a
  command whatever follows; otherwise only a text too short to stand as a log is read this
  way, and a keyword run into its argument only when the argument is one (a name, a unit,
  a date, a period): 「出差回来整理材料」 is an addition to a log, 「查看吴昊」 is not.
- COURTESY: nothing but courtesies (「好的」「收到，谢谢领导！」「您好」) or nothing but emoji and
  punctuation (「👌」), answered in a friendly line (`Courtesy` says which kind).
- CHAT: no letters but digits (「666」), other chit-chat words (「测试」「怎么用」), or a
  question (「怎么补记？」).
- WORK: everything else; `chars` counts its Chinese characters, letters and digits, the
  figure a log's minimum and maximum are measured in.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Container, Iterable
from dataclasses import dataclass
from enum import StrEnum


class Meaning(StrEnum):
    WORK = "work"
    COMMAND = "command"
    COURTESY = "courtesy"
    CHAT = "chat"


class Miss(StrEnum):
    """How a COMMAND reading missed its command."""

    joined = "joined"  # the keyword run into its argument: 查看吴昊
    slip = "slip"  # the keyword one character off, or with stray punctuation: 帮组, 我的！
    order = "order"  # the arguments typed before the keyword: 2026Q4 排名
    as_typed = "as_typed"  # the keyword as it is typed: a command not handled yet


class Courtesy(StrEnum):
    """What a COURTESY reading says, by its most telling word: thanks over a greeting over
    anything else (「好的，谢谢」 is thanks)."""

    thanks = "thanks"
    greeting = "greeting"
    ack = "ack"  # 好的, 收到, 嗯, OK, 👌 …


@dataclass(frozen=True)
class Reading:
    meaning: Meaning
    chars: int  # Chinese characters, letters and digits
    keyword: str | None = None  # COMMAND: the command it is close to
    suggestion: str | None = None  # COMMAND: the text as that command is typed
    miss: Miss | None = None  # COMMAND: how it missed
    courtesy: Courtesy | None = None  # COURTESY: which kind


# After a keyword these mean "arguments follow" (the router's separators).
SEPARATORS = frozenset(" \t\n\u3000:：,，")
QUESTION_MARKS = frozenset("?？")

# Words that are a command's argument when run into its keyword (besides names, units, digits).
ARGUMENT_WORDS = frozenset(
    """
    今天 今日 昨天 昨日 前天 明天 本周 这周 上周 本月 这个月 上月 本季 本季度 这季度 上季度 上季
    本年 今年 去年 本单位 正科级 副科级 一般干部 提交
    """.split()
)

# Whole texts made only of these (in any order and number, punctuation and emoji aside) are
# never a log. Words only: a text that also says what was done is never all pleasantries.
# Courtesies, by kind; a text of courtesies and fillers alone (at least one courtesy) is one.
THANKS = frozenset("谢谢 谢了 多谢 感谢 谢谢您 辛苦 辛苦了 您辛苦了 麻烦了 thanks thx".split())
GREETINGS = frozenset("你好 您好 大家好 早 早上好 上午好 中午好 下午好 晚上好 hi hello 在吗 在不在 在".split())
ACKS = frozenset(
    """
    好 好的 好滴 好哒 好吧 好嘞 行 行吧 可以 嗯 嗯嗯 哦 噢 喔 哈 哈哈 呵呵 嘿嘿 嘻嘻 收到 收到了 已收到
    不客气 客气 没事 没关系 没问题 明白 明白了 了解 知道 知道了 懂了 清楚 对 对的 是 是的 ok okay yes
    晚安 再见 拜拜 抱歉 不好意思
    """.split()
)
FILLERS = frozenset("啊 呀 吧 呢 啦 哟 领导 书记 主任 老师 同志 同事 大家".split())  # 「收到，谢谢领导」
COURTESIES = THANKS | GREETINGS | ACKS
# Chit-chat that is no courtesy: a doubt or a try, answered with where to find help.
OTHER_CHAT = frozenset(
    """
    不是 不对 no 麻烦 请问 打扰 打扰了 测试 试试 试一下 试一试 怎么用 怎么弄 怎么办 什么意思 啥意思
    咋办 咋弄 为什么 干嘛 哪里
    """.split()
)
PLEASANTRIES = COURTESIES | FILLERS | OTHER_CHAT
_LONGEST_PLEASANTRY = max(len(p) for p in PLEASANTRIES)
_PLEASANTRY_CHARS = frozenset("".join(PLEASANTRIES))


def is_content_char(char: str) -> bool:
    """Chinese characters, letters of any script and digits carry content; nothing else does."""
    category = unicodedata.category(char)
    return category[0] == "L" or category == "Nd"


def content_words(text: str) -> str:
    """The text's content characters alone, in order."""
    words = text.translate(_DROP_NON_CONTENT)
    if words and max(words) > "\uffff":  # beyond the table: emoji and the like, one by one
        words = "".join(char for char in words if is_content_char(char))
    return words


def content_chars(text: str) -> int:
    return len(content_words(text))


# content_words() is on every message's path: one str.translate drops every character of the
# Basic Multilingual Plane that carries no content (the table is built once, ≈ 20 ms).
_DROP_NON_CONTENT = dict.fromkeys(
    code for code in range(0x10000) if not 0xD800 <= code <= 0xDFFF and not is_content_char(chr(code))
)


def read_plain_text(
    text: str, keywords: Iterable[str], *, log_chars: int, names: Container[str] = frozenset(),
    alone: Iterable[str] = (),
) -> Reading:
    """What `text` is meant as. `keywords`: every command keyword, handled or not yet;
    `log_chars`: content characters that make a text long enough to stand as a log;
    `names`: people's and units' names, the arguments a keyword may be run into; `alone`:
    keywords that are a command only as the whole text (「进 度」, 「进渡」), never with words after."""
    shown = fold(text).strip()
    folded = shown.lower() if len(shown.lower()) == len(shown) else shown
    words = content_words(folded)
    chars = len(words)
    if not words:  # nothing but emoji and punctuation: 👌, a lone question mark is a question
        if _bare(folded)[-1:] in QUESTION_MARKS:
            return Reading(Meaning.CHAT, chars)
        return Reading(Meaning.COURTESY, chars, courtesy=Courtesy.ack)
    if words.isdecimal():  # no letter at all: 「666」
        return Reading(Meaning.CHAT, chars)
    if (said := _pleasantries(words)) is not None:
        kind = _courtesy(said)
        return Reading(Meaning.CHAT, chars) if kind is None else Reading(Meaning.COURTESY, chars, courtesy=kind)
    if chars < log_chars:
        for keyword in alone:
            if words == keyword or _one_slip(words, keyword):
                return Reading(Meaning.COMMAND, chars, keyword, keyword, Miss.slip)
    near = _near_command(folded, shown, _usable(frozenset(keywords)), names, short=chars < log_chars)
    if near is not None:
        return Reading(Meaning.COMMAND, chars, *near)
    if _bare(folded)[-1:] in QUESTION_MARKS:
        return Reading(Meaning.CHAT, chars)
    return Reading(Meaning.WORK, chars)


def fold(text: str) -> str:
    """Full-width letters, digits, spaces and punctuation become ASCII, one char for one char,
    so an index into the folded text is an index into the original."""
    folded = text.translate(_FOLD_BMP)
    if not folded or max(folded) <= "\uffff":
        return folded
    return "".join(_fold_char(c) if c > "\uffff" else c for c in folded)


def _fold_char(char: str) -> str:
    folded = unicodedata.normalize("NFKC", char)
    return folded if len(folded) == 1 else char


# fold() is on every message's path: the characters of the Basic Multilingual Plane that it
# changes (≈ 1,800, computed once, ≈ 20 ms) go through one str.translate; the rare characters
# beyond it (emoji, mathematical letters) are normalised one by one.
_FOLD_BMP = {
    code: folded
    for code in range(0x10000)
    if not 0xD800 <= code <= 0xDFFF and (folded := _fold_char(chr(code))) != chr(code)
}


@dataclass(frozen=True)
class _Keywords:
    """The keywords as texts are compared with them (folded, lower case), at least two
    characters long, longest first; and the same grouped by their first character, so a
    text is compared only with the keywords it could start with."""

    longest_first: tuple[str, ...]
    by_first: dict[str, tuple[str, ...]]

    def starting(self, text: str) -> tuple[str, ...]:
        return self.by_first.get(text[:1], ())


@functools.lru_cache(maxsize=16)
def _usable(keywords: frozenset[str]) -> _Keywords:
    """The same few keyword sets on every message: prepared once."""
    folded = {fold(k).lower() for k in keywords}
    ordered = tuple(sorted((k for k in folded if len(k) >= 2), key=lambda k: (-len(k), k)))
    by_first: dict[str, tuple[str, ...]] = {}
    for keyword in ordered:
        by_first[keyword[0]] = (*by_first.get(keyword[0], ()), keyword)
    return _Keywords(ordered, by_first)


def _bare(text: str) -> str:
    """The text without trailing emoji, spaces and closing punctuation other than ?."""
    end = len(text)
    while end and not is_content_char(text[end - 1]) and text[end - 1] not in QUESTION_MARKS:
        end -= 1
    return text[:end]


def _near_command(
    text: str, shown: str, keywords: _Keywords, names: Container[str], *, short: bool
) -> tuple[str, str, Miss] | None:
    """(keyword, suggestion, miss); `text` is compared, `shown` (same length) quoted back."""
    for keyword in keywords.starting(text):  # longest first: 我的得分 before 我的
        if not text.startswith(keyword):
            continue
        rest = text[len(keyword):]
        if not rest or rest[0] in SEPARATORS:
            return keyword, _joined(keyword, shown[len(keyword):]), Miss.as_typed
        if short and (_starts_with_argument(rest, names) or _name_shaped(rest)):
            # 「我的得份」 is 我的得分 mistyped, not 「我的 得份」: a slip of a longer keyword wins.
            whole = content_words(text)
            for longer in keywords.longest_first:
                if len(longer) > len(keyword) and _one_slip(whole, longer):
                    return longer, longer, Miss.slip
            return keyword, _joined(keyword, shown[len(keyword):]), Miss.joined
    head, rest = _split_head(text)
    if not short:  # long enough to be a log: only a keyword after nothing but its arguments…
        for keyword in keywords.longest_first:
            # …or a long keyword mistyped as the first word: 「季度小节 本季度……」 is a summary
            # sent with a typo, not a day's work, and the official record must not take it.
            if len(keyword) >= 4 and rest and _one_slip(head, keyword):
                return keyword, _joined(keyword, shown[len(head):]), Miss.slip
        return _keyword_after_its_arguments(text, shown, keywords, names, arguments_only=True)
    whole = content_words(text)
    for keyword in keywords.longest_first:  # 「我的！」 is the keyword with punctuation; 「帮组」 one slip from one
        if whole == keyword or _one_slip(whole, keyword):
            return keyword, keyword, Miss.slip
    for keyword in keywords.longest_first:
        if len(keyword) >= 3 and rest and _one_slip(head, keyword):
            return keyword, _joined(keyword, shown[len(head):]), Miss.slip
    return _keyword_after_its_arguments(text, shown, keywords, names, arguments_only=False)


def _keyword_after_its_arguments(
    text: str, shown: str, keywords: _Keywords, names: Container[str], *, arguments_only: bool
) -> tuple[str, str, Miss] | None:
    """「2026Q4 排名」「本周 我的」: the arguments typed first, the keyword as a word after them.
    `arguments_only`: every other word must be an argument (a date, a period, a name…), as a
    text long enough to be a log only then means the command."""
    words = _words(text)
    for index, (start, end) in enumerate(words[1:], start=1):
        keyword = text[start:end]
        if keyword not in keywords.longest_first:
            continue
        others = [(s, e) for i, (s, e) in enumerate(words) if i != index]
        if arguments_only and not all(_starts_with_argument(text[s:e], names) for s, e in others):
            return None
        return keyword, f"{keyword} {' '.join(shown[s:e] for s, e in others)}", Miss.order
    return None


def _words(text: str) -> list[tuple[int, int]]:
    """(start, end) of each run of characters between separators."""
    words: list[tuple[int, int]] = []
    start = None
    for index, char in enumerate(text):
        if char in SEPARATORS:
            if start is not None:
                words.append((start, index))
            start = None
        elif start is None:
            start = index
    if start is not None:
        words.append((start, len(text)))
    return words


def _joined(keyword: str, rest: str) -> str:
    rest = rest.lstrip("".join(SEPARATORS))
    return f"{keyword} {rest}" if rest else keyword


def _starts_with_argument(rest: str, names: Container[str]) -> bool:
    if rest[0].isdigit():
        return True
    return any(
        rest[:size] in ARGUMENT_WORDS or rest[:size] in names for size in range(2, min(len(rest), 12) + 1)
    )


def _name_shaped(rest: str) -> bool:
    """2–4 Chinese characters alone, or before a separator, a digit or an argument word: the
    shape of a person's name. Judged by shape, never against the roster, so the answer to
    「查看司马相如」 is the same whether or not such a person exists (or may be seen)."""
    run = 0
    while run < len(rest) and "\u4e00" <= rest[run] <= "\u9fff":
        run += 1
    if not 2 <= run <= 4:
        # A longer run may still be a name followed by an argument word (「查看吴昊本周」).
        return any(_starts_with_argument(rest[i:], frozenset()) for i in range(2, min(run, 4) + 1))
    after = rest[run:]
    return not after or after[0] in SEPARATORS or after[0].isdigit()


def _split_head(text: str) -> tuple[str, str]:
    for index, char in enumerate(text):
        if char in SEPARATORS:
            return text[:index], text[index:]
    return text, ""


def _one_slip(typed: str, keyword: str) -> bool:
    """One character wrong, missing, extra, or two neighbours swapped (never identical)."""
    if typed == keyword or abs(len(typed) - len(keyword)) > 1:
        return False
    if len(typed) == len(keyword):
        diff = [i for i, (a, b) in enumerate(zip(typed, keyword, strict=True)) if a != b]
        return len(diff) == 1 or (
            len(diff) == 2 and diff[1] == diff[0] + 1
            and typed[diff[0]] == keyword[diff[1]] and typed[diff[1]] == keyword[diff[0]]
        )
    short, long = sorted((typed, keyword), key=len)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


def _pleasantries(words: str) -> list[str] | None:
    """`words` (a text's content characters, content_words) cut into pleasantries, or None
    when it is not made of them. Of several cuts, one of fewest words (「好吧」, not 好 + 吧)."""
    if not words or not _PLEASANTRY_CHARS.issuperset(words):  # most texts: a word no pleasantry has
        return None
    # best[end]: (words in the fewest-word cut of words[:end], where its last word starts)
    best: list[tuple[int, int] | None] = [(0, 0)] + [None] * len(words)
    for end in range(1, len(words) + 1):
        for start in range(max(0, end - _LONGEST_PLEASANTRY), end):
            before, current = best[start], best[end]
            if before is not None and words[start:end] in PLEASANTRIES and (current is None or before[0] + 1 < current[0]):
                best[end] = (before[0] + 1, start)
    if best[-1] is None:
        return None
    cut: list[str] = []
    end = len(words)
    while end:
        step = best[end]
        assert step is not None  # every end on the cut's path was reached
        cut.append(words[step[1]:end])
        end = step[1]
    return cut[::-1]


def _courtesy(said: list[str]) -> Courtesy | None:
    """The kind of courtesy a text of pleasantries is, or None when it is other chit-chat
    (a doubt, a try) or only fillers (「领导」)."""
    if any(word in OTHER_CHAT for word in said) or all(word in FILLERS for word in said):
        return None
    if any(word in THANKS for word in said):
        return Courtesy.thanks
    if any(word in GREETINGS for word in said):
        return Courtesy.greeting
    return Courtesy.ack
