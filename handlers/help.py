"""帮助 and README's command table: both generated from the registered commands and who they
are for (handlers/audience.py), so neither can drift from what the bot does or promise a
command that would refuse the reader."""

from __future__ import annotations

from collections.abc import Iterable

from handlers.audience import keeps_log
from handlers.base import Ctx, Reply
from handlers.router import Command, Router
from storage.directory import Person


def add_help(router: Router) -> None:
    @router.command("帮助", "help", "菜单", "?", usage="帮助", summary="显示这份说明", section="其他")
    async def show_help(args: str, ctx: Ctx) -> Reply:
        return Reply(help_text(router.commands_for(ctx), ctx.person))


def help_text(commands: Iterable[Command], person: Person | None) -> str:
    """`commands`: those the asker may use; `person`: the asker (None: an admin off the roster)."""
    lines = ["📋 实绩考核助手 使用说明", _how_you_use_it(person)]
    sections: dict[str, list[str]] = {}
    for command in commands:
        sections.setdefault(command.section, []).append(f"· {command.usage} —— {command.summary}")
    for title, entries in sections.items():
        lines.append(f"\n【{title}】")  # a paragraph: a long help splits between sections
        lines.extend(entries)
    return "\n".join(lines)


def _how_you_use_it(person: Person | None) -> str:
    if keeps_log(person):
        return "直接发送文字 = 记载今天的工作日志（约 50 字）。"
    if person is None:
        return "您是考核办管理员账号，不记工作日志。可以使用的命令如下。"
    return "您是上级领导账号，不记工作日志、不参加考核。可以使用的命令如下。"


def command_table(commands: Iterable[Command]) -> str:
    """README's table of chat commands (tests/test_readme.py keeps README equal to it)."""
    lines = ["| 命令（别名） | 用法 | 谁可以用 | 作用 |", "|---|---|---|---|"]
    for command in commands:
        first, *aliases = command.keywords
        names = f"`{first}`" + (f"（{'、'.join(f'`{a}`' for a in aliases)}）" if aliases else "")
        lines.append(f"| {names} | `{command.usage}` | {command.audience.value} | {command.summary} |")
    return "\n".join(lines)
