"""`shiji serve` and `shiji demo`: run the bot, alone or with the sample district and its page."""

from __future__ import annotations

import asyncio

from bot.clock import clock_from_start
from bot.demo.credentials import demo_settings
from bot.demo.run import fresh_demo_database, running_demo
from bot.runtime import Runtime
from bot.server import serve as serve_http
from bot.settings import Settings
from bot.startup_check import refuse_unsafe


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
    if refuse_unsafe(settings, "shiji serve"):
        return 2
    await _run_forever(Runtime.build(settings, clock_from_start(settings.clock.start)))
    return 0


async def demo(settings: Settings) -> int:
    """The sample district a few weeks into use, the demo page and the bot, in one process,
    with the demo's published app secrets and admin (bot/demo/credentials.py): its WeCom is
    the stand-in on this machine."""
    settings = fresh_demo_database(demo_settings(settings))
    print("正在准备示例区：从上线日起的日志、小结、请假和一个已发布的季度……", flush=True)
    async with running_demo(settings, clock_from_start(settings.clock.start)) as running:
        plan = running.plan
        assert plan is not None  # the demo always plans its district (a rehearsal has none)
        print(
            f"\n在浏览器中打开：{running.page_url}\n"
            f"（示例区 {plan.go_live:%Y-%m-%d} 上线，{plan.published} 已发布；"
            f"页面左侧选择身份，顶部拨动机器人时间；/?as=USERID 直接以某人身份打开）\n"
            "也可在终端对话：.venv/bin/shiji chat --as chengguan_wuhao",
            flush=True,
        )
        await asyncio.Event().wait()
    return 0
