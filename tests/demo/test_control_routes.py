"""The demo's control routes (moving the clock, reading anyone's conversation) exist only in
`shiji demo`, on loopback: `shiji serve` has none of them."""

from __future__ import annotations

from unittest.mock import Mock

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from bot.demo.credentials import DEMO_WECOM, demo_settings
from bot.demo.page import _loopback_only
from bot.settings import load_settings
from tests.conftest import SAMPLE_ROSTER
from tests.harness import running_bot

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
    transport = Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: (peer, 8701) if name == "peername" else default
    request = make_mocked_request("POST", "/demo/api/clock", transport=transport)

    async def handler(_request: web.Request) -> web.Response:
        return web.Response(text="moved")

    if allowed:
        assert (await _loopback_only(request, handler)).text == "moved"
    else:
        with pytest.raises(web.HTTPForbidden):
            await _loopback_only(request, handler)
