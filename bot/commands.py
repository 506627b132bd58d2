"""What each `shiji` subcommand does (bot/cli.py parses the arguments)."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import xmltodict
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.calendar import CalendarFileError, build_calendar, parse_calendar_file
from bot.clock import Clock, clock_from_start
from bot.runtime import Runtime
from bot.server import create_app
from bot.settings import Settings
from storage.db import create_engine, migrate, session_factory
from storage.repos import Store
from storage.roster_import import RosterError, apply_roster, parse_roster, read_table

SAMPLE_DIR = Path(__file__).resolve().parent / "sample"


def _clock(settings: Settings) -> Clock:
    return clock_from_start(settings.clock.start)


async def _run_forever(runtime: Runtime) -> None:
    app = create_app(runtime)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, runtime.settings.server.host, runtime.settings.server.port)
    await site.start()
    print(
        f"shiji 已启动：http://{runtime.settings.server.host}:{runtime.settings.server.port}"
        f"{runtime.settings.wecom.callback_path}",
        flush=True,
    )
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


async def serve(settings: Settings) -> int:
    await _run_forever(Runtime.build(settings, _clock(settings)))
    return 0


@asynccontextmanager
async def _sessions(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A migrated database for one CLI command, disposed afterwards."""
    engine = create_engine(settings.database.url)
    try:
        await migrate(engine)
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def db_upgrade(settings: Settings) -> int:
    async with _sessions(settings):
        pass
    print("数据库已升级到最新结构。")
    return 0


