"""The demo's control routes (moving the clock, reading anyone's conversation, speaking as
anyone) exist only in `shiji demo`, for this machine's own page: `shiji serve` has none of them,
and a web page elsewhere in the same browser (cross-site POSTs, DNS rebinding) gets a 403."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from unittest.mock import Mock

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from yarl import URL

from bot.demo.credentials import DEMO_WECOM, demo_settings
from bot.demo.page import FOREIGN_HOST, FOREIGN_ORIGIN, NOT_JSON, NOT_LOCAL, _this_machine_only
from bot.demo.run import Demo
from bot.settings import load_settings
from tests.conftest import SAMPLE_ROSTER, at
from tests.demo.conftest import demo_at
from tests.harness import ADMIN, running_bot

DEMO_ROUTES = [
    ("GET", "/"),
    ("GET", "/demo/static/app.js"),
    ("GET", "/demo/api/people"),
    ("GET", "/demo/api/conversation?as=chengguan_wuhao"),
    ("GET", "/demo/api/events?as=chengguan_wuhao"),
    ("POST", "/demo/api/send"),
    ("POST", "/demo/api/card"),
    ("GET", "/demo/api/clock"),
    ("POST", "/demo/api/clock"),
]


async def test_serve_has_no_demo_routes(sqlite_url, clock) -> None:  # type: ignore[no-untyped-def]
    # running_bot serves exactly the app `shiji serve` serves (bot.server.create_app).
    async with running_bot(sqlite_url, clock, SAMPLE_ROSTER) as bot:
        root = bot.url.rsplit("/wecom/", 1)[0]
        for method, path in DEMO_ROUTES:
            async with bot.http.request(method, root + path, json={"as": "kaohe_admin", "to": "daily"}) as resp:
                assert resp.status in (404, 405), (method, path, resp.status)


@pytest.mark.parametrize(
    ("configured", "used"),
    [
        ("https://qyapi.weixin.qq.com", DEMO_WECOM["api_base"]),  # the shipped settings.toml
        ("http://10.0.0.7:8701", DEMO_WECOM["api_base"]),
        ("https://127.0.0.1:8701", DEMO_WECOM["api_base"]),  # the stand-in speaks plain http
        ("http://127.0.0.1:9701", "http://127.0.0.1:9701"),  # another port for the stand-in
        ("http://localhost:8702", "http://localhost:8702"),
    ],
)
def test_the_demo_talks_only_to_its_stand_in_on_this_machine(configured: str, used: str) -> None:
    """Its published secrets never leave the machine, whatever the settings say."""
    settings = demo_settings(load_settings(None, wecom={"api_base": configured}))
    assert settings.wecom.api_base == used
    assert settings.wecom.token == DEMO_WECOM["token"] and settings.admin.userids == ("kaohe_admin",)


@pytest.mark.parametrize(("peer", "allowed"), [("127.0.0.1", True), ("::1", True), ("10.0.0.7", False)])
async def test_demo_page_answers_this_machine_only(peer: str, allowed: bool) -> None:
    # A peer elsewhere cannot be made on loopback: the transport says where it is.
    ends = {"peername": (peer, 50123), "sockname": ("127.0.0.1", 8701)}
    transport = Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: ends.get(name, default)
    request = make_mocked_request("POST", "/demo/api/clock", headers={
        "Host": "127.0.0.1:8701", "Content-Type": "application/json"}, transport=transport)

    async def handler(_request: web.Request) -> web.Response:
        return web.Response(text="moved")

    if allowed:
        assert (await _this_machine_only(request, handler)).text == "moved"
    else:
        with pytest.raises(web.HTTPForbidden) as refused:
            await _this_machine_only(request, handler)
        assert refused.value.text == NOT_LOCAL


# ---- a web page elsewhere in the same browser (issue 22, item 5) ---------------------------

ORIGIN = at("2026-11-24 15:00")  # a Tuesday: the district is at work


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def demo(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Demo]:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    async with demo_at(url, ORIGIN) as running:
        yield running


@pytest_asyncio.fixture(loop_scope="module")
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(http: aiohttp.ClientSession, demo: Demo, method: str, path: str, **kw: Any) -> tuple[int, str]:
    async with http.request(method, demo.page_url.rstrip("/") + path, **kw) as resp:
        if path.startswith("/demo/api/events") and resp.status == 200:
            return resp.status, ""  # a stream that stays open
        return resp.status, await resp.text()


def said(demo: Demo, userid: str) -> list[str]:
    return [e.get("text") or "" for e in demo.page.book.conversation(userid) if e["side"] == "me"]


def foreign_hosts(demo: Demo) -> list[str]:
    port = URL(demo.page_url).port
    # A rebinding name on the served port; loopback on another port; loopback-looking names.
    return [f"attacker.example:{port}", f"127.0.0.1:{port + 1}", f"localhost.attacker.example:{port}",
            "127.0.0.1", f"127.0.0.1:{port}@attacker.example", ""]


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(("method", "path"), [*DEMO_ROUTES, ("GET", "/cgi-bin/gettoken?corpid=x&corpsecret=y")])
async def test_a_foreign_host_header_is_refused_on_every_route(demo: Demo, http, method: str, path: str) -> None:
    for host in foreign_hosts(demo):
        status, text = await call(http, demo, method, path, headers={"Host": host},
                                  json={"as": ADMIN, "text": "帮助", "to": "daily"} if method == "POST" else None)
        assert (status, text) == (403, FOREIGN_HOST), (host, status, text)
    assert "帮助" not in said(demo, ADMIN)


@pytest.mark.asyncio(loop_scope="module")
async def test_a_cross_origin_request_is_refused(demo: Demo, http) -> None:
    before = demo.runtime.clock.now()
    for origin in ("http://attacker.example", "null", f"http://localhost:{URL(demo.page_url).port}",
                   demo.page_url.rstrip("/").replace("http:", "https:")):
        headers = {"Origin": origin}
        assert await call(http, demo, "POST", "/demo/api/send", headers=headers,
                          json={"as": ADMIN, "text": "开启评分"}) == (403, FOREIGN_ORIGIN)
        assert await call(http, demo, "POST", "/demo/api/clock", headers=headers, json={"to": "daily"}) == (403, FOREIGN_ORIGIN)
        assert await call(http, demo, "GET", f"/demo/api/conversation?as={ADMIN}", headers=headers) == (403, FOREIGN_ORIGIN)
    assert "开启评分" not in said(demo, ADMIN) and demo.runtime.clock.now() - before < timedelta(minutes=1)


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None])
async def test_a_post_that_is_not_json_is_refused(demo: Demo, http, content_type: str | None) -> None:
    """What an HTML form or a `no-cors` fetch can send cross-site without a preflight."""
    before = demo.runtime.clock.now()
    headers = {"Content-Type": content_type} if content_type else {}
    body = f'{{"as": "{ADMIN}", "text": "发布结果"}}'.encode()
    assert await call(http, demo, "POST", "/demo/api/send", headers=headers, data=body) == (415, NOT_JSON)
    assert await call(http, demo, "POST", "/demo/api/clock", headers=headers, data=b'{"to": "daily"}') == (415, NOT_JSON)
    assert "发布结果" not in said(demo, ADMIN) and demo.runtime.clock.now() - before < timedelta(minutes=1)


@pytest.mark.asyncio(loop_scope="module")
async def test_the_pages_own_json_requests_work(demo: Demo, http) -> None:
    """What the page's script sends: its own origin (or none), `Host:` as the browser writes it."""
    port = URL(demo.page_url).port
    for host, origin in ((f"127.0.0.1:{port}", f"http://127.0.0.1:{port}"), (f"localhost:{port}", f"http://localhost:{port}"),
                         (f"[::1]:{port}", None), (f"LOCALHOST:{port}", f"http://localhost:{port}")):
        headers = {"Host": host, **({"Origin": origin} if origin else {})}
        status, text = await call(http, demo, "POST", "/demo/api/send", headers=headers,
                                  json={"as": "chengguan_wuhao", "text": f"查看 {host}"})
        assert status == 200, text
        assert f"查看 {host}" in said(demo, "chengguan_wuhao")
        assert (await call(http, demo, "GET", "/demo/api/conversation?as=chengguan_wuhao", headers=headers))[0] == 200
        assert (await call(http, demo, "GET", "/demo/api/clock", headers=headers))[0] == 200
        assert (await call(http, demo, "GET", "/", headers=headers))[0] == 200
