"""The WeCom stand-in itself, spoken to over raw HTTP: its answers must match WeCom's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from bot.wecom.standin import (
    STANDIN_STATE,
    StandinState,
    create_standin_app,
    start_standin,
)
from tests.bot.wecom.monotonic import FakeMonotonic

CORP = "wwstandintest000001"
SECRET = "s3cret"
AGENT = 1000007


@dataclass
class Env:
    base: str
    state: StandinState
    http: aiohttp.ClientSession
    clock: FakeMonotonic

    async def get(self, path: str, **params: str) -> dict[str, Any]:
        async with self.http.get(self.base + path, params=params) as resp:
            assert resp.status == 200
            data: dict[str, Any] = await resp.json()
            return data

    async def post(
        self, path: str, body: Any, token: str | None = None, raw: bytes | None = None
    ) -> dict[str, Any]:
        params = {"access_token": token} if token is not None else {}
        kwargs: dict[str, Any] = {"data": raw} if raw is not None else {"json": body}
        async with self.http.post(self.base + path, params=params, **kwargs) as resp:
            assert resp.status == 200
            data: dict[str, Any] = await resp.json()
            return data

    async def token(self) -> str:
        data = await self.get("/cgi-bin/gettoken", corpid=CORP, corpsecret=SECRET)
        assert data["errcode"] == 0
        return str(data["access_token"])

    async def send(self, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        full = {"agentid": AGENT, **body}
        return await self.post("/cgi-bin/message/send", full, token or await self.token())


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    clock = FakeMonotonic()
    runner, base, state = await start_standin(
        CORP, SECRET, AGENT, known_users={"u1", "u2", "u3"}, clock=clock
    )
    async with aiohttp.ClientSession() as http:
        yield Env(base, state, http, clock)
    await runner.cleanup()


def _text(to: str, content: str = "你好", **extra: Any) -> dict[str, Any]:
    return {"touser": to, "msgtype": "text", "text": {"content": content}, **extra}


def _button_card(task_id: str) -> dict[str, Any]:
    return {
        "touser": "u1",
        "msgtype": "template_card",
        "template_card": {
            "card_type": "button_interaction",
            "main_title": {"title": "请为张三评分"},
            "task_id": task_id,
            "button_list": [{"text": "95", "key": "95"}, {"text": "90", "key": "90"}],
        },
    }


async def test_gettoken_same_token_while_valid_new_after_expiry(env: Env) -> None:
    first = await env.get("/cgi-bin/gettoken", corpid=CORP, corpsecret=SECRET)
    assert first["expires_in"] == 7200
    env.clock.t += 100
    second = await env.get("/cgi-bin/gettoken", corpid=CORP, corpsecret=SECRET)
    assert second["access_token"] == first["access_token"]
    assert second["expires_in"] == 7100
    env.clock.t += 7100
    third = await env.get("/cgi-bin/gettoken", corpid=CORP, corpsecret=SECRET)
    assert third["access_token"] != first["access_token"]
    assert env.state.count("gettoken") == 3


async def test_gettoken_refusals(env: Env) -> None:
    bad_secret = await env.get("/cgi-bin/gettoken", corpid=CORP, corpsecret="nope")
    assert (bad_secret["errcode"], bad_secret["errmsg"]) == (40001, "invalid credential")
    bad_corp = await env.get("/cgi-bin/gettoken", corpid="ww_other", corpsecret=SECRET)
    assert bad_corp["errcode"] == 40013


async def test_token_errors(env: Env) -> None:
    assert (await env.post("/cgi-bin/message/send", _text("u1")))["errcode"] == 41001
    assert (await env.send(_text("u1"), token="forged"))["errcode"] == 40014
    token = await env.token()
    env.state.expire_tokens()
    assert (await env.send(_text("u1"), token=token))["errcode"] == 42001
    env.clock.t += 1
    assert (await env.token()) != token
    assert env.state.sent == []


async def test_text_send_is_recorded_per_user(env: Env) -> None:
    data = await env.send(_text("u1|u2", "今日实绩已记录"))
    assert data["errcode"] == 0 and data["invaliduser"] == "" and data["msgid"]
    assert "response_code" not in data
    assert env.state.texts_for("u1") == ["今日实绩已记录"]
    assert env.state.texts_for("u2") == ["今日实绩已记录"]
    assert env.state.texts_for("u3") == []


async def test_unknown_users_are_reported_and_all_unknown_is_81013(env: Env) -> None:
    data = await env.send(_text("u1|ghost"))
    assert data["errcode"] == 0 and data["invaliduser"] == "ghost"
    assert env.state.sent[-1].recipients == ("u1",)
    data = await env.send(_text("ghost|phantom"))
    assert data["errcode"] == 81013
    assert data["invaliduser"] == "ghost|phantom"
    assert len(env.state.sent) == 1


@pytest.mark.parametrize(
    ("body", "errcode"),
    [
        ({**_text("u1"), "agentid": 999}, 40056),
        ({**_text("u1"), "msgtype": "voice"}, 40008),
        (_text("|".join(f"x{i}" for i in range(1001))), 40058),
        (_text("u1", "字" * 683), 45002),  # 2,049 bytes
        (_text("u1", " \n "), 44004),
        ({"touser": "u1", "msgtype": "text"}, 44004),
        (_text(""), 40035),
        ({**_button_card("t1"), "template_card": {"card_type": "bogus"}}, 40035),
        (
            {
                **_button_card("t1"),
                "template_card": {
                    "card_type": "button_interaction",
                    "task_id": "t1",
                    "button_list": [],
                },
            },
            40035,
        ),
        (
            {
                **_button_card("t1"),
                "template_card": {
                    "card_type": "button_interaction",
                    "task_id": "空格 not allowed",
                    "button_list": [{}],
                },
            },
            40035,
        ),
    ],
)
async def test_send_validation(env: Env, body: dict[str, Any], errcode: int) -> None:
    data = await env.post("/cgi-bin/message/send", {"agentid": AGENT, **body}, await env.token())
    assert data["errcode"] == errcode
    assert env.state.sent == []


async def test_content_at_exactly_the_limit_is_accepted(env: Env) -> None:
    assert (await env.send(_text("u1", "字" * 682 + "ab")))["errcode"] == 0  # 2,048 bytes


async def test_bad_json_is_47001(env: Env) -> None:
    data = await env.post("/cgi-bin/message/send", None, await env.token(), raw=b"{not json")
    assert data["errcode"] == 47001


async def test_duplicate_check_suppresses_a_repeat_within_the_interval(env: Env) -> None:
    body = _text("u1", "提醒", enable_duplicate_check=1, duplicate_check_interval=1800)
    first = await env.send(body)
    second = await env.send(body)
    assert first["msgid"] == second["msgid"]
    assert env.state.texts_for("u1") == ["提醒"]
    env.clock.t += 1801
    await env.send(body)
    assert env.state.texts_for("u1") == ["提醒", "提醒"]
    await env.send(_text("u1", "提醒"))  # without the flag: always delivered
    assert len(env.state.texts_for("u1")) == 3


async def test_template_card_response_code_is_single_use(env: Env) -> None:
    sent = await env.send(_button_card("rate-1"))
    code = sent["response_code"]
    token = await env.token()
    update = {
        "userids": ["u1"],
        "agentid": AGENT,
        "response_code": code,
        "button": {"replace_name": "已评 95"},
    }
    first = await env.post("/cgi-bin/message/update_template_card", update, token)
    assert first["errcode"] == 0
    again = await env.post("/cgi-bin/message/update_template_card", update, token)
    assert again["errcode"] == 40035 and "used" in again["errmsg"]
    kinds = [d.path for d in env.state.messages_for("u1")]
    assert kinds == ["message/send", "message/update_template_card"]


async def test_response_code_expires_after_72_hours(env: Env) -> None:
    code = (await env.send(_button_card("rate-2")))["response_code"]
    env.clock.t += 72 * 3600 + 1
    update = {"agentid": AGENT, "response_code": code, "button": {"replace_name": "x"}}
    data = await env.post("/cgi-bin/message/update_template_card", update, await env.token())
    assert data["errcode"] == 40035 and "expired" in data["errmsg"]


async def test_task_id_is_unique_forever_and_text_notice_has_no_response_code(env: Env) -> None:
    assert (await env.send(_button_card("dup")))["errcode"] == 0
    assert (await env.send(_button_card("dup")))["errcode"] == 40035
    notice = {
        "touser": "u2",
        "msgtype": "template_card",
        "template_card": {"card_type": "text_notice", "main_title": {"title": "通知"}},
    }
    data = await env.send(notice)
    assert data["errcode"] == 0 and "response_code" not in data


async def test_unknown_code_or_both_update_forms_refused(env: Env) -> None:
    token = await env.token()
    bogus = {"agentid": AGENT, "response_code": "nope", "button": {"replace_name": "x"}}
    assert (await env.post("/cgi-bin/message/update_template_card", bogus, token))[
        "errcode"
    ] == 40035
    code = (await env.send(_button_card("rate-3")))["response_code"]
    both = {
        "agentid": AGENT,
        "response_code": code,
        "button": {"replace_name": "x"},
        "template_card": {},
    }
    assert (await env.post("/cgi-bin/message/update_template_card", both, token))[
        "errcode"
    ] == 40035


async def test_fault_injection(env: Env) -> None:
    env.state.fail_next("message/send", 45009, times=2)
    assert (await env.send(_text("u1")))["errcode"] == 45009
    assert (await env.send(_text("u1")))["errcode"] == 45009
    assert (await env.send(_text("u1")))["errcode"] == 0
    env.state.fail_next("/cgi-bin/message/send", 0, http_status=503)
    async with env.http.post(env.base + "/cgi-bin/message/send", json=_text("u1")) as resp:
        assert resp.status == 503
    env.state.fail_next("message/send", -1, after_delivery=True)
    assert (await env.send(_text("u1", "ambiguous")))["errcode"] == -1
    assert env.state.texts_for("u1")[-1] == "ambiguous"
    env.state.disconnect_next("message/send")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await env.send(_text("u1"))


async def test_unexpected_routes_are_404_and_recorded(env: Env) -> None:
    async with env.http.get(env.base + "/cgi-bin/user/get") as resp:
        assert resp.status == 404
    async with env.http.get(env.base + "/cgi-bin/message/send") as resp:
        assert resp.status == 404
    assert env.state.unexpected == ["GET /cgi-bin/user/get", "GET /cgi-bin/message/send"]
    env.state.unexpected.clear()


def test_app_exposes_state_via_app_key() -> None:
    app = create_standin_app(CORP, SECRET, AGENT)
    assert app[STANDIN_STATE].corp_id == CORP
    assert app[STANDIN_STATE].known_users is None
