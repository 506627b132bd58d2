"""The demo page: a WeCom-like chat in the browser, served by the loopback WeCom stand-in in
demo mode only (`shiji serve` has none of these routes; tests/demo/test_control_routes.py).

Everything a person does on the page reaches the bot as WeCom would deliver it: texts and card
taps are signed and encrypted by the WeCom simulator and POSTed to the bot's real callback,
stamped with wall-clock time; pushes are what the bot sent the stand-in. The clock bar moves
only the bot's business clock, and the district lives through the time in between.

Routes (this machine only: a loopback caller, a `Host:` naming loopback and the served port, a
same-origin `Origin:` when one is sent, and JSON on every POST; see `_this_machine_only`):
  GET  /                      the page (`/?as=USERID` opens it as that person)
  GET  /demo/static/{name}    its script and style
  GET  /demo/api/people       who can be played, by unit, and who has been (the district leaves them be)
  GET  /demo/api/conversation?as=USERID
  GET  /demo/api/events?as=USERID&after=N server-sent events: entries after N, new and changed ones, clock
  POST /demo/api/send         {"as", "text"}
  POST /demo/api/card         {"as", "entry", "key", "selected": {question_key: [option ids]}}
  POST /demo/api/handback     {"as"}: the district lives for a person played on the page again
  GET  /demo/api/media/{media_id}         an image or file the bot sent
  GET|POST /demo/api/clock    {"to": "daily" | "workday" | "quarter_end" | "at", "at": ISO}
"""

from __future__ import annotations

import asyncio
import json
import mimetypes
import re
from datetime import date, datetime, time, timedelta
from ipaddress import ip_address
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
from aiohttp import web

from bot.clock import Clock
from bot.demo.book import ConversationBook
from bot.demo.district import REPLAYED, District
from bot.logs import as_debug
from bot.runtime import Runtime
from bot.settings import WeComSettings
from bot.testing.simulator import WeComSimulator, read_reply
from bot.testing.standin import StandinState
from bot.wecom.errors import CallbackRejected
from scheduler.wiring import start_scheduler
from scoring.clock import SHANGHAI
from scoring.types import Rank, Role
from scoring.wecom_protocol import TEXT_LIMIT_BYTES
from scoring.workdays import QuarterId, UnknownCalendarYear

STATIC = Path(__file__).resolve().parent / "static"
ROLE_LABELS = {Role.main_leader: "主要领导", Role.leadership: "班子成员", Role.staff: "一般干部", Role.superior: "上级领导"}
RANK_LABELS = {Rank.zhengke: "正科级", Rank.fuke: "副科级", Rank.general: "一般干部"}
OFFICE_OPENS = time(9, 0)
MAX_TEXT = TEXT_LIMIT_BYTES
KEEPALIVE_SECONDS = 15


class TravelRefused(ValueError):
    """A clock move the demo cannot make; the text says why, in Chinese."""


def travel_target(to: str, at: str, now: datetime, runtime: Runtime) -> datetime:
    """Where the clock bar's buttons move the clock: the next 17:30 reminder, the next working
    morning, the last working day of this quarter (its summary window is open), or a moment."""
    calendar = runtime.calendar.current
    today = now.date()
    try:
        if to == "daily":
            daily = runtime.settings.reminders.daily_at
            day = today if now.time() < daily and calendar.is_working_day(today) else calendar.add_working_days(today, 1)
            return datetime.combine(day, daily, tzinfo=SHANGHAI)
        if to == "workday":
            return datetime.combine(calendar.add_working_days(today, 1), OFFICE_OPENS, tzinfo=SHANGHAI)
        if to == "quarter_end":
            quarter = QuarterId.of(today)
            last = _last_working_day(runtime, quarter)
            if last <= today:
                last = _last_working_day(runtime, QuarterId.of(quarter.last_day + timedelta(days=1)))
            return datetime.combine(last, OFFICE_OPENS, tzinfo=SHANGHAI)
        if to == "at":
            try:
                when = datetime.fromisoformat(at)
            except ValueError:
                raise TravelRefused("看不懂这个时间，请用日期选择框选一个时间。") from None
            when = when.replace(tzinfo=SHANGHAI) if when.tzinfo is None else when.astimezone(SHANGHAI)
            if when <= now:
                raise TravelRefused("时间只能向后拨：请选一个比现在晚的时间。")
            calendar.is_working_day(when.date())  # a year with no schedule raises here
            return when
    except UnknownCalendarYear as missing:
        years = "、".join(str(y) for y in sorted(calendar.years))
        raise TravelRefused(f"演示只载入了 {years} 年的节假日安排，不能拨到 {missing.year} 年。") from None
    raise TravelRefused("未知的拨钟方式。")


def _last_working_day(runtime: Runtime, quarter: QuarterId) -> date:
    day = quarter.last_day
    while not runtime.calendar.current.is_working_day(day):
        day -= timedelta(days=1)
    return day


