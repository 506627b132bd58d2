"""The record you can trust (issue 26) through the encrypted callback: every change to a day's
log kept and shown, the lock after the window, and 补记 on a logged day asked, not silent."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.testing.standin import media_for
from storage.models import DailyLog
from storage.models_record import DailyLogVersion
from tests.conftest import SAMPLE_ROSTER, at
from tests.e2e.test_archive import pdf_text
from tests.harness import ADMIN, Harness, running_bot

WU = "chengguan_wuhao"  # 吴昊, staff of 城关镇
ZHENG = "chengguan_zhengli"  # 郑丽, his colleague
SHEN = "fgj_shenyu"  # 沈宇, another unit's main leader: may not read 吴昊's logs
LOG = "上午走访城关社区三户低保家庭核实情况，下午整理民政台账并报送镇党政办"
MORE = "补充：晚上参加镇防火安全检查部署会"
LATE = "上午参加镇民政工作例会，研究冬季困难群众救助"


async def stored(h: Harness, userid: str) -> dict[str, str]:
    async with h.runtime.sessions() as session:
        rows = await session.execute(select(DailyLog.day, DailyLog.content).where(DailyLog.userid == userid))
        return {r.day.isoformat(): r.content for r in rows}


async def versions(h: Harness, userid: str) -> list[tuple[str, str]]:
    async with h.runtime.sessions() as session:
        rows = await session.execute(
            select(DailyLogVersion.change, DailyLogVersion.text)
            .where(DailyLogVersion.userid == userid).order_by(DailyLogVersion.id)
        )
        return [(r.change, r.text) for r in rows]


async def say_twice(h: Harness, userid: str, text: str) -> tuple[str, str]:
    """The same message delivered twice (WeCom retries with the same MsgId)."""
    signed = h.text(userid, text)
    first, second = await h.post(signed), await h.post(signed)
    assert first[0] == second[0] == 200
    return h.reply_content(first[1]), h.reply_content(second[1])


# ---- 1. every change kept ------------------------------------------------------------------


async def test_a_part_added_days_later_is_marked_and_every_version_is_listed(db_url, clock):
    """Issue 26: 「补记 12-04 …」 on a logged day was appended silently and 查看 showed the
    padded day with no sign that part of it came later."""
    clock.set(at("2026-12-04 17:00"))  # a Friday
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        assert "已记录" in await h.say(WU, LOG)
        clock.set(at("2026-12-04 17:30"))
        assert "已追加" in await h.say(WU, MORE)
        assert "已撤回" in await h.say(WU, "撤回")
        clock.set(at("2026-12-08 09:12"))  # the next Tuesday, inside the 5-working-day window
        asked = await h.say(WU, f"补记 12-04 {LATE}")
        assert LOG in asked and "「确认补记」" in asked and "（12月8日补记）" in asked
        assert await stored(h, WU) == {"2026-12-04": LOG}  # asked, not appended
        first, retried = await say_twice(h, WU, "确认补记")
        assert "已补记 12月4日" in first and retried == first  # a retry appends nothing twice
        assert "没有等待确认的补记" in await h.say(WU, "确认补记")  # typed again: used once
        assert await stored(h, WU) == {"2026-12-04": f"{LOG}\n{LATE}"}

        read = await h.say(ZHENG, "查看 吴昊 12-04")
        assert f"{LOG}\n{LATE}（12月8日补记）" in read
        assert f"{LATE}（12月8日补记）" in await h.say(ZHENG, "查看 吴昊 本月")
        assert f"{LATE}（12月8日补记）" in await h.say(WU, "我的 12-04")
        unit_view = await h.say(ZHENG, "查看 本单位 12-04")
        assert f"{LATE}（12月8日补记）" in unit_view

        history = await h.say(ZHENG, "查看 吴昊 12-04 历史")
        assert "共有 4 次记载和改动" in history
        assert f"1. 12月4日 17:00 记载：{LOG}" in history
        assert f"2. 12月4日 17:30 追加：{MORE}" in history
        assert f"3. 12月4日 17:30 撤回：{MORE}" in history
        assert f"4. 12月8日 09:12 补记追加：{LATE}" in history
        assert history == await h.say(ZHENG, "查看 吴昊12-04历史")  # typed without spaces
        assert "写上是哪一天" in await h.say(ZHENG, "查看 吴昊 历史")
        # Whoever may not read the log learns nothing of its history either.
        assert "没有找到您可以查看日志的「吴昊」" in await h.say(SHEN, "查看 吴昊 12-04 历史")
        assert [c for c, _ in await versions(h, WU)] == ["add", "add", "withdraw", "add"]

        await h.say(ADMIN, "导出档案 2026 吴昊")
        while await h.drain():
            pass
        (pdf,) = media_for(h.standin, ADMIN)
        assert f"{LATE}（12月8日补记）" in pdf_text(pdf.data).replace("\n", "")


async def test_a_replaced_log_says_so_and_keeps_what_it_replaced(db_url, clock):
    """修改 replaced today's log without a trace."""
    clock.set(at("2026-12-04 17:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        await h.say(WU, LOG)
        clock.set(at("2026-12-04 18:05"))
        new = "全天在镇便民服务中心值班，办理低保申请材料审核12件"
        assert "已更新" in await h.say(WU, f"修改 {new}")
        assert f"{new}（已修改 1 次）" in await h.say(ZHENG, "查看 吴昊 12-04")
        history = await h.say(ZHENG, "查看 吴昊 12-04 历史")
        assert f"1. 12月4日 17:00 记载：{LOG}" in history
        assert f"2. 12月4日 18:05 修改（替换全文）：{new}" in history
        assert f"现在的日志：\n{new}（已修改 1 次）" in history


# ---- 2. the lock after the window ----------------------------------------------------------


async def test_a_day_past_its_window_is_locked_against_every_change(db_url, clock):
    clock.set(at("2026-12-04 17:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        await h.say(WU, LOG)
        clock.set(at("2026-12-11 17:00"))  # 12-04 + 5 working days (7, 8, 9, 10, 11): still open
        assert "「确认补记」" in await h.say(WU, f"补记 12-04 {LATE}")
        clock.set(at("2026-12-14 09:00"))  # the Monday after: locked
        for typed in (f"补记 12-04 {LATE}", "确认补记", f"修改 12-04 {LATE}", "撤回 12-04"):
            reply = await h.say(WU, typed)
            assert "12月4日（周五）的日志已锁定" in reply and "最晚可在 12月11日（周五）补充" in reply, typed
        assert await stored(h, WU) == {"2026-12-04": LOG}
        # An earlier day still open is not rewritten by 修改 either: only added to, marked.
        await h.say(WU, LOG)
        told = await h.say(WU, f"修改 12-11 {LATE}")
        assert "只能用于今天的日志" in told and "补记 12-11" in told
        assert await stored(h, WU) == {"2026-12-04": LOG, "2026-12-14": LOG}
        # A number that only looks like a day is today's new text.
        assert "已更新" in await h.say(WU, "修改 3.5万元专项资金拨付材料审核完毕，报送财政所")


async def test_a_waiting_backfill_lapses(db_url, clock):
    clock.set(at("2026-12-07 09:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        assert "已补记 12月4日" in await h.say(WU, f"补记 12-04 {LOG}")  # no log yet: at once
        assert "「确认补记」" in await h.say(WU, f"补记 12-04 {LATE}")
        clock.set(at("2026-12-07 09:31"))
        lapsed = await h.say(WU, "确认补记")
        assert "已过期" in lapsed and "30 分钟" in lapsed and "补记 12-04" in lapsed
        assert await stored(h, WU) == {"2026-12-04": LOG}
        assert "（12月7日补记）" in await h.say(ZHENG, "查看 吴昊 12-04")  # the whole day came late


# ---- 7. days before go-live or before joining are never missed ------------------------------


async def test_days_before_go_live_read_as_no_log_owed_not_as_missed(db_url, clock):
    """Issue 26: 「查看 吴昊 2026Q3」 listed every working day before the 2026-09-01 go-live as
    「（未记载）」 and the archive PDF said 「第一季度小结：未提交」."""
    note = "系统 2026-09-01 上线，此前无日志"
    async with running_bot(db_url, clock, SAMPLE_ROSTER, logs={"start_date": "2026-09-01"}) as h:
        view = await h.say(ZHENG, "查看 吴昊 2026Q3")
        assert view.count(note) == 1
        assert "【8月31日（周一）】" not in view and "【7月1日（周三）】" not in view
        assert "【9月1日（周二）】（未记载）" in view
        mine = await h.say(WU, "我的 2026Q3")
        assert mine.count(note) == 1 and "【8月31日（周一）】" not in mine
        assert note in await h.say(ZHENG, "查看 吴昊 08-20")
        assert note in await h.say(WU, "我的 08-20")
        assert note in await h.say(ADMIN, "缺记统计 2026Q3")

        await h.say(ADMIN, "导出档案 2026 吴昊")
        while await h.drain():
            pass
        (pdf,) = media_for(h.standin, ADMIN)
        text = pdf_text(pdf.data)
        assert f"第一季度小结：\n无需提交（{note}）" in text
        assert f"第二季度小结：\n无需提交（{note}）" in text
        assert "第三季度小结：\n未提交" in text
        assert text.replace("\n", "").count(f"（{note}。）") == 1


# ---- 3. 批注 ---------------------------------------------------------------------------------

ZHAO = "chengguan_zhaojh"  # 赵建华, 城关镇's main leader
KONG = "qw_kongdeming"  # 孔德明, superior leader overseeing 城关镇


async def test_a_leaders_note_reaches_the_cadre_and_shows_under_the_log(db_url, clock):
    clock.set(at("2026-12-08 10:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        clock.set(at("2026-12-07 17:00"))
        await h.say(WU, LOG)
        clock.set(at("2026-12-08 10:00"))
        first, retried = await say_twice(h, ZHAO, "批注 吴昊 12-07 低保核查情况属实，请继续跟进困难户救助")
        assert "已批注 吴昊（城关镇） 12月7日（周一）的日志，已通知本人" in first and retried == first
        await h.drain()
        (told,) = [t for t in h.standin.texts_for(WU) if "批注" in t]  # once, though WeCom retried
        assert "赵建华（城关镇） 批注了您 12月7日（周一）的日志" in told and "请继续跟进困难户救助" in told
        under = "【批注】赵建华（城关镇）（12月8日）：低保核查情况属实，请继续跟进困难户救助"
        assert f"{LOG}\n{under}" in await h.say(ZHENG, "查看 吴昊 12-07")
        assert under in await h.say(WU, "我的 昨天")
        # Typed as on a phone: name glued to the day, 昨天; a superior leader over the unit.
        assert "已批注" in await h.say(KONG, "批注 吴昊昨天 已阅，台账要及时更新")
        assert "【批注】孔德明（区委）（12月8日）：已阅，台账要及时更新" in await h.say(ZHENG, "查看 吴昊 12-07")
        # What is refused, and why, storing nothing.
        assert "请在日期后写上批注内容" in await h.say(ZHAO, "批注 吴昊 12-07")
        assert "请在姓名后写上是哪一天" in await h.say(ZHAO, "批注 吴昊 写得很好")
        assert "请写上姓名、日期和批注内容" in await h.say(ZHAO, "批注")
        assert "没有日志" in await h.say(ZHAO, "批注 吴昊 12-04 请补记")
        assert "仅限单位主要领导、上级领导和考核办使用" in await h.say(ZHENG, "批注 吴昊 12-07 很好")
        assert "没有找到您可以批注的「吴昊」" in await h.say(SHEN, "批注 吴昊 12-07 很好")  # another unit
        assert "不能批注自己的日志" in await h.say(ZHAO, "批注 赵建华 12-07 自己的")
        assert "已批注" in await h.say(ADMIN, "批注 吴昊 12-07 抽查：内容具体")

        await h.say(ADMIN, "导出档案 2026 吴昊")
        while await h.drain():
            pass
        (pdf,) = media_for(h.standin, ADMIN)
        text = pdf_text(pdf.data).replace("\n", "")
        assert "【批注】赵建华（城关镇）（12月8日）：低保核查情况属实，请继续跟进困难户救助" in text
        assert "【批注】考核办（12月8日）：抽查：内容具体" in text


async def test_every_write_path_leaves_versions_that_rebuild_the_log_exactly(db_url, clock):
    """The promise attacked: whatever way a day's log is written (texts arriving together in
    one batch, one at a time, 修改, 撤回, 补记 and its confirmation, WeCom's retries), its
    versions alone rebuild the stored text, and nothing written is lost from them."""
    clock.set(at("2026-12-07 17:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        together = [f"{LOG}（第{n}段）" for n in range(4)]
        await asyncio.gather(*(h.say(WU, text) for text in together))
        await say_twice(h, WU, "补充：晚上参加镇防火安全检查部署会")
        await h.say(WU, "撤回")
        await h.say(WU, f"修改 {LOG}（修改后）")
        await h.say(WU, MORE)
        await h.say(WU, "补记 12-04 上午参加镇民政工作例会，研究冬季困难群众救助")
        clock.set(at("2026-12-08 09:00"))
        await h.say(WU, f"补记 12-07 {LATE}")
        await say_twice(h, WU, "确认补记")
        logs = await stored(h, WU)
        written: dict[str, list[str]] = {}
        async with h.runtime.sessions() as session:
            rows = await session.execute(
                select(DailyLogVersion.day, DailyLogVersion.change, DailyLogVersion.text)
                .where(DailyLogVersion.userid == WU).order_by(DailyLogVersion.id)
            )
            for day, change, text in rows:
                parts = written.setdefault(day.isoformat(), [])
                if change == "add":
                    parts.append(text)
                elif change == "replace":
                    parts[:] = [text]
                else:
                    assert parts.pop() == text
        assert {day: "\n".join(parts) for day, parts in written.items()} == logs
        assert logs["2026-12-07"] == f"{LOG}（修改后）\n{MORE}\n{LATE}"
        assert sorted(together) == sorted(t for c, t in await versions(h, WU) if c == "add" and t in together)