async def import_roster(settings: Settings, path: Path) -> int:
    try:
        rows = parse_roster(read_table(path))
    except RosterError as exc:
        print(f"名册未导入（全部回退），共 {len(exc.problems)} 处问题：", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        print(f"无法读取 {path}：{exc}", file=sys.stderr)
        return 2
    async with _sessions(settings) as sessions:
        async with sessions() as session, session.begin():
            summary = await apply_roster(session, rows, _clock(settings).now())
    print(
        f"名册已导入：{len(rows)} 行，新建单位 {summary.units_created} 个，"
        f"新增 {summary.cadres_created} 人，更新 {summary.cadres_updated} 人。运行中的机器人一分钟内生效。"
    )
    return 0


async def calendar_load(settings: Settings, path: Path) -> int:
    try:
        schedule = parse_calendar_file(path)
    except CalendarFileError as exc:
        print(f"未载入：\n{exc}", file=sys.stderr)
        return 2
    async with _sessions(settings) as sessions:
        async with sessions() as session, session.begin():
            await Store(session).calendar.load_year(
                schedule.year, schedule.holidays, schedule.makeup_workdays, str(path), _clock(settings).now()
            )
    print(
        f"已载入 {schedule.year} 年安排：假日 {len(schedule.holidays)} 天，"
        f"调休上班 {len(schedule.makeup_workdays)} 天。"
    )
    return 0


async def calendar_show(settings: Settings) -> int:
    async with _sessions(settings) as sessions:
        async with sessions() as session:
            loaded = await Store(session).calendar.loaded()
    calendar = build_calendar(loaded)
    packaged = sorted(calendar.years - {y.year for y, _ in loaded})
    print(f"内置（chinesecalendar）：{packaged[0]}–{packaged[-1]}")
    for year, days in loaded:
        print(f"已载入 {year.year}：{len(days)} 个例外日期，来源 {year.source}")
    return 0


async def unknown_users(settings: Settings) -> int:
    async with _sessions(settings) as sessions:
        async with sessions() as session:
            rows = await Store(session).unknown_users.all()
    if not rows:
        print("没有名册外用户联系过机器人。")
    for row in rows:
        print(f"{row.userid}\t{row.attempts} 次\t最近 {row.last_seen:%Y-%m-%d %H:%M}\t{row.last_text}")
    return 0


async def remind_now(settings: Settings, kind: str) -> int:
    """One reminder pass now, then deliver it; claims keep it from repeating a scheduled one."""
    from scheduler.log_jobs import remind

    runtime = Runtime.build(settings, _clock(settings))
    runtime.background = False  # no scheduler, no sender loop: this pass only
    await runtime.start()
    try:
        outcome = await remind(runtime.jobs, kind.replace("-", "_"), runtime.clock.now())
        attempted = await runtime.sender.drain_once()
    finally:
        await runtime.close()
    if outcome is None:
        print("今天不是工作日（或缺少节假日安排），没有发送提醒。")
        return 0
    print(
        f"{outcome.day}：应提醒 {outcome.due} 人，新发 {outcome.queued} 人"
        f"（其余此前已提醒），{outcome.batches} 批；本次投递 {attempted} 条消息。"
    )
    return 0


async def demo(settings: Settings) -> int:
    """Sample district on SQLite, a loopback WeCom stand-in, and the bot, in one process."""
    from bot.wecom.standin import start_standin

    api = urlsplit(settings.wecom.api_base)
    if api.hostname not in ("127.0.0.1", "localhost", "::1"):
        print(f"demo 只连接本机的企业微信模拟服务，当前 api_base={settings.wecom.api_base}", file=sys.stderr)
        return 2
    await import_roster(settings, SAMPLE_DIR / "district.csv")
    await calendar_load(settings, SAMPLE_DIR / "calendar-2027.toml")
    wecom = settings.wecom
    standin_runner, base_url, _state = await start_standin(
        corp_id=wecom.corp_id, secret=wecom.secret, agent_id=wecom.agent_id,
        host=api.hostname or "127.0.0.1", port=api.port or 80,
    )
    print(f"企业微信模拟服务：{base_url}")
    print("另开一个终端，以干部身份对话：")
    print("  .venv/bin/shiji chat --as chengguan_wuhao     （城关镇 一般干部 吴昊）")
    print("  .venv/bin/shiji chat --as chengguan_zhaojh    （城关镇 党委书记 赵建华）")
    print(f"  管理员：{', '.join(settings.admin.userids) or '（settings.toml 的 [admin] userids）'}")
    try:
        await _run_forever(Runtime.build(settings, _clock(settings)))
    finally:
        await standin_runner.cleanup()
    return 0


async def chat(settings: Settings, userid: str, messages: list[str] | None) -> int:
    """A cadre's phone: encrypt like WeCom, POST to the bot, print its replies and pushes."""
    from bot.wecom.simulator import WeComSimulator

    wecom = settings.wecom
    bot_url = f"http://{settings.server.host}:{settings.server.port}"
    simulator = WeComSimulator(wecom.token, wecom.encoding_aes_key, wecom.corp_id, wecom.agent_id)
    async with aiohttp.ClientSession() as http:
        try:
            async with http.get(f"{bot_url}/healthz") as response:
                server_now = (await response.json())["now"]
        except aiohttp.ClientError:
            print(f"连不上机器人 {bot_url}：请先在另一个终端运行 make demo", file=sys.stderr)
            return 2
        # Timestamps follow the bot's clock (the demo may run in December while we run today).
        from datetime import datetime

        offset = datetime.fromisoformat(server_now).timestamp() - _clock(settings).now().timestamp()
        seen = await _pushes(http, wecom.api_base, userid, 0, show=False)
        print(f"以 {userid} 的身份对话（机器人时间 {server_now[:16]}）。输入「帮助」查看用法，Ctrl-D 退出。")
        queue = list(messages or [])
        while True:
            if messages is not None:
                if not queue:
                    break
                text = queue.pop(0)
                print(f"> {text}")
            else:
                try:
                    text = (await asyncio.to_thread(input, "> ")).strip()
                except EOFError:
                    break
                if not text:
                    continue
            timestamp = int(_clock(settings).now().timestamp() + offset)
            signed = simulator.text_message(userid, text, create_time=timestamp)
            url = f"{bot_url}{wecom.callback_path}?{signed.query_string}"
            async with http.post(url, data=signed.body) as response:
                raw = await response.text()
                if response.status != 200:
                    print(f"[HTTP {response.status}] {raw}")
                    continue
            print(reply_text(simulator.open_reply(raw)) or "（无回复）")
            await asyncio.sleep(0.3)  # let the outbox sender deliver follow-up pushes
            seen = await _pushes(http, wecom.api_base, userid, seen, show=True)
    return 0


def reply_text(reply_xml: str) -> str:
    """The text of a passive reply (or a note that the card was updated)."""
    if not reply_xml:
        return ""
    doc = xmltodict.parse(reply_xml, disable_entities=True)["xml"]
    if doc.get("MsgType") == "text":
        return str(doc.get("Content") or "")
    return f"[卡片已更新] {json.dumps(doc, ensure_ascii=False)}"


async def _pushes(http: aiohttp.ClientSession, api_base: str, userid: str, after: int, *, show: bool) -> int:
    """Messages the stand-in delivered to this user through the API since `after`."""
    async with http.get(f"{api_base}/_standin/messages", params={"userid": userid, "after": after}) as resp:
        data = await resp.json()
    if show:
        for message in data["messages"]:
            print(f"[推送] {json.dumps(message, ensure_ascii=False) if not isinstance(message, str) else message}")
    return int(data["next"])


async def _rating_unit_of_work(settings: Settings, work):  # type: ignore[no-untyped-def]
    """One transaction with what rating work needs; a Refusal rolls it back and exits 2."""
    from handlers.base import Refusal
    from handlers.rating.service import RatingEnv
    from storage.directory import Directory

    async with _sessions(settings) as sessions:
        async with sessions() as session:
            try:
                async with session.begin():
                    store = Store(session)
                    directory = Directory(
                        await store.roster.units(), await store.roster.cadres(), await store.roster.oversight()
                    )
                    calendar = build_calendar(await store.calendar.loaded())
                    env = RatingEnv(store, settings, directory, calendar, _clock(settings).now())
                    print(await work(env))
            except Refusal as refusal:
                print(refusal.text, file=sys.stderr)
                return 2
    return 0


async def rating_round(settings: Settings, action: str, quarter: str) -> int:
    """`shiji round open|close|publish|status [2026Q4]`: the same as the admin's chat commands."""
    from handlers.base import Refusal
    from handlers.rating.service import (
        close_round,
        open_round,
        parse_quarter,
        progress_text,
        publish_round,
        round_for,
    )
    from scoring.workdays import QuarterId

    async def work(env):  # type: ignore[no-untyped-def]
        if action == "open":
            target = parse_quarter(quarter) if quarter else QuarterId.of(env.today).previous()
            if target is None:
                raise Refusal(f"看不懂季度「{quarter}」，请写成 2026Q4。")
            return await open_round(env, target, "cli")
        statuses = {"close": ("open",), "publish": ("closed",), "status": ("open", "closed", "published")}
        rnd = await round_for(env, quarter, default_status=statuses[action])
        if action == "close":
            return await close_round(env, rnd)
        if action == "publish":
            return await publish_round(env, rnd)
        return await progress_text(env, rnd)

    return await _rating_unit_of_work(settings, work)


async def raters_import(settings: Settings, action: str, path: Path) -> int:
    """`shiji raters import FILE` (unit,userid) / `shiji raters groups FILE` (group,userid)."""
    from handlers.base import Refusal
    from handlers.rating.extra_raters import (
        ImportProblems,
        apply_extra_raters,
        check_extra_raters,
        check_role_groups,
    )

    try:
        records = read_table(path)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        print(f"无法读取 {path}：{exc}", file=sys.stderr)
        return 2

    async def work(env):  # type: ignore[no-untyped-def]
        try:
            if action == "groups":
                groups = check_role_groups(records, env.directory)
                await env.store.rating.replace_role_groups(groups)
                return f"已导入 {len(groups)} 个组：" + "、".join(f"{k}（{len(v)} 人）" for k, v in groups.items())
            rows = check_extra_raters(records, env.directory, settings.rating.small_unit_below)
            added = await apply_extra_raters(env.store, rows, env.now)
            return f"已导入 {len(rows)} 行参评人员（新增 {added} 人，已批准），从下一轮评分起生效。"
        except ImportProblems as exc:
            raise Refusal(f"未导入（全部回退），共 {len(exc.problems)} 处问题：\n" + "\n".join(exc.problems)) from None

    return await _rating_unit_of_work(settings, work)
