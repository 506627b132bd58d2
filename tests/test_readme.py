"""README's command table is the bot's: a command added, renamed or dropped fails here until
README says so (the assertion message prints the table to paste)."""

from __future__ import annotations

from pathlib import Path

from handlers.registry import build_router

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- commands -->", "<!-- /commands -->"


def command_table() -> list[str]:
    lines = ["| 命令（别名） | 用法 | 作用 |", "|---|---|---|"]
    for command in build_router().commands:
        first, *aliases = command.keywords
        names = f"`{first}`" + (f"（{'、'.join(f'`{a}`' for a in aliases)}）" if aliases else "")
        who = "（考核办）" if command.admin_only else ""
        lines.append(f"| {names} | `{command.usage}` | {who}{command.summary} |")
    return lines


def test_readme_lists_exactly_the_commands_the_bot_accepts():
    text = README.read_text(encoding="utf-8")
    block = text[text.index(START) + len(START): text.index(END)].strip().splitlines()
    expected = command_table()
    assert block == expected, "README command table out of date; replace it with:\n" + "\n".join(expected)
