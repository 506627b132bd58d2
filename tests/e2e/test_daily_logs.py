"""晒实绩 through the real encrypted callback: a cadre's phone → WeCom → bot → database."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from sqlalchemy import func, select

from storage.models import DailyLog, InboundMessage, UnknownUser
from tests.conftest import SAMPLE_2027, SAMPLE_ROSTER, at
from tests.harness import ADMIN, running_bot

WU = "chengguan_wuhao"  # 吴昊, staff of 城关镇
LOG = "上午走访城关社区三户低保家庭核实情况，下午整理民政台账并报送镇党政办"


async def stored_logs(h, userid: str) -> dict[str, str]:
    async with h.runtime.sessions() as session:
        rows = await session.execute(select(DailyLog.day, DailyLog.content).where(DailyLog.userid == userid))
        return {r.day.isoformat(): r.content for r in rows}


async def test_plain_text_is_todays_log_and_a_second_text_is_appended(db_url, clock):
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        first = await h.say(WU, LOG)
        assert "已记录" in first and "11月23日" in first
        second = await h.say(WU, "补充：晚上参加镇防火安全检查部署会")
        assert "已追加" in second
        assert await stored_logs(h, WU) == {"2026-11-23": LOG + "\n补充：晚上参加镇防火安全检查部署会"}
        mine = await h.say(WU, "我的")
        assert LOG in mine and "防火安全" in mine


async def test_a_command_run_into_a_name_is_asked_about_never_appended_to_the_log(db_url, clock):
    """「查看司马相如」 (nobody of that name) and 「增加参评沈宇」 (another unit's) were appended to
    吴昊's log, for his whole unit to read; now each is answered, whoever the name is."""
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        assert "已记录" in await h.say(WU, LOG)
        for typed, told in [
            ("查看司马相如", "「查看 司马相如」"), ("查看沈宇", "「查看 沈宇」"),
            ("增加参评沈宇", "「增加参评」仅限单位主要领导使用"),  # a staff member: not theirs to propose
        ]:
            assert told in await h.say(WU, typed)
        assert await stored_logs(h, WU) == {"2026-11-23": LOG}


async def test_too_short_and_too_long_are_refused_and_nothing_is_stored(db_url, clock):
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        short = await h.say(WU, "开会")
        assert "太短" in short and "15" in short
        long = await h.say(WU, "写" * 501)
        assert "太长" in long and "500" in long and "未保存" in long
        assert await stored_logs(h, WU) == {}


async def test_a_long_log_gets_a_gentle_note_not_a_refusal(db_url, clock):
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        reply = await h.say(WU, "今天" + "做了很多具体工作" * 25)
        assert "已记录" in reply and "50 字左右" in reply


async def test_correct_replaces_todays_log_but_a_sentence_starting_with_the_word_is_a_log(db_url, clock):
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        await h.say(WU, LOG)
        assert "已更新" in await h.say(WU, "修改 全天在镇便民服务中心值班，办理低保申请材料审核12件")
        assert await stored_logs(h, WU) == {"2026-11-23": "全天在镇便民服务中心值班，办理低保申请材料审核12件"}
        sentence = "修改了镇应急预案中关于防汛物资储备的三处表述并上报"
        assert "已追加" in await h.say(WU, sentence)
        assert (await stored_logs(h, WU))["2026-11-23"].endswith("\n" + sentence)


async def test_backfill_within_window_in_several_date_spellings(db_url, clock):
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        assert "已补记 11月20日" in await h.say(WU, f"补记 11-20 {LOG}")
        assert "已补记 11月19日" in await h.say(WU, f"补记 2026-11-19 {LOG}")
        assert "已补记 11月18日" in await h.say(WU, f"补记11月18日 {LOG}")
        # Full-width digits, dash and space, as a phone keyboard may send them.
        assert "已补记 11月17日" in await h.say(WU, f"补记　１１－１７　{LOG}")
        assert sorted(await stored_logs(h, WU)) == ["2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20"]


async def test_backfill_refusals_say_why(db_url, clock):
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        weekend = await h.say(WU, f"补记 昨天 {LOG}")  # Sunday 11-22
        assert "周末" in weekend and "不是工作日" in weekend
        future = await h.say(WU, f"补记 11-25 {LOG}")
        assert "还没到" in future
        garbled = await h.say(WU, f"补记 13-45 {LOG}")
        assert "日期" in garbled and "11-20" in garbled
        no_date = await h.say(WU, "补记 忘了写的内容补上吧今天的")
        assert "请在「补记」后写上日期" in no_date
        # 11-13 (Fri): its fifth working day after is 11-20, so on 11-23 it is closed.
        late = await h.say(WU, f"补记 11-13 {LOG}")
        assert "11月20日" in late and "已超过补记期限" in late
        assert await stored_logs(h, WU) == {}


async def test_backfill_window_across_national_day_2026(db_url, clock):
    clock.set(at("2026-10-13 09:00"))  # 09-30's fifth working day after (国庆 1–8 off, 10-10 worked)
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        assert "已补记" in await h.say(WU, f"补记 09-30 {LOG}")
        holiday = await h.say(WU, f"补记 10-03 {LOG}")
        assert "国庆节假期" in holiday
        assert "已补记 10月10日" in await h.say(WU, f"补记 10-10 {LOG}")  # 调休 Saturday
        clock.set(at("2026-10-14 09:00"))
        late = await h.say(WU, f"补记 09-29 {LOG}")
        assert "已超过补记期限" in late and "10月12日" in late


async def test_backfill_window_across_new_year_needs_the_2027_schedule(db_url, clock, tmp_path: Path):
    clock.set(at("2026-12-31 18:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        refused = await h.say(WU, f"补记 12-28 {LOG}")
        assert "尚未载入 2027 年" in refused and "未保存" in refused
        assert await stored_logs(h, WU) == {}
        await h.drain()
        alerts = h.pushed_to(ADMIN)
        alerts = h.standin.texts_for(ADMIN)
        assert len(alerts) == 1 and "shiji calendar load" in alerts[0]
    clock.set(at("2027-01-05 18:00"))  # 12-28 + 5 working days: 29, 30, 31, 1-4 (元旦 1-01), 1-05
    async with running_bot(db_url, clock, None, calendars=(SAMPLE_2027,)) as h:
        assert "已补记 2026年12月28日" in await h.say(WU, f"补记 12-28 {LOG}")
        clock.set(at("2027-01-06 09:00"))
        late = await h.say(WU, f"补记 2026-12-28 {LOG}")
        assert "已锁定" in late and "最晚可在 1月5日" in late  # logged that day: locked (issue 26)
        assert "已补记 2026年12月29日" in await h.say(WU, f"补记 12-29 {LOG}")


async def test_a_retried_callback_is_stored_once_and_answered_the_same(db_url, clock):
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        signed = h.text(WU, LOG, msg_id=424242)
        replies = [h.reply_content((await h.post(signed))[1]) for _ in range(4)]
        assert len(set(replies)) == 1 and "已记录" in replies[0]
        assert await stored_logs(h, WU) == {"2026-11-23": LOG}  # not appended four times


async def test_retry_is_recognised_after_a_restart(db_url, clock):
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        signed = h.text(WU, LOG, msg_id=515151)
        first = h.reply_content((await h.post(signed))[1])
    async with running_bot(db_url, clock, None) as h:  # new process memory, same database
        again = h.reply_content((await h.post(signed))[1])
        assert again == first
        assert await stored_logs(h, WU) == {"2026-11-23": LOG}


async def test_fifty_cadres_posting_at_once_all_get_their_logs_stored(db_url, clock, tmp_path: Path):
    roster = tmp_path / "roster.csv"
    lines = ["userid,name,unit,unit_category,role,rank"]
    lines += [f"u{i:03d},干部{i:03d},城关镇,township,{'main_leader' if i == 0 else 'staff'},general" for i in range(50)]
    roster.write_text("\n".join(lines), encoding="utf-8")
    async with running_bot(db_url, clock, roster) as h:
        replies = await asyncio.gather(*(h.say(f"u{i:03d}", f"{LOG}（第{i}号）") for i in range(50)))
        assert all("已记录" in r for r in replies)
        async with h.runtime.sessions() as session:
            count = (await session.execute(select(func.count()).select_from(DailyLog))).scalar_one()
        assert count == 50


async def test_unknown_user_is_refused_politely_and_recorded_for_the_admin(db_url, clock):
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        reply = await h.say("stranger01", "你好，我想看看日志")
        assert "不在本区干部实绩考核名册中" in reply and "组织部" in reply
        await h.say("stranger01", "再试一次")
        async with h.runtime.sessions() as session:
            row = (await session.execute(select(UnknownUser))).scalar_one()
            inbound = (await session.execute(select(func.count()).select_from(InboundMessage))).scalar_one()
        assert (row.userid, row.attempts, row.last_text) == ("stranger01", 2, "再试一次")
        assert inbound == 2
        assert await stored_logs(h, "stranger01") == {}


async def test_missing_list_shows_open_and_closed_days_with_deadlines(db_url, clock):
    clock.set(at("2026-10-20 09:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER, logs={"start_date": "2026-10-09"}) as h:
        await h.say(WU, f"补记 10-19 {LOG}")
        reply = await h.say(WU, "缺记")
        assert "今天的日志还没有记载" in reply
        # 10-09, 10-10 (调休), 10-12 … 10-16 missing; 10-12's window closed on 10-19.
        assert "10月13日（周二），最晚 10月20日（周二）" in reply
        assert "还可以补记的 4 天" in reply
        assert "已过补记期限的 3 天" in reply and "10月9日、10月10日、10月12日" in reply


async def test_superior_and_admin_do_not_write_logs(db_url, clock):
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        assert "上级领导账号" in await h.say("qw_kongdeming", LOG)
        assert "管理员账号" in await h.say(ADMIN, LOG)


async def test_help_lists_the_commands(db_url, clock):
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        text = await h.say(WU, "帮助")
        for word in ("补记", "修改", "我的", "缺记"):
            assert word in text


async def test_non_text_messages_get_an_answer(sqlite_url, clock):
    async with running_bot(sqlite_url, clock, SAMPLE_ROSTER) as h:
        ct = int(time.time())  # WeCom stamps real time
        inner = (
            f"<xml><ToUserName><![CDATA[{h.sim.corp_id}]]></ToUserName><FromUserName><![CDATA[{WU}]]></FromUserName>"
            f"<CreateTime>{ct}</CreateTime><MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://x/y.png]]></PicUrl>"
            f"<MediaId><![CDATA[m1]]></MediaId><MsgId>99</MsgId><AgentID>{h.sim.agent_id}</AgentID></xml>"
        )
        status, body = await h.post(h.sim.callback(inner, timestamp=ct))
        assert status == 200 and "只能识别文字" in h.reply_content(body)


# ---- issue 10: what a new user tripped over -----------------------------------------------


async def test_chit_chat_is_never_stored_in_the_official_log(db_url, clock):
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        assert "已记录" in await h.say(WU, LOG)
        answers = {
            text: await h.say(WU, text)
            for text in ("好的", "👍", "帮组", "查看吴昊", "我得分", "排名正科级", "收到，谢谢领导！")
        }
        assert all("已记录" not in a for a in answers.values()), answers
        assert "您是想发送「查看 吴昊」吗" in answers["查看吴昊"]
        assert "您是不是想发送「帮助」" in answers["帮组"]
        assert "您是不是想发送「我的得分」" in answers["我得分"]
        assert "您是想发送「排名 正科级」吗" in answers["排名正科级"]
        assert await stored_logs(h, WU) == {"2026-11-23": LOG}
        # What colleagues read through 查看 is the log alone.
        assert await h.say("chengguan_liumin", "查看 吴昊 今天") == f"吴昊（城关镇） 11月23日（周一）的日志：\n{LOG}"


async def test_a_first_log_of_emoji_is_refused_because_only_words_count(db_url, clock):
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        assert "已记录" not in await h.say(WU, "👍" * 16)
        short = await h.say(WU, "开会。。。。。。。。。。。。。。。。")
        assert "日志太短了（2 字" in short and "至少需要 15 字" in short
        assert await stored_logs(h, WU) == {}


async def test_an_appended_part_must_carry_real_content_too(db_url, clock):
    async with running_bot(db_url, clock, SAMPLE_ROSTER, logs={"append_min_chars": 6}) as h:
        await h.say(WU, LOG)
        short = await h.say(WU, "开会了！！")
        assert "追加的内容太短了（3 字" in short and "至少需要 6 字" in short
        assert "已追加" in await h.say(WU, "下午参加党建会议")
        assert await stored_logs(h, WU) == {"2026-11-23": f"{LOG}\n下午参加党建会议"}


async def test_withdraw_takes_back_the_last_appended_part_of_today_only(db_url, clock):
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        await h.say(WU, LOG)
        first = await h.say(WU, "补充：晚上参加镇防火安全检查部署会")
        assert "发送「撤回」可撤回" in first
        await h.say(WU, "又及：明天上午\n继续走访剩余两户")  # a part of two lines is one part
        assert "其中追加了 2 段" in await h.say(WU, "我的")
        undone = await h.say(WU, "撤回")
        assert "又及：明天上午\n继续走访剩余两户" in undone
        assert await stored_logs(h, WU) == {"2026-11-23": f"{LOG}\n补充：晚上参加镇防火安全检查部署会"}
        await h.say(WU, "撤回")
        assert await stored_logs(h, WU) == {"2026-11-23": LOG}
        nothing = await h.say(WU, "撤回")
        assert "没有追加的内容可撤回" in nothing and "修改" in nothing
        assert "请在「修改」后写上今天日志的新内容" in await h.say(WU, "修改")
        assert await stored_logs(h, WU) == {"2026-11-23": LOG}


async def test_real_work_text_is_stored_even_when_it_starts_like_a_command(db_url, clock):
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        assert "已记录" in await h.say(WU, "查看现场发现三处安全隐患，已督促整改到位")
        for part in ("出差回来整理培训材料", "我的台账已全部更新", "排名靠前的两个村已完成验收"):
            assert "已追加" in await h.say(WU, part), part
        assert len((await stored_logs(h, WU))["2026-11-23"].splitlines()) == 4


async def test_backfill_with_a_date_but_no_text_asks_for_the_content_after_the_date(db_url, clock):
    clock.set(at("2026-11-24 10:00"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        reply = await h.say(WU, "补记 昨天")
        assert "请在日期后写上那天的工作内容" in reply and "「补记 昨天 " in reply
        assert "今天" not in reply
        assert await stored_logs(h, WU) == {}


async def test_unknown_users_listing_shows_shanghai_time_not_utc(db_url, clock, capsys):
    from bot.cli.roster import unknown_users

    clock.set(at("2026-11-23 13:13"))
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        await h.say("stranger01", "你好")
        assert await unknown_users(h.settings) == 0
    assert "最近 2026-11-23 13:13" in capsys.readouterr().out


async def test_missing_query_lists_what_is_known_while_a_year_has_no_holiday_schedule(db_url, clock):
    clock.set(at("2026-12-31 10:00"))  # 2027's schedule is not loaded
    async with running_bot(db_url, clock, SAMPLE_ROSTER, logs={"start_date": "2026-12-21"}) as h:
        reply = await h.say(WU, "缺记")
        assert "未保存" not in reply
        assert "尚未载入 2027 年" in reply
        # 12-21 … 12-24 close in 2026; 12-25 onwards close in 2027 and are not guessed.
        assert "还可以补记的 1 天" in reply and "12月24日（周四），最晚 12月31日（周四）" in reply
        assert "已过补记期限的 3 天" in reply
        assert "12月25日" not in reply
        # Counting days needs no backfill deadline: 缺记统计 knows all of them.
        stats = await h.say(ADMIN, "缺记统计")
        assert "未保存" not in stats and "· 城关镇（12 人）：" in stats
        await h.drain()
        assert len([t for t in h.standin.texts_for(ADMIN) if "shiji calendar load 2027" in t]) == 1


async def test_a_log_that_starts_with_the_word_progress_is_a_log_and_progress_alone_is_the_admins(db_url, clock):
    """「进度」 (the admin's jobs) is a command only alone: a day's work reported as 「进度：……」
    or 「进度本周……」 was refused as the admin's command and never stored."""
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        work = "进度：城关社区三户低保家庭核实完毕，民政台账已报送镇党政办"
        assert "已记录" in await h.say(WU, work)
        more = "进度本周完成防汛物资清点，剩余两个村下周一前补齐"
        assert "已追加" in await h.say(WU, more)
        assert await stored_logs(h, WU) == {"2026-11-23": f"{work}\n{more}"}
        assert "仅限" in await h.say(WU, "进度")  # alone it is the admin's command, refused as such
        assert "没有进行中的操作" in await h.say(ADMIN, "进度")
        for typed in ("进 度", "进渡"):  # a space or a slip in the word alone: asked about, as other keywords are
            assert "「进度」" in await h.say(ADMIN, typed), typed
