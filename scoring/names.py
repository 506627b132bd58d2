"""The order of names wherever a list shows them: by pinyin (汉语拼音), as Chinese lists of people
are read, never by Unicode code point (which puts 褚 after 朱 and 阿 after 周).

A name is compared character by character on its toneless reading, then its tone, then the
character itself (so 汪强 and 王强 keep a fixed order). A person's first character is read as
a surname, where a few differ from the character's first reading (曾 zēng, 单 shàn).
Characters with no reading (Latin letters, digits) sort as themselves, before any pinyin.
Readings: pypinyin's table of single characters, loaded once, on first use.
"""

from __future__ import annotations

import os
import unicodedata
from functools import cache

# Surnames read otherwise than their character's first reading in the table.
SURNAME_READINGS = {
    "曾": ("zeng", 1), "单": ("shan", 4), "仇": ("qiu", 2), "区": ("ou", 1), "解": ("xie", 4),
    "查": ("zha", 1), "朴": ("piao", 2), "盖": ("ge", 3), "缪": ("miao", 4), "覃": ("qin", 2),
    "召": ("shao", 4), "种": ("chong", 2), "员": ("yun", 4), "柏": ("bai", 3), "秘": ("bi", 4),
    "冼": ("xian", 3), "乐": ("yue", 4), "尉": ("yu", 4), "褚": ("chu", 3), "沈": ("shen", 3),
}
_TONES = {"\u0304": 1, "\u0301": 2, "\u030c": 3, "\u0300": 4}  # ā á ǎ à as combining marks

CharKey = tuple[int, str, int, str]  # (0 = no reading, 1 = pinyin), letters, tone, character


@cache
def _table() -> dict[int, str]:
    # Only the single-character table is needed; the phrase table would cost a second more.
    os.environ.setdefault("PYPINYIN_NO_PHRASES", "true")
    from pypinyin.pinyin_dict import pinyin_dict

    return pinyin_dict


@cache
def _reading(char: str) -> tuple[str, int] | None:
    """A character's first reading as (letters, tone 1–4, 5 for neutral); None without one."""
    readings = _table().get(ord(char))
    if not readings:
        return None
    letters, tone = "", 5
    for part in unicodedata.normalize("NFD", readings.split(",")[0]):
        if part in _TONES:
            tone = _TONES[part]
        elif not unicodedata.combining(part):
            letters += part
    return letters.replace("ü", "v"), tone


@cache
def text_key(text: str, *, surname: bool = False) -> tuple[CharKey, ...]:
    """Sort key of a text (a unit's name) in pinyin order; `surname`: its first character
    is a family name."""
    keys = []
    for index, char in enumerate(text):
        reading = SURNAME_READINGS.get(char) if surname and index == 0 else None
        reading = reading or _reading(char)
        keys.append((1, reading[0], reading[1], char) if reading else (0, char, 0, char))
    return tuple(keys)


def name_key(name: str) -> tuple[CharKey, ...]:
    """Sort key of a person's name in pinyin order."""
    return text_key(name, surname=True)