class DemoPage:
    """Made before the stand-in starts (it serves the page), attached to the bot once it runs."""

    runtime: Runtime
    district: District
    bot_url: str
    standin: StandinState

    def __init__(self, clock: Clock, wecom: WeComSettings) -> None:
        self.book = ConversationBook(clock)
        self.sim = WeComSimulator(wecom.token, wecom.encoding_aes_key, wecom.corp_id, wecom.agent_id)
        self._travel = asyncio.Lock()
        self._http: aiohttp.ClientSession | None = None

    def attach(self, runtime: Runtime, district: District, bot_url: str) -> None:
        self.runtime, self.district, self.bot_url = runtime, district, bot_url

    def install(self, app: web.Application) -> None:
        """Add the page's routes to the stand-in's app (create_standin_app's `extend`)."""
        app.middlewares.append(_this_machine_only)
        app.router.add_get("/", self.index)
        app.router.add_static("/demo/static", STATIC)
        app.router.add_get("/demo/api/people", self.people)
        app.router.add_get("/demo/api/conversation", self.conversation)
        app.router.add_get("/demo/api/events", self.events)
        app.router.add_post("/demo/api/send", self.send)
        app.router.add_post("/demo/api/card", self.card)
        app.router.add_post("/demo/api/handback", self.hand_back)
        app.router.add_get("/demo/api/media/{media_id}", self.media)
        app.router.add_get("/demo/api/clock", self.clock)
        app.router.add_post("/demo/api/clock", self.move_clock)
        app.on_shutdown.append(self._shutdown)

    def listen(self, state: StandinState) -> None:
        self.standin = state
        state.listeners.append(lambda delivery: self.book.delivered(delivery, state.uploads))

    async def _shutdown(self, _app: web.Application) -> None:
        self.book.close()
        if self._http is not None:
            await self._http.close()

    # ---- pages and reading ----

    async def index(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html")

    async def people(self, request: web.Request) -> web.Response:
        directory = self.runtime.directory.current
        groups: dict[str, list[dict[str, str | bool]]] = {}
        for person in directory.people.values():
            if not person.active:
                continue
            group = "上级领导" if person.is_superior else person.unit.name
            groups.setdefault(group, []).append({
                "userid": person.userid, "name": person.name, "position": person.position,
                "role": ROLE_LABELS[person.role], "rank": RANK_LABELS[person.rank] if person.rank else "",
                "played": person.userid in self.book.spoken,
            })
        admins = [
            {"userid": u, "name": "考核办管理员", "position": "区委组织部", "role": "管理员", "rank": "",
             "played": u in self.book.spoken}
            for u in self.runtime.settings.admin.userids
        ]
        units = [{"unit": name, "people": people} for name, people in groups.items()]
        return web.json_response({"units": [*units, {"unit": "考核办（组织部）", "people": admins}]})

    async def conversation(self, request: web.Request) -> web.Response:
        userid = request.query.get("as", "")
        return web.json_response({
            "userid": userid, "entries": self.book.conversation(userid),
            "now": self.runtime.clock.now().isoformat(timespec="seconds"),
        })

    async def events(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await response.prepare(request)
        userid = request.query.get("as", "")
        queue = self.book.follow(userid)
        # What arrived after the page read the conversation and before it followed: replayed
        # (the page shows an entry once, by id), so a push in that gap is never lost.
        after = request.query.get("after", "")
        if after.isdigit():
            for entry in self.book.conversation(userid):
                if entry["id"] > int(after):
                    queue.put_nowait({"type": "entry", "entry": entry})
        try:
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                if event is None:
                    break
                await response.write(f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode())
        except ConnectionResetError:
            pass
        finally:
            self.book.unfollow(queue)
        return response

    async def media(self, request: web.Request) -> web.Response:
        """An image or file the bot uploaded, as the phone opens it."""
        upload = self.standin.uploads.get(request.match_info["media_id"])
        if upload is None:
            raise web.HTTPNotFound(text="文件已过期或不存在。")
        kind = mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"
        disposition = "inline" if upload.type == "image" else "attachment"
        return web.Response(body=upload.data, content_type=kind, headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(upload.filename)}",
        })

    async def clock(self, request: web.Request) -> web.Response:
        return web.json_response({"now": self.runtime.clock.now().isoformat(timespec="seconds")})

    # ---- acting ----

    async def send(self, request: web.Request) -> web.Response:
        body = await _json(request)
        userid, text = _userid(body), str(body.get("text") or "").strip()
        if not text:
            raise _refused("请输入要发送的内容。")
        if len(text.encode()) > MAX_TEXT:
            raise _refused("企业微信一条消息最多 2048 字节，请分几条发送。")
        self.book.spoken.add(userid)
        self.book.add(userid, "me", "text", text=text)
        reply = await self._post(self.sim.text_message(userid, text))
        if reply.text:
            self.book.add(userid, "bot", "text", text=reply.text)
        return web.json_response({"ok": True})

    async def card(self, request: web.Request) -> web.Response:
        body = await _json(request)
        userid = _userid(body)
        try:
            entry = self.book.entry(userid, int(body.get("entry", "")))
        except (TypeError, ValueError):
            entry = None
        if entry is None or entry["kind"] != "card":
            raise _refused("找不到这张卡片。")
        selected = body.get("selected") or {}
        if not isinstance(selected, dict) or not all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(o, str) for o in v)
            for k, v in selected.items()
        ):
            raise _refused("卡片的选项格式不对。")
        card = entry["card"]
        self.book.spoken.add(userid)
        reply = await self._post(self.sim.card_event(
            userid, task_id=card["task_id"], event_key=str(body.get("key") or ""),
            card_type=card["card_type"], response_code=entry.get("response_code"), selected=selected,
        ))
        if reply.card is not None:
            self.book.changed(userid, entry, card=reply.card)
        elif reply.replace_name is not None:
            self.book.changed(userid, entry, replace_name=reply.replace_name)
        elif reply.text:
            self.book.add(userid, "bot", "text", text=reply.text)
        return web.json_response({"ok": True})

    async def hand_back(self, request: web.Request) -> web.Response:
        """The visitor stops playing someone: from the next move of the clock on, the district
        logs, rates and asks for leave for them again."""
        userid = _userid(await _json(request))
        self.book.spoken.discard(userid)
        return web.json_response({"ok": True})

    async def move_clock(self, request: web.Request) -> web.Response:
        body = await _json(request)
        runtime = self.runtime
        async with self._travel:
            try:
                target = travel_target(str(body.get("to") or ""), str(body.get("at") or ""), runtime.clock.now(), runtime)
            except TravelRefused as refused:
                raise _refused(str(refused)) from None
            runtime.stop_scheduler()
            with as_debug(*REPLAYED):  # the jobs in between are the district's days, not news
                try:
                    await self.district.live_until(target, frozenset(self.book.spoken))
                finally:
                    if runtime.background:  # its triggers follow the clock from where it now is
                        runtime.scheduler = await start_scheduler(runtime.jobs)
            runtime.sender.wake()
        self.book.clock_moved()
        return web.json_response({"now": runtime.clock.now().isoformat(timespec="seconds")})

    async def _post(self, signed: Any) -> Any:
        if self._http is None:
            self._http = aiohttp.ClientSession()
        url = f"{self.bot_url}?{signed.query_string}"
        async with self._http.post(url, data=signed.body) as response:
            raw = await response.text()
            if response.status != 200:
                raise _refused(f"机器人拒绝了这条消息（HTTP {response.status}）。")
        try:
            return read_reply(self.sim.open_reply(raw))
        except CallbackRejected as rejected:
            raise _refused(f"机器人的回复无法解开：{rejected.reason}") from None


