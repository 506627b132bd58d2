"""The bot on real loopback HTTP with the WeCom stand-in, driven like WeCom drives it."""

from __future__ import annotations

import asyncio
import base64
import itertools
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import xmltodict
from aiohttp import web

from bot.calendar import parse_calendar_file
from bot.clock import ManualClock
from bot.runtime import Runtime
from bot.server import serve
from bot.settings import Settings, load_settings
from bot.testing.simulator import SignedCallback, WeComSimulator
from bot.testing.standin import StandinState, start_standin
from storage.roster_import import apply_roster, parse_roster, read_table

ADMIN = "kaohe_admin"
# The app the tests' bots and stand-ins share: fresh secrets each session, never the demo's.
TEST_WECOM: dict[str, Any] = {
    "corp_id": f"ww{secrets.token_hex(8)}",
    "agent_id": 1000002,
    "secret": secrets.token_urlsafe(32),
    "token": secrets.token_hex(16),
    "encoding_aes_key": base64.b64encode(secrets.token_bytes(32)).decode().rstrip("="),
}
# WeCom's MsgIds are unique; so are ours, across every bot a test starts on one database.
_MSG_IDS = itertools.count(7_000_000)


@dataclass
class Harness:
    settings: Settings
    clock: ManualClock
    runtime: Runtime
    sim: WeComSimulator
    standin: StandinState
    url: str
    http: aiohttp.ClientSession

    async def post(self, signed: SignedCallback) -> tuple[int, str]:
        async with self.http.post(f"{self.url}?{signed.query_string}", data=signed.body) as resp:
            return resp.status, await resp.text()

    def text(self, userid: str, content: str, msg_id: int | None = None) -> SignedCallback:
        # Stamped with real time, as WeCom stamps it, whatever the driven business clock says.
        return self.sim.text_message(userid, content, msg_id=msg_id if msg_id is not None else next(_MSG_IDS))

    async def say(self, userid: str, content: str) -> str:
        """Send a text as `userid`; return the bot's passive reply text ('' for none)."""
        status, body = await self.post(self.text(userid, content))
        assert status == 200, body
        return self.reply_content(body)

    def reply_xml(self, body: str) -> dict[str, Any]:
        plain = self.sim.open_reply(body)
        return xmltodict.parse(plain)["xml"] if plain else {}

    def reply_content(self, body: str) -> str:
        doc = self.reply_xml(body)
        return str(doc.get("Content") or "") if doc else ""

    async def card(self, userid: str, task_id: str, event_key: str, **kw: Any) -> tuple[int, str]:
        signed = self.sim.card_event(userid, task_id=task_id, event_key=event_key, **kw)
        return await self.post(signed)

    async def drain(self) -> int:
        """Let queued admin jobs run, then the outbox sender deliver what is due on the
        driven clock."""
        await self.runtime.job_runner.run_until_idle()
        return await self.runtime.sender.drain_once()

    def pushed_to(self, userid: str) -> list[dict[str, Any]]:
        return self.standin.messages_for(userid)


def shown_selection(card: dict[str, Any]) -> dict[str, list[str]]:
    """What a phone submits for a card's drop-downs and checkboxes nobody touched.

    WeCom preselects `selected_id`, or the first option when it is missing or unknown (doc 90236
    发送应用消息, button_selection/select_list 「默认选定的id，不填或错填默认第一个」); a checkbox
    submits its `is_checked` options.
    """
    shown: dict[str, list[str]] = {}
    selections = ([card["button_selection"]] if "button_selection" in card else []) + card.get("select_list", [])
    for selection in selections:
        ids = [option["id"] for option in selection["option_list"]]
        preselected = selection.get("selected_id")
        shown[selection["question_key"]] = [preselected if preselected in ids else ids[0]]
    if "checkbox" in card:
        checkbox = card["checkbox"]
        shown[checkbox["question_key"]] = [o["id"] for o in checkbox["option_list"] if o.get("is_checked")]
    return shown


