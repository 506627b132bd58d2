"""A refusal reveals nothing, not even whether a person or unit exists (issue 22, item 7).

For each command family a name that exists but the sender may not see is answered byte for
byte as a name that exists nowhere (same length, so a length count cannot tell them apart
either), while a name the sender may see still gets its helpful suggestion. Everything goes
through the encrypted callback.

The sample district: 赵建华 is 城关镇's main leader; 赵建国 and 城南镇 exist nowhere.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import SAMPLE_ROSTER
from tests.harness import ADMIN, Harness, running_bot

STAFF = "fgj_qinlang"  # 秦朗, staff of 区发展和改革局: sees the logs of their own unit only
SMALL_LEADER = "tqw_lvxiao"  # 吕潇, main leader of 团区委 (3 cadres: may propose extra raters)
SUPERIOR = "qw_kongdeming"  # 孔德明, oversees 城关镇 and 区发展和改革局

# (sender, what is typed with {} for the name, a name invisible to the sender, one that exists
# nowhere); the answer may quote what was typed, so each is compared with its own name masked.
INVISIBLE_VS_NOWHERE = [
    pytest.param(STAFF, "查看{}", "赵建华", "赵建国", id="查看 a person"),
    pytest.param(STAFF, "查看{}", "城关镇", "城南镇", id="查看 a unit"),
    pytest.param(STAFF, "查看 {}", "赵建华", "赵建国", id="查看 spaced"),
    pytest.param(STAFF, "{} 查看", "赵建华", "赵建国", id="查看 after the name"),
    pytest.param(SMALL_LEADER, "能否提拔{}", "赵建华", "赵建国", id="能否提拔"),
    pytest.param(SMALL_LEADER, "能否提拔 {}", "赵建华", "赵建国", id="能否提拔 spaced"),
    pytest.param(SMALL_LEADER, "排名{}", "城关镇", "城南镇", id="排名 a unit"),
    pytest.param(SMALL_LEADER, "排名 {}", "城关镇", "城南镇", id="排名 a unit spaced"),
    pytest.param(STAFF, "排名 {} 2026Q3", "城关镇", "城南镇", id="排名 a unit and a period"),
    pytest.param(SMALL_LEADER, "增加参评{}", "赵建华", "赵建国", id="增加参评"),
    pytest.param(SMALL_LEADER, "增加参评 {} 施燕", "赵建华", "赵建国", id="增加参评 refused"),
    pytest.param(SMALL_LEADER, "增加参评 {} 施燕", "王强", "赵建国", id="增加参评 namesakes refused"),
]


@pytest.mark.parametrize(("sender", "typed", "invisible", "nowhere"), INVISIBLE_VS_NOWHERE)
async def test_a_name_the_sender_may_not_see_is_answered_as_one_that_does_not_exist(
    db_url, clock, sender: str, typed: str, invisible: str, nowhere: str
) -> None:  # type: ignore[no-untyped-def]
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        told = (await h.say(sender, typed.format(invisible))).replace(invisible, "{}")
        assert told == (await h.say(sender, typed.format(nowhere))).replace(nowhere, "{}")
        assert "2 位" not in told  # namesakes are not counted either


@pytest.mark.parametrize(
    ("sender", "typed", "suggested"),
    [
        pytest.param(STAFF, "查看朱青", "查看 朱青", id="查看 a colleague"),
        pytest.param(STAFF, "查看区发展和改革局", "查看 区发展和改革局", id="查看 own unit"),
        pytest.param(SUPERIOR, "查看赵建华", "查看 赵建华", id="查看 someone overseen"),
        pytest.param(SMALL_LEADER, "能否提拔施燕", "能否提拔 施燕", id="能否提拔"),
        pytest.param(SMALL_LEADER, "排名团区委", "排名 团区委", id="排名 own unit"),
        pytest.param(SMALL_LEADER, "增加参评施燕", "增加参评 施燕", id="增加参评"),
        pytest.param(ADMIN, "查看赵建华", "查看 赵建华", id="the admin sees everyone"),
    ],
)
async def test_a_name_the_sender_may_see_still_gets_its_suggestion(
    db_url, clock, sender: str, typed: str, suggested: str
) -> None:  # type: ignore[no-untyped-def]
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        assert f"您是想发送「{suggested}」吗" in await h.say(sender, typed)


def _unnumbered(reply: str) -> str:
    """The proposal's number counts every proposal of the district, whatever was proposed."""
    return re.sub(r"编号 \d+", "编号 N", reply)


async def _admin_cards(h: Harness) -> list[str]:
    await h.drain()
    return [d.payload["template_card"]["sub_title_text"] for d in h.pushed_to(ADMIN) if "template_card" in d.payload]


async def test_proposing_extra_raters_never_tells_the_leader_who_exists(db_url, clock) -> None:  # type: ignore[no-untyped-def]
    """The main leader's proposal is stored with the names as typed; the roster is matched for
    the admin, who decides. 王强 has two namesakes, 赵建华 one, 赵建国 none."""
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        answers = [await h.say(SMALL_LEADER, f"增加参评 {name}") for name in ("赵建华", "赵建国", "王强")]
        assert answers[0].startswith("已提交考核办审批（编号 1）")
        assert len({_unnumbered(a) for a in answers}) == 1, answers
        assert not any(word in a for a in answers for word in ("赵建", "王强", "城关镇", "没有", "2 位"))
        cards = await _admin_cards(h)
        assert "赵建华（城关镇）" in cards[0]
        assert "名册中未能确定、批准时不计入：「赵建国」" in cards[1]
        assert "「王强」" in cards[2]

        assert await h.say(ADMIN, "批准参评 2") == (
            "已批准：团区委 增加 0 位参评人员。名册中未能确定的「赵建国」未计入；如需加入，请用 shiji raters import 按账号导入。"
        )
        assert await h.say(ADMIN, "批准参评 1") == "已批准：团区委 增加 1 位参评人员。"
        await h.drain()
        notices = h.standin.texts_for(SMALL_LEADER)
        assert notices == [f"您为团区委提议增加参评人员的申请（编号 {n}）已批准，从下一轮评分起生效。" for n in (2, 1)]
