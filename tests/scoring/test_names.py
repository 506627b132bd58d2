"""The order of names in lists: pinyin, not Unicode code point (issue 27, item 11)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from scoring.names import name_key, text_key

HANZI = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
NAMES = st.text(HANZI, min_size=2, max_size=4)


def test_names_go_in_pinyin_order() -> None:
    names = ["郑丽", "褚洁", "阿明", "王强", "吴昊", "陈磊", "吕潇", "刘敏", "汪洋", "冯静"]
    assert sorted(names, key=name_key) == ["阿明", "陈磊", "褚洁", "冯静", "刘敏", "吕潇", "汪洋", "王强", "吴昊", "郑丽"]


def test_a_surname_is_read_as_a_surname() -> None:
    assert sorted(["曾国", "张三", "蔡文"], key=name_key) == ["蔡文", "曾国", "张三"]  # zēng, not céng
    assert sorted(["单田", "邓林", "沈宇"], key=name_key) == ["邓林", "单田", "沈宇"]  # shàn, not dān
    # A unit's name is not a person's: 区 is qū there.
    assert sorted(["区发展和改革局", "城关镇", "团区委"], key=text_key) == ["城关镇", "区发展和改革局", "团区委"]


@given(NAMES, NAMES)
def test_the_order_is_total_and_fixed(a: str, b: str) -> None:
    """Two different names never tie, so every list comes out the same each time."""
    assert (name_key(a) == name_key(b)) == (a == b)


@given(NAMES, st.text(HANZI, min_size=1, max_size=2))
def test_a_name_comes_before_its_longer_namesakes(name: str, more: str) -> None:
    assert name_key(name) < name_key(name + more)


@given(NAMES, NAMES)
def test_names_are_ordered_by_their_first_characters_reading_first(a: str, b: str) -> None:
    first_a, first_b = name_key(a)[0], name_key(b)[0]
    if first_a[:3] < first_b[:3]:
        assert name_key(a) < name_key(b)
