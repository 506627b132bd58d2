"""帮助: generated from the registered commands, so it can never drift from what the bot does."""

from __future__ import annotations

from handlers.base import Ctx, Reply
from handlers.router import Router


def add_help(router: Router) -> None:
    @router.command("帮助", "help", "菜单", "?", usage="帮助", summary="显示这份说明", section="其他")
    async def show_help(args: str, ctx: Ctx) -> Reply:
        lines = ["📋 实绩考核助手 使用说明", "直接发送文字 = 记载今天的工作日志（约 50 字）。"]
        sections: dict[str, list[str]] = {}
        for command in router.commands:
            if command.admin_only and not ctx.is_admin:
                continue
            sections.setdefault(command.section, []).append(f"· {command.usage} —— {command.summary}")
        for title, entries in sections.items():
            lines.append(f"【{title}】")
            lines.extend(entries)
        return Reply("\n".join(lines))
