"""The WeCom stand-in itself, spoken to over raw HTTP: its answers must match WeCom's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from bot.testing.standin import (
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
        ({**_text("u1"), "msgtype": "bogus"}, 40008),
        (_text("u1", " \n "), 44004),
        ({"touser": "u1", "msgtype": "text"}, 44004),
        (_text(""), 40035),
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
    assert (await env.send(_button_card("dup")))["errcode"] == 42014
    notice = {
        "touser": "u2",
        "msgtype": "template_card",
        "template_card": {
            "card_type": "text_notice",
            "main_title": {"title": "通知"},
            "card_action": {"type": 1, "url": "https://work.weixin.qq.com"},
        },
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


# ---- the documented rules, one test per family (bot/testing/rules.py names each document) ----


def _card(**fields: Any) -> dict[str, Any]:
    card: dict[str, Any] = {
        "card_type": "button_interaction",
        "main_title": {"title": "请为张三评分"},
        "task_id": f"t-{fields.pop('n', 0)}",
        "button_list": [{"text": "确定", "key": "ok"}],
    }
    card.update(fields)
    return {"touser": "u1", "msgtype": "template_card", "template_card": card}


async def _refused(env: Env, body: dict[str, Any], errcode: int) -> None:
    data = await env.send(body)
    assert data["errcode"] == errcode, data
    assert env.state.sent == []


async def test_recipients_are_ids_joined_by_bars_at_most_1000(env: Env) -> None:
    await _refused(env, {**_text("u1"), "touser": ["u1", "u2"]}, 40035)
    await _refused(env, _text("|".join(f"x{i}" for i in range(1001))), 40032)
    await _refused(env, {**_text(""), "toparty": "|".join(str(i) for i in range(101))}, 40035)
    data = await env.send(_text("u1|u2,u3"))  # a comma names nobody
    assert data["invaliduser"] == "u2,u3" and env.state.sent[-1].recipients == ("u1",)


async def test_agentid_and_msgtype_are_required(env: Env) -> None:
    body = _text("u1")
    data = await env.post("/cgi-bin/message/send", body, await env.token())  # no agentid
    assert data["errcode"] == 41011
    await _refused(env, {"touser": "u1", "text": {"content": "你好"}}, 40008)


async def test_text_over_2048_bytes_is_cut_and_markdown_refused(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    assert (await env.send(_text("u1", "字" * 683)))["errcode"] == 0  # 2,049 bytes
    (delivered,) = env.state.texts_for("u1")
    assert delivered == "字" * 682 and "超过将截断" in caplog.text
    markdown = {"touser": "u1", "msgtype": "markdown", "markdown": {"content": "字" * 683}}
    assert (await env.send(markdown))["errcode"] == 45002


@pytest.mark.parametrize(
    "card",
    [
        {"card_type": "text_notice", "main_title": {"title": "通知"}},  # no card_action
        {"card_type": "text_notice", "card_action": {"type": 1, "url": "u"}},  # no title at all
        {"card_type": "news_notice", "main_title": {"title": "新闻"}, "card_action": {"type": 1, "url": "u"}},
        {"card_type": "button_interaction", "task_id": "a", "main_title": {"title": "t"}},
        {"card_type": "button_interaction", "task_id": "a", "button_list": [{"text": "b", "key": "k"}]},
        {"card_type": "vote_interaction", "task_id": "a", "main_title": {"title": "t"},
         "checkbox": {"question_key": "q", "option_list": [{"id": "1", "text": "一"}]}},
        {"card_type": "multiple_interaction", "task_id": "a", "main_title": {"title": "t"},
         "submit_button": {"text": "提交", "key": "s"}},
        {"card_type": "bogus"},
    ],
)
async def test_each_card_type_has_its_required_fields(env: Env, card: dict[str, Any]) -> None:
    await _refused(env, {"touser": "u1", "msgtype": "template_card", "template_card": card}, 40058)


@pytest.mark.parametrize("task_id", [None, "", "空格 no", "a" * 129, "a/b"])
async def test_task_id_charset_and_length(env: Env, task_id: str | None) -> None:
    await _refused(env, _card(task_id=task_id), 42014)
    assert (await env.send(_card(task_id="Az09_-@" + "a" * 121)))["errcode"] == 0  # 128 bytes


def _options(n: int) -> list[dict[str, str]]:
    return [{"id": str(i), "text": f"选项{i}"} for i in range(n)]


@pytest.mark.parametrize(
    "fields",
    [
        {"button_selection": {"question_key": "q", "option_list": _options(11)}},
        {"button_list": [{"text": str(i), "key": str(i)} for i in range(7)]},
        {"horizontal_content_list": [{"keyname": "k", "value": "v"}] * 7},
        {"card_type": "multiple_interaction", "submit_button": {"text": "提交", "key": "s"},
         "select_list": [{"question_key": f"q{i}", "option_list": _options(2)} for i in range(4)]},
        {"card_type": "vote_interaction", "submit_button": {"text": "提交", "key": "s"},
         "checkbox": {"question_key": "q", "option_list": _options(21)}},
    ],
)
async def test_list_limits(env: Env, fields: dict[str, Any]) -> None:
    await _refused(env, _card(**fields), 40058)


@pytest.mark.parametrize(
    "fields",
    [
        {"button_list": [{"text": "a", "key": "k"}, {"text": "b", "key": "k"}]},
        {"button_selection": {"question_key": "q", "option_list": [{"id": "1", "text": "a"}, {"id": "1", "text": "b"}]}},
        {"card_type": "multiple_interaction", "submit_button": {"text": "提交", "key": "s"},
         "select_list": [{"question_key": "q", "option_list": _options(2)}] * 2},
        {"button_list": [{"text": "a"}]},  # a callback button needs its key
    ],
)
async def test_keys_and_ids_are_present_and_unique(env: Env, fields: dict[str, Any]) -> None:
    await _refused(env, _card(**fields), 40058)


async def test_media_ids_must_come_from_an_upload_and_last_three_days(env: Env) -> None:
    image = {"touser": "u1", "msgtype": "image", "image": {"media_id": "made-up"}}
    await _refused(env, image, 40007)
    attachment = {"type": 2, "keyname": "附件", "value": "a.pdf", "media_id": "made-up"}
    await _refused(env, _card(horizontal_content_list=[attachment]), 40007)
    token = await env.token()
    form = aiohttp.FormData()
    form.add_field("media", b"\x89PNG\r\n\x1a\n" + bytes(16), filename="a.png")
    async with env.http.post(
        f"{env.base}/cgi-bin/media/upload", params={"access_token": token, "type": "image"}, data=form
    ) as resp:
        upload = await resp.json()
    assert upload["errcode"] == 0
    image["image"]["media_id"] = upload["media_id"]
    assert (await env.send(image))["errcode"] == 0
    env.clock.t += 3 * 24 * 3600 + 1
    assert (await env.send(image))["errcode"] == 40007


async def test_recommended_lengths_only_warn(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    data = await env.send(_card(main_title={"title": "题" * 37}))
    assert data["errcode"] == 0 and "recommends at most 36" in caplog.text


async def test_past_30_a_minute_or_1000_an_hour_a_member_gets_nothing_and_no_error(env: Env) -> None:
    for i in range(31):
        assert (await env.send(_text("u1|u2" if i == 30 else "u1", f"第{i}条")))["errcode"] == 0
    assert len(env.state.texts_for("u1")) == 30 and env.state.texts_for("u2") == ["第30条"]
    assert env.state.dropped == {"u1": 1}
    env.clock.t += 60
    assert (await env.send(_text("u1", "一分钟后")))["errcode"] == 0
    assert env.state.texts_for("u1")[-1] == "一分钟后"
    for i in range(1000 - 31):
        env.clock.t += 2.5  # 24 a minute: under the minute cap, always inside the hour
        await env.send(_text("u1", f"第{i}条"))
    assert env.state.dropped == {"u1": 1} and len(env.state.texts_for("u1")) == 1000
    await env.send(_text("u1", "第1001条"))
    assert env.state.dropped == {"u1": 2}
