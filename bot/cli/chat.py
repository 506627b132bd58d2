"""`shiji chat --as USERID`: the demo page in a terminal. It uses the page's routes on the
stand-in (bot/demo/page.py), so what it sends reaches the bot through the real encrypted
callback, and pushes are printed as they arrive. Cards are printed as text with their number;
`/卡片 2 选 95` picks 95 in card 2's drop-down and taps its button, `/卡片 3 批准` taps 批准."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from typing import Any

import aiohttp

from bot.demo.credentials import demo_page
from bot.settings import Settings

CARD_COMMAND = re.compile(r"^/卡片\s*(\d+)\s*(.*)$")
HISTORY_SHOWN = 10
SETTLE_SECONDS = 1.5  # -m: how long to wait for pushes after each message


class CardCommandError(ValueError):
    """A /卡片 command that does not fit the card; the text says why."""


def card_text(entry: dict[str, Any]) -> str:
    """A template card as readable lines, with its number and what can be chosen."""
    card = entry["card"]
    lines = [f"[卡片 {entry['card_no']}] {card.get('source', {}).get('desc', '')}".rstrip()]
    title = card.get("main_title") or {}
    lines.append("  " + "  ".join(part for part in (title.get("title"), title.get("desc")) if part))
    if card.get("sub_title_text"):
        lines.append(f"  {card['sub_title_text']}")
    if quote := card.get("quote_area"):
        lines.append(f"  {quote.get('title', '')}：{quote.get('quote_text', '')}")
    for item in card.get("horizontal_content_list", []):
        lines.append(f"  {item['keyname']}：{item.get('value', '')}")
    decided = card.get("replace_text") or entry.get("replace_name")
    for selection in _selections(card):
        shown = "｜".join(
            ("▸" if o["id"] == selection.get("selected_id") else "") + o["text"] for o in selection["option_list"]
        )
        lines.append(f"  {selection.get('title', '选择')}：{shown}")
    if decided:
        lines.append(f"  〔{decided}〕")
    elif buttons := card.get("button_list"):
        lines.append("  按钮：" + " ".join(f"[{b['text']}]" for b in buttons))
        example = f"选 {_example(card)} " if _selections(card) else ""
        lines.append(f"  回复「/卡片 {entry['card_no']} {example}{buttons[0]['text']}」作答")
    return "\n".join(lines)


def _selections(card: dict[str, Any]) -> list[dict[str, Any]]:
    return ([card["button_selection"]] if "button_selection" in card else []) + list(card.get("select_list", []))


def _example(card: dict[str, Any]) -> str:
    options = _selections(card)[0]["option_list"]
    return options[-1]["text"].split()[0] if options else ""


def card_answer(card: dict[str, Any], words: str) -> tuple[str, dict[str, list[str]]]:
    """`选 95 确定` for this card → (button key, {question key: [option id]}).

    Each `选 X` fills the next drop-down with the option whose text or id is X (95 finds 「95 分」);
    the button is named by its text, or left out when the card has only one.
    """
    selections = _selections(card)
    selected = {s["question_key"]: [s.get("selected_id") or s["option_list"][0]["id"]] for s in selections}
    tokens = words.split()
    button_words: list[str] = []
    filling = 0
    while tokens:
        token = tokens.pop(0)
        if token != "选":
            button_words.append(token)
            continue
        if not tokens:
            raise CardCommandError("「选」后面请写要选的项，例如「选 95」。")
        if filling >= len(selections):
            raise CardCommandError(
                f"这张卡片只有 {len(selections)} 个下拉框。" if selections else "这张卡片没有可选的下拉框。"
            )
        wanted = tokens.pop(0)
        selection = selections[filling]
        match = [o for o in selection["option_list"] if wanted in (o["id"], o["text"], o["text"].split()[0])]
        if not match:
            choices = "、".join(o["text"] for o in selection["option_list"])
            raise CardCommandError(f"「{wanted}」不在下拉框里，可选：{choices}")
        selected[selection["question_key"]] = [match[0]["id"]]
        filling += 1
    buttons = card.get("button_list") or []
    if not buttons:
        raise CardCommandError("这张卡片没有按钮。")
    if button_words:
        named = [b for b in buttons if b["text"] == " ".join(button_words)]
        if not named:
            raise CardCommandError("没有这个按钮，可点：" + "、".join(b["text"] for b in buttons))
        return named[0]["key"], selected
    if len(buttons) > 1:
        raise CardCommandError("这张卡片有多个按钮，请写上要点的按钮，例如「" + buttons[0]["text"] + "」。")
    return buttons[0]["key"], selected


class Terminal:
    def __init__(self, http: aiohttp.ClientSession, api: str, userid: str) -> None:
        self.http, self.api, self.userid = http, api, userid
        self.cards: dict[int, dict[str, Any]] = {}

    def show(self, entry: dict[str, Any], *, updated: bool = False) -> None:
        if entry["kind"] == "card":
            self.cards[entry["card_no"]] = entry
            print(("（卡片已更新）\n" if updated else "") + card_text(entry))
        elif entry["side"] == "bot":
            print(entry.get("text") or f"[{entry['kind']}] {entry.get('filename') or ''}".rstrip())

    async def follow(self) -> None:
        async with self.http.get(f"{self.api}/demo/api/events", params={"as": self.userid}, timeout=None) as resp:
            async for raw in resp.content:
                line = raw.decode().strip()
                if not line.startswith("data:"):
                    continue
                event = json.loads(line[5:])
                if event["type"] == "clock":
                    print(f"（机器人时间已拨到 {event['now'][:16].replace('T', ' ')}）")
                elif event["entry"]["side"] == "bot":
                    self.show(event["entry"], updated=event["type"] == "update")

    async def say(self, text: str) -> None:
        if match := CARD_COMMAND.match(text):
            entry = self.cards.get(int(match[1]))
            if entry is None:
                print(f"没有卡片 {match[1]}。")
                return
            try:
                key, selected = card_answer(entry["card"], match[2])
            except CardCommandError as problem:
                print(problem)
                return
            body = {"as": self.userid, "entry": entry["id"], "key": key, "selected": selected}
            path = "card"
        else:
            body, path = {"as": self.userid, "text": text}, "send"
        async with self.http.post(f"{self.api}/demo/api/{path}", json=body) as resp:
            if resp.status != 200:
                print((await resp.json(content_type=None) or {}).get("error", f"HTTP {resp.status}"))


async def chat(settings: Settings, userid: str, messages: list[str] | None, port: int | None = None) -> int:
    api = demo_page(settings, port)
    async with aiohttp.ClientSession() as http:
        try:
            async with http.get(f"{api}/demo/api/conversation", params={"as": userid}) as resp:
                data = await resp.json()
        except (aiohttp.ClientError, ValueError):
            print(f"连不上演示 {api}：请先在另一个终端运行 make demo（或 shiji rehearse 演练自己的区）", file=sys.stderr)
            return 2
        terminal = Terminal(http, api, userid)
        entries = data["entries"]
        for entry in entries:
            if entry["kind"] == "card":
                terminal.cards[entry["card_no"]] = entry
        for entry in entries[-HISTORY_SHOWN:]:
            if entry["side"] == "me":
                print(f"> {entry['text']}")
            else:
                terminal.show(entry)
        print(f"以 {userid} 的身份对话（机器人时间 {data['now'][:16].replace('T', ' ')}）。"
              "输入「帮助」查看用法；卡片用「/卡片 编号 …」作答；Ctrl-D 退出。")
        following = asyncio.create_task(terminal.follow())
        try:
            for text in messages or []:
                print(f"> {text}")
                await terminal.say(text)
                await asyncio.sleep(SETTLE_SECONDS)  # the replies and pushes it causes
            while messages is None:
                try:
                    text = (await asyncio.to_thread(input, "> ")).strip()
                except EOFError:
                    break
                if text:
                    await terminal.say(text)
        finally:
            following.cancel()
    return 0
