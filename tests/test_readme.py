"""README's command table is the router's rendering (handlers.help.command_table): a command
added, renamed, dropped or given to other people fails here until README is regenerated.

Regenerate: `make readme` (or `python -m tests.test_readme`).
"""

from __future__ import annotations

from pathlib import Path

from handlers.help import command_table
from handlers.registry import build_router

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- commands -->", "<!-- /commands -->"


def rendered() -> str:
    return command_table(build_router().commands)


def readme_with_table(text: str, table: str) -> str:
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    return f"{before}{START}\n{table}\n{END}{after}"


def test_readme_lists_exactly_the_commands_the_bot_accepts():
    text = README.read_text(encoding="utf-8")
    assert text == readme_with_table(text, rendered()), (
        "README's command table differs from the router's: regenerate it with `make readme`"
    )


if __name__ == "__main__":
    README.write_text(readme_with_table(README.read_text(encoding="utf-8"), rendered()), encoding="utf-8")
    print(f"{README}: command table regenerated from the router")
