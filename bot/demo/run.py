"""Putting the demo together: a fresh sample district that has lived from its go-live date to
now, the loopback WeCom stand-in serving the demo page, and the bot, in one process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from bot.calendar import build_calendar
from bot.cli.calendar import calendar_load
from bot.cli.db import open_database
from bot.cli.roster import import_roster
from bot.clock import SHANGHAI, Clock, MovableClock
from bot.demo.district import REPLAYED, DemoPlan, District, plan_demo, settle_history
from bot.demo.page import DemoPage
from bot.logs import as_debug
from bot.runtime import Runtime
from bot.server import serve
from bot.settings import Settings
from bot.testing.standin import StandinState, start_standin
from storage.repos import Store
from storage.roster_import import read_table

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample"
DEMO_DATABASE = Path("data") / "demo.db"


@dataclass
class Demo:
    page_url: str
    runtime: Runtime
    page: DemoPage
    plan: DemoPlan | None  # None: a rehearsal of an operator's own district (nothing planned)


def with_sections(settings: Settings, **sections: dict[str, Any]) -> Settings:
    """The same settings with some keys of some sections replaced."""
    data = settings.model_dump()
    for name, values in sections.items():
        data[name] = {**data[name], **values}
    return type(settings).model_validate(data)  # the same class: it knows its settings file


def fresh_demo_database(settings: Settings) -> Settings:
    """Every `make demo` starts from the same sample district on its own SQLite file: a demo
    left at some moved date must not leak into the next one, nor into `shiji serve`'s data."""
    path = DEMO_DATABASE.resolve()  # absolute: the CLI line the demo prints works from anywhere
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    return with_sections(settings, database={"url": f"sqlite+aiosqlite:///{path}"})


async def start_page(settings: Settings, clock: MovableClock) -> tuple[DemoPage, web.AppRunner, str, StandinState]:
    """The loopback WeCom stand-in at the settings' api_base, serving the demo page."""
    page = DemoPage(clock, settings.wecom)
    wecom = settings.wecom
    api = urlsplit(wecom.api_base)
    runner, api_base, state = await start_standin(
        corp_id=wecom.corp_id, secret=wecom.secret, agent_id=wecom.agent_id,
        # A jump of the clock bar across days is days to the duplicate check, the lifetimes of
        # response codes and media and a member's messages a minute, as to the bot's reminders.
        business_clock=business_seconds(clock),
        host=api.hostname or "127.0.0.1", port=80 if api.port is None else api.port, extend=page.install,
    )
    return page, runner, api_base, state


def business_seconds(clock: Clock) -> Callable[[], float]:
    """The demo's business clock as seconds, for what WeCom counts in its users' time."""
    return lambda: clock.now().timestamp()


@asynccontextmanager
async def running_demo(settings: Settings, origin: Clock) -> AsyncIterator[Demo]:
    """The demo up and listening; `origin` says what time it really is (the clock ends up there
    after the history and runs on from it)."""
    await import_roster(settings, SAMPLE_DIR / "district.csv")
    await calendar_load(settings, SAMPLE_DIR / "calendar-2027.toml")
    async with open_database(settings) as sessions, sessions() as session:
        calendar = build_calendar(await Store(session).calendar.loaded())
    now = origin.now()
    plan = plan_demo(
        calendar, now, open_after=settings.rating.open_after_working_days,
        duration=settings.rating.duration_working_days, window=settings.logs.backfill_working_days,
    )
    clock = MovableClock(datetime.combine(plan.go_live, time(8, 0), tzinfo=SHANGHAI))
    wecom = settings.wecom
    page, standin_runner, api_base, state = await start_page(settings, clock)
    # The stand-in's address book is the sample district plus one newcomer, so that
    # `shiji roster sync` has a difference to show.
    for rec in read_table(SAMPLE_DIR / "district.csv"):
        state.address_book.add_member(rec["userid"], rec["name"], rec["unit"], rec["position"])
    state.address_book.add_member("chengguan_xinren", "辛仁", "城关镇", "科员")
    settings = with_sections(settings, wecom={"api_base": api_base}, logs={"start_date": plan.go_live})
    # The bot paces its pushes on the same clock as the stand-in counts them: a jump's days of
    # reminders go out at once, in order, not spread over real minutes after it.
    runtime = Runtime.build(settings, clock, member_limits_clock=business_seconds(clock))
    runtime.background = False  # the district's history runs the jobs itself, in order
    serving = None
    try:
        serving = await serve(runtime)
        district = District(runtime, clock, plan)
        with as_debug(*REPLAYED):
            today = datetime.combine(now.date(), time(0, 0), tzinfo=SHANGHAI)
            await district.live_until(today)
            await settle_history(runtime, clock.now())
            page.attach(runtime, district, f"http://{settings.server.host}:{serving.port}{wecom.callback_path}")
            page.listen(state)
            district.on_said = lambda userid, text, reply, _at: page.book.said(userid, text, reply.text)
            district.deliver = True  # from today on, pushes reach the phones (the page) as they happen
            await district.live_until(origin.now())
            runtime.background = True
            await runtime.start_background()
        yield Demo(f"{api_base}/", runtime, page, plan)
    finally:
        if serving is not None:  # first: it closes the bot's connections to the stand-in
            await serving.close()
        await standin_runner.cleanup()


@asynccontextmanager
async def running_rehearsal(settings: Settings, start: datetime) -> AsyncIterator[Demo]:
    """An operator's own district on `settings`' database (their copy), with the demo's page
    and movable clock from `start`. Nothing is seeded and nobody speaks unless played on the
    page; moving the clock runs the scheduled jobs (reminders, rounds) in between, in order."""
    clock = MovableClock(start)
    page, standin_runner, api_base, state = await start_page(settings, clock)
    serving = None
    try:
        settings = with_sections(settings, wecom={"api_base": api_base})
        runtime = Runtime.build(settings, clock, member_limits_clock=business_seconds(clock))
        runtime.background = False  # until the page listens: the catch-up's pushes must reach it
        serving = await serve(runtime)
        # The stand-in's address book is their roster, so `shiji roster sync` finds it unchanged.
        for person in runtime.directory.current.people.values():
            if person.active:
                state.address_book.add_member(person.userid, person.name, person.unit.name, person.position)
        district = District(runtime, clock, None)
        page.attach(runtime, district, f"http://{settings.server.host}:{serving.port}{settings.wecom.callback_path}")
        page.listen(state)
        district.deliver = True
        runtime.background = True
        await runtime.start_background()
        yield Demo(f"{api_base}/", runtime, page, None)
    finally:
        if serving is not None:  # first: it closes the bot's connections to the stand-in
            await serving.close()
        await standin_runner.cleanup()
