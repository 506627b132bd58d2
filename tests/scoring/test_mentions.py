"""Which colleagues a log names (issue 26, item 4): only names passed in, only after a joiner."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from scoring.mentions import named_colleagues

SURNAMES = "赵钱孙李周吴郑王冯陈"
GIVEN = "强伟芳敏静丽军磊洋勇"
# Ordinary words of a log: none of them a surname, so no name can hide in them.
FILLER = st.text(alphabet="上午下午参加例会走访群众整理台账值班检查防汛安全生产一起开展工作，。", max_size=30)
NAMES = st.builds(lambda s, g: s + g, st.sampled_from(SURNAMES), st.text(alphabet=GIVEN, min_size=1, max_size=2))
JOINERS = st.sampled_from(["与", "和", "同", "跟", "会同", "协同", "陪同", "@", "和@"])
SEPARATORS = st.sampled_from(["、", "，", "和", "与", "及", " "])


@given(FILLER, st.sets(NAMES, max_size=6))
def test_text_without_a_name_names_nobody(text, names):
    """「与群众一起」: joiners followed by words that are nobody's name."""
    assert named_colleagues(text, names) == []


@given(FILLER, JOINERS, st.lists(NAMES, min_size=1, max_size=4, unique=True), SEPARATORS, FILLER)
def test_a_list_after_a_joiner_names_each_in_order(before, joiner, listed, separator, after):
    text = f"{before}{joiner}{separator.join(listed)}一起{after}"
    assert named_colleagues(text, set(listed)) == listed


@given(FILLER, JOINERS, NAMES, FILLER, st.sets(NAMES, max_size=4))
def test_a_name_the_author_may_not_see_is_never_found(before, joiner, hidden, after, visible):
    """The caller passes only names the author may see: another's name is not resolved."""
    visible = {n for n in visible if not n.startswith(hidden) and not hidden.startswith(n)}
    assert hidden not in named_colleagues(f"{before}{joiner}{hidden}{after}", visible)


@given(st.text(alphabet=SURNAMES + GIVEN + "与和同跟@、，上午例会", max_size=40), st.sets(NAMES, max_size=6))
def test_whatever_the_text_only_given_names_come_back_each_once(text, names):
    found = named_colleagues(text, names)
    assert set(found) <= names and len(found) == len(set(found))
    assert all(name in text for name in found)


def test_everyday_examples():
    names = {"李四", "王五", "赵六", "李四海"}
    assert named_colleagues("上午与李四、王五一起走访", names) == ["李四", "王五"]
    assert named_colleagues("和李四海及赵六核对台账", names) == ["李四海", "赵六"]
    assert named_colleagues("@王五 一起参加例会", names) == ["王五"]
    assert named_colleagues("与群众一起清理河道", names) == []
    assert named_colleagues("李四来访，汇报王五的情况", names) == []  # named, but not as taking part