# `Host:` as a browser on this machine writes it for the page: a loopback name, maybe a port.
_LOOPBACK_HOST = re.compile(r"(?:127\.0\.0\.1|localhost|\[::1\])(?::(\d{1,5}))?", re.IGNORECASE)
NOT_LOCAL = "演示页面只对本机开放。"
FOREIGN_HOST = "演示页面只接受本机地址：请用 http://127.0.0.1:端口/ 打开。"
FOREIGN_ORIGIN = "演示页面只接受它自己页面发出的请求。"
NOT_JSON = "演示页面的操作请求必须是 JSON。"


@web.middleware
async def _this_machine_only(request: web.Request, handler: Any) -> web.StreamResponse:
    """The page can read anyone's conversation, speak as anyone (the admin too) and move the
    clock, so only this machine's own page may use it. A loopback peer is not enough: a web
    page open in the same browser can POST here (a `text/plain` form needs no CORS preflight),
    and a name of the attacker's that re-resolves to 127.0.0.1 (DNS rebinding) can even read
    the answers. Hence also `Host:` (a loopback name and the served port, on every route, the
    stand-in's WeCom API too), a same-origin `Origin:` when the browser sends one, and JSON on
    every POST (a cross-site JSON POST needs a preflight, which this app never grants)."""
    try:
        local = request.remote is not None and ip_address(request.remote).is_loopback
    except ValueError:
        local = False
    if not local:
        raise web.HTTPForbidden(text=NOT_LOCAL)
    if not _addressed_here(request):
        raise web.HTTPForbidden(text=FOREIGN_HOST)
    if request.path.startswith("/cgi-bin/"):  # WeCom's API: the bot's own calls, not a browser's
        return await handler(request)
    origin = request.headers.get("Origin")
    if origin is not None and origin.lower() != f"http://{request.host.lower()}":
        raise web.HTTPForbidden(text=FOREIGN_ORIGIN)
    if request.method == "POST" and request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(text=NOT_JSON)
    return await handler(request)


def _addressed_here(request: web.Request) -> bool:
    """`Host:` names this machine by a loopback name and the port this server listens on."""
    found = _LOOPBACK_HOST.fullmatch(request.headers.get("Host", ""))
    served = request.transport.get_extra_info("sockname") if request.transport is not None else None
    if found is None or not served:
        return False
    return int(found.group(1) or 80) == served[1]


def _refused(text: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=json.dumps({"error": text}, ensure_ascii=False), content_type="application/json")


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        raise _refused("请求格式不对。")
    return body


def _userid(body: dict[str, Any]) -> str:
    userid = body.get("as")
    if not isinstance(userid, str) or not 0 < len(userid) <= 64:
        raise _refused("请先选择您要扮演的人。")
    return userid
