"""`shiji serve` and `shiji demo`: run the bot, alone or with the sample district and its page."""

from __future__ import annotations

import asyncio
import errno
import signal
import socket
import sys
from urllib.parse import urlsplit

from bot.clock import clock_from_start
from bot.demo.credentials import DEMO_WECOM, demo_settings
from bot.demo.run import fresh_demo_database, running_demo, with_sections
from bot.logs import as_debug
from bot.runtime import Runtime
from bot.server import serve as serve_http
from bot.settings import Settings, where_text
from bot.startup_check import refuse_unsafe

STOPPED = "已停止"
DEMO_PAGE = f"{DEMO_WECOM['api_base']}/"  # where `shiji chat` looks for the page by default


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


def page_port(settings: Settings) -> int:
    """The port the demo page (the WeCom stand-in) listens on."""
    return urlsplit(settings.wecom.api_base).port or 80


def is_busy(host: str, port: int) -> bool:
    """Whether something already listens on `host:port` (bound as aiohttp binds: address reuse
    on, so a port a stopped demo left in TIME_WAIT is free)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            return error.errno in (errno.EADDRINUSE, errno.EACCES)
    return False


def busy_text(settings: Settings) -> str | None:
    """One line naming each busy port of the demo and free ones to use instead; None if free."""
    host = settings.server.host
    ports = {"演示页面": page_port(settings), "机器人": settings.server.port}
    busy = [f"{port}（{what}）" for what, port in ports.items() if port and is_busy(host, port)]
    if not busy:
        return None
    page, bot = _free_pair(host, max(ports.values()) + 10)
    return (
        f"端口 {'、'.join(busy)}已被占用（也许另一个演示还在运行）：请先停止占用它的程序，"
        f"或换用空闲端口：make demo DEMO_PORT={page} DEMO_BOT_PORT={bot}"
        f"（即 shiji demo --port {page} --bot-port {bot}；终端对话时加 --port {page}）。"
    )


def _free_pair(host: str, start: int) -> tuple[int, int]:
    """Two neighbouring free ports from `start` on: (page, bot)."""
    port = start
    while is_busy(host, port) or is_busy(host, port + 1):
        port += 2
    return port + 1, port


async def demo(settings: Settings, port: int | None = None, bot_port: int | None = None) -> int:
    """The sample district a few weeks into use, the demo page and the bot, in one process,
    with the demo's published app secrets and admin (bot/demo/credentials.py): its WeCom is
    the stand-in on this machine. Ctrl-C (or SIGTERM) stops it cleanly: 已停止, exit 0."""
    settings = demo_settings(settings)
    if port is not None:
        settings = with_sections(settings, wecom={"api_base": f"http://127.0.0.1:{port}"})
    if bot_port is not None:
        settings = with_sections(settings, server={"port": bot_port})
    if (busy := busy_text(settings)) is not None:
        print(busy, file=sys.stderr)
        return 2
    settings = fresh_demo_database(settings)
    print(where_text(settings), file=sys.stderr)
    _stop_on_signals()
    try:
        print("正在准备示例区：从上线日起的日志、小结、请假和一个已发布的季度……", flush=True)
        # APScheduler's bookkeeping (jobs added, started, shut down at every move of the clock)
        # is not news in the demo either.
        with as_debug("apscheduler"):
            async with running_demo(settings, clock_from_start(settings.clock.start)) as running:
                plan = running.plan
                assert plan is not None  # the demo always plans its district (a rehearsal has none)
                chat_port = "" if running.page_url == DEMO_PAGE else f" --port {page_port(settings)}"
                print(
                    f"\n在浏览器中打开：{running.page_url}\n"
                    f"（示例区 {plan.go_live:%Y-%m-%d} 上线，{plan.published} 已发布；"
                    f"页面左侧选择身份，顶部拨动机器人时间；/?as=USERID 直接以某人身份打开）\n"
                    f"也可在终端对话：.venv/bin/shiji chat --as chengguan_wuhao{chat_port}\n"
                    f"命令行管理命令请指向演示数据库，例如："
                    f"SHIJI_DATABASE__URL={settings.database.url} .venv/bin/shiji round status {plan.published}\n"
                    "按 Ctrl-C 停止。",
                    flush=True,
                )
                await asyncio.Event().wait()
    except asyncio.CancelledError:  # Ctrl-C or SIGTERM: the demo has closed in order
        pass
    except OSError as error:  # a port taken between the check and the bind
        if error.errno != errno.EADDRINUSE:
            raise
        print(busy_text(settings) or f"端口已被占用：{error}", file=sys.stderr)
        return 2
    print(STOPPED, flush=True)
    return 0


def _stop_on_signals() -> None:
    """Ctrl-C and SIGTERM cancel the demo wherever it is (preparing or running): it closes in
    order and ends with exit 0, so `make demo` does not report 「Error 130」. A second Ctrl-C
    while it closes is ignored."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    asked: list[bool] = []

    def stop() -> None:
        if task is not None and not asked:
            asked.append(True)
            task.cancel()

    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stop)
