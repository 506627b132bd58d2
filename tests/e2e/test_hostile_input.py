"""Hostile input found by the issue-15 run, each defect pinned through the real callback."""

from __future__ import annotations

from tests.conftest import SAMPLE_ROSTER
from tests.harness import ADMIN, running_bot

ERROR = "系统暂时出错"


async def test_oversized_and_exotic_ids_are_refused_not_internal_errors(db_url, clock):
    """Defect 2: `int()` of a 20-digit id overflowed the INTEGER column; '²' passed isdigit()."""
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        for text in ("批准请假 99999999999999999999", "驳回请假 ٢", "批准请假 #2147483648"):
            reply = await h.say(ADMIN, text)
            assert "请写上申请编号" in reply, (text, reply)
        assert "只有申请人所在单位的主要领导或考核办" in await h.say(ADMIN, "批准请假 ２１４７４８３６４７")
        for task_id, refusal in (
            ("leave-99999999999999999999-x", "这张卡片无法识别"),
            ("leave-²-x", "这张卡片无法识别"),
            ("rxp-99999999999999999999-x", "这张审批卡片无法识别"),
            ("rxp-²-x", "这张审批卡片无法识别"),
        ):
            status, body = await h.card(ADMIN, task_id, "approve")
            assert status == 200
            assert refusal in h.reply_content(body), task_id
