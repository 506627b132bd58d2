"""`shiji serve`, `shiji demo` and `shiji chat`: run the bot, or talk to it like a phone."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import xmltodict

from bot.cli.calendar import calendar_load
from bot.cli.roster import import_roster
from bot.clock import clock_from_start
from bot.runtime import Runtime
from bot.server import serve as serve_http
from bot.settings import Settings
from bot.wecom.simulator import WeComSimulator
from bot.wecom.standin import start_standin
from storage.roster_import import read_table

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample"


async def _run_forever(runtime: Runtime) -> None:
    serving = await serve_http(runtime)
    server = runtime.settings.server
    print(f"shiji 已启动：http://{server.host}:{serving.port}{runtime.settings.wecom.callback_path}", flush=True)
    if serving.ops_port:
        print(f"运维接口：http://{server.ops_host}:{serving.ops_port}/healthz 与 /metrics", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await serving.close()


async def serve(settings: Settings) -> int:
    await _run_forever(Runtime.build(settings, clock_from_start(settings.clock.start)))
    return 0


async def demo(settings: Settings) -> int:
    """Sample district on SQLite, a loopback WeCom stand-in, and the bot, in one process."""
    api = urlsplit(settings.wecom.api_base)
    if api.hostname not in ("127.0.0.1", "localhost", "::1"):
        print(f"demo 只连接本机的企业微信模拟服务，当前 api_base={settings.wecom.api_base}", file=sys.stderr)
        return 2
    await import_roster(settings, SAMPLE_DIR / "district.csv")
    await calendar_load(settings, SAMPLE_DIR / "calendar-2027.toml")
    wecom = settings.wecom
    standin_runner, base_url, state = await start_standin(
        corp_id=wecom.corp_id, secret=wecom.secret, agent_id=wecom.agent_id,
        host=api.hostname or "127.0.0.1", port=api.port or 80,
    )
    # The stand-in's address book is the sample district plus one newcomer, so that
    # `shiji roster sync` has a difference to show.
    for rec in read_table(SAMPLE_DIR / "district.csv"):
        state.address_book.add_member(rec["userid"], rec["name"], rec["unit"], rec["position"])
    state.address_book.add_member("chengguan_xinren", "辛仁", "城关镇", "科员")
    print(f"企业微信模拟服务：{base_url}（通讯录比名册多一位新人，可试 shiji roster sync）")
    print("另开一个终端，以干部身份对话：")
    print("  .venv/bin/shiji chat --as chengguan_wuhao     （城关镇 一般干部 吴昊）")
    print("  .venv/bin/shiji chat --as chengguan_zhaojh    （城关镇 党委书记 赵建华）")
    print(f"  管理员：{', '.join(settings.admin.userids) or '（settings.toml 的 [admin] userids）'}")
    try:
        await _run_forever(Runtime.build(settings, clock_from_start(settings.clock.start)))
    finally:
        await standin_runner.cleanup()
    return 0


async def chat(settings: Settings, userid: str, messages: list[str] | None) -> int:
    """A cadre's phone: encrypt like WeCom, POST to the bot, print its replies and pushes."""
    wecom = settings.wecom
    bot_url = f"http://{settings.server.host}:{settings.server.port}"
    simulator = WeComSimulator(wecom.token, wecom.encoding_aes_key, wecom.corp_id, wecom.agent_id)
    async with aiohttp.ClientSession() as http:
        try:
            seen = await _pushes(http, wecom.api_base, userid, 0, show=False)
        except aiohttp.ClientError:
            print(f"连不上企业微信模拟服务 {wecom.api_base}：请先在另一个终端运行 make demo", file=sys.stderr)
            return 2
        print(f"以 {userid} 的身份对话。输入「帮助」查看用法，Ctrl-D 退出。")
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
            # Stamped with real time, as WeCom stamps it; the bot's business clock may be elsewhere.
            signed = simulator.text_message(userid, text)
            url = f"{bot_url}{wecom.callback_path}?{signed.query_string}"
            try:
                async with http.post(url, data=signed.body) as response:
                    raw = await response.text()
            except aiohttp.ClientError:
                print(f"连不上机器人 {bot_url}：请先在另一个终端运行 make demo", file=sys.stderr)
                return 2
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