def harness_settings(db_url: str, api_base: str, **sections: Any) -> Settings:
    base: dict[str, Any] = {
        "database": {"url": db_url},
        "wecom": {**TEST_WECOM, "api_base": api_base},
        "admin": {"userids": [ADMIN]},
        "server": {"host": "127.0.0.1", "port": 0},
        "clock": {"start": None},
    }
    for name, values in sections.items():
        base[name] = {**base.get(name, {}), **values}
    return load_settings(None, **base)


@asynccontextmanager
async def running_bot(
    db_url: str,
    clock: ManualClock,
    roster: Path | None,
    /,
    calendars: tuple[Path, ...] = (),
    standin: tuple[str, StandinState] | None = None,
    real_waits: bool = False,
    **sections: Any,
) -> AsyncIterator[Harness]:
    """`roster` is positional-only, so `roster={...}` is the settings section of that name.
    `standin`: (api_base, state) of a running stand-in to share, as two installations of
    one app share WeCom; by default the bot gets a stand-in of its own.
    `real_waits`: the bot's transport waits (for a blinking database, WeCom's limits) pass in
    real time, for a test whose database really goes away for a while."""
    standin_runner = None
    if standin is None:
        standin_runner, api_base, state = await start_harness_standin(clock)
    else:
        api_base, state = standin
    settings = harness_settings(db_url, api_base, **sections)
    # WeCom's per-member limits run on the transport's clock: here the driven one, for the
    # bot's sender and the stand-in alike, so a test can let minutes pass without sleeping.
    runtime = (
        Runtime.build(settings, clock) if real_waits
        else Runtime.build(settings, clock, monotonic=driven(clock), sleep=driven_sleep(clock),
                           transport_time=driven(clock))
    )
    runtime.background = False  # the test drives the outbox sender
    serving = await serve(runtime, port=0)
    if roster is not None or calendars:
        async with runtime.sessions() as session, session.begin():
            if roster is not None:
                await apply_roster(session, parse_roster(read_table(roster)).rows, clock.now())
            from storage.repos import Store

            for path in calendars:
                schedule = parse_calendar_file(path)
                await Store(session).calendar.load_year(
                    schedule.year, schedule.holidays, schedule.makeup_workdays, str(path), clock.now()
                )
        await runtime.directory.reload()
        await runtime.calendar.reload()
    wecom = settings.wecom
    sim = WeComSimulator(wecom.token, wecom.encoding_aes_key, wecom.corp_id, wecom.agent_id)
    async with aiohttp.ClientSession() as http:
        try:
            yield Harness(
                settings, clock, runtime, sim, state,
                f"http://127.0.0.1:{serving.port}{wecom.callback_path}", http,
            )
        finally:
            await serving.close()
            if standin_runner is not None:
                await standin_runner.cleanup()


async def start_harness_standin(clock: ManualClock) -> tuple[web.AppRunner, str, StandinState]:
    """A stand-in for the app the harness's settings describe, on the driven clock."""
    return await start_test_standin(clock=driven(clock))


async def start_test_standin(**kw: Any) -> tuple[web.AppRunner, str, StandinState]:
    """A stand-in for the tests' app (TEST_WECOM) on a free loopback port."""
    return await start_standin(
        corp_id=TEST_WECOM["corp_id"], secret=TEST_WECOM["secret"], agent_id=TEST_WECOM["agent_id"],
        **{"host": "127.0.0.1", "port": 0, **kw},
    )


def driven(clock: ManualClock) -> Callable[[], float]:
    """The driven clock as seconds, for what counts time on WeCom's side of the wire."""
    return lambda: clock.now().timestamp()


def driven_sleep(clock: ManualClock) -> Callable[[float], Awaitable[None]]:
    """A transport wait that passes on the driven clock instead of in real time."""

    async def sleep(seconds: float) -> None:
        clock.advance(seconds=seconds)
        await asyncio.sleep(0)

    return sleep
