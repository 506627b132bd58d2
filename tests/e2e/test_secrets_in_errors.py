"""The corp secret and the access token never leave in an error text (issue 22, item 2).

A proxy or captive portal between the bot and WeCom that answers with a redirect loop used to
make aiohttp's TooManyRedirects carry the full URL, `…/gettoken?corpid=…&corpsecret=<secret>`
(or `…/message/send?access_token=<token>`), into the outbox row, the ERROR log line and the
admin's 缺记统计, which goes back through WeCom to a phone and is stored as a reply. The API
base here is a loopback server of the test's own that stands for that proxy, not for WeCom.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.logs import configure
from scheduler.log_jobs import remind
from storage.metadata import metadata
from tests.conftest import at
from tests.harness import ADMIN, Harness, running_bot

ROSTER = """userid,name,unit,unit_category,role,rank,position,oversees
t_leader,林书记,测试镇,township,main_leader,zhengke,党委书记,
t_a,安然,测试镇,township,staff,general,科员,
t_b,包容,测试镇,township,staff,general,科员,
"""
SECRET = secrets.token_urlsafe(32)  # 43 characters, as WeCom's secrets are
TOKEN = "tok" + secrets.token_urlsafe(40)


@asynccontextmanager
async def looping_proxy(loop_on: str) -> AsyncIterator[tuple[str, list[str]]]:
    """An API base that answers 302 to the very same URL for `loop_on` ("gettoken" or
    "message/send"); gettoken otherwise hands out TOKEN. Yields its base URL and the URLs asked."""
    asked: list[str] = []

    async def answer(request: web.Request) -> web.StreamResponse:
        asked.append(str(request.rel_url))
        if request.match_info["path"] == loop_on:
            raise web.HTTPFound(request.rel_url)
        if request.match_info["path"] == "gettoken":
            return web.json_response({"errcode": 0, "access_token": TOKEN, "expires_in": 7200})
        return web.json_response({"errcode": 0})

    app = web.Application()
    app.router.add_route("*", "/cgi-bin/{path:.+}", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", asked
    finally:
        await runner.cleanup()


async def every_stored_text(h: Harness) -> str:
    """Every row of every table, outbox, stored replies and audit trail among them, as text."""
    async with h.runtime.sessions() as session:
        rows = [
            json.dumps([str(v) for v in row], ensure_ascii=False)
            for table in metadata.tables.values()
            for row in (await session.execute(select(table))).all()
        ]
    return "\n".join(rows)


def every_log_line(caplog: pytest.LogCaptureFixture) -> str:
    formatter = logging.Formatter("%(levelname)s %(name)s: %(message)s")
    return "\n".join(formatter.format(record) for record in caplog.records)


@pytest.mark.parametrize("loop_on", ["gettoken", "message/send"])
async def test_a_redirect_loop_leaks_neither_secret_nor_token(db_url, clock, tmp_path: Path, caplog, loop_on):
    caplog.set_level(logging.DEBUG)
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    clock.set(at("2026-11-23 17:30"))  # a Monday: everyone owes today's log
    async with looping_proxy(loop_on) as (api_base, asked), running_bot(
        db_url, clock, roster, wecom={"api_base": api_base, "secret": SECRET},
        logs={"start_date": "2026-11-23"},
    ) as h:

        async def no_wait(seconds: float) -> None:  # the client's backoff, on the driven clock
            clock.advance(seconds=seconds)

        h.runtime.client._sleep = no_wait  # type: ignore[method-assign]
        await remind(h.runtime.jobs, "daily", clock.now())
        for _ in range(6):  # every attempt the sender makes, until the rows fail for good
            await h.drain()
            clock.advance(minutes=20)
        clock.set(at("2026-11-24 09:00"))
        stats = await h.say(ADMIN, "缺记统计")
        stored = await every_stored_text(h)

    # The loop was met, and a follow of it was never made: one request per attempt.
    looped = [url for url in asked if url.startswith(f"/cgi-bin/{loop_on}")]
    assert looped and (SECRET in looped[0] if loop_on == "gettoken" else TOKEN in looped[0])
    assert "发送失败的提醒】3 人次" in stats, stats  # the admin sees the failed sends …
    assert "安然（测试镇） 11月23日 当日提醒：" in stats
    logs = every_log_line(caplog)
    assert "failed for good" in logs
    for secret in (SECRET, TOKEN):  # … and neither the secret nor the token, anywhere
        assert secret not in stats
        assert secret not in stored
        assert secret not in logs


@pytest.mark.parametrize("json_lines", [False, True])
def test_the_log_handler_redacts_what_a_library_put_into_a_message_or_traceback(json_lines, capsys):
    """The last guard, for an exception text nobody thought of: `configure`'s handler."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure(json_lines=json_lines, verbose=False)
    try:
        url = f"http://proxy/cgi-bin/gettoken?corpid=ww&corpsecret={SECRET}"
        try:
            raise RuntimeError(f"gave up on {url}")
        except RuntimeError:
            logging.getLogger("shiji.test").exception("call to %s failed", url)
    finally:
        root.handlers[:], root.level = saved
    written = capsys.readouterr().err
    assert "RuntimeError: gave up on" in written and "corpsecret=***" in written
    assert SECRET not in written
