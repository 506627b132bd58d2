"""The outgoing WeCom client against the stand-in over real loopback HTTP; no real sleeps."""

from __future__ import annotations

import asyncio
import itertools
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.testing.standin import StandinState, start_standin
from bot.wecom.api import (
    RecipientRateLimiter,
    SendResult,
    WeComClient,
    WeComError,
    WeComTransientError,
    batched,
    redact,
    split_text,
)
from tests.bot.wecom.monotonic import FakeMonotonic

CORP = "wwapitest0000000001"
SECRET = "api-secret"
AGENT = 1000009


@dataclass
class Env:
    base: str
    state: StandinState
    http: aiohttp.ClientSession
    clock: FakeMonotonic
    delays: list[float] = field(default_factory=list)

    async def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)

    def client(self, **kwargs: Any) -> WeComClient:
        args: dict[str, Any] = {
            "session": self.http,
            "api_base": self.base,
            "corp_id": CORP,
            "secret": SECRET,
            "agent_id": AGENT,
            "sleep": self.sleep,
            "monotonic": self.clock,
        }
        args.update(kwargs)
        return WeComClient(**args)


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    clock = FakeMonotonic(5000.0)
    runner, base, state = await start_standin(CORP, SECRET, AGENT, clock=clock)
    async with aiohttp.ClientSession() as http:
        yield Env(base, state, http, clock)
    await runner.cleanup()
    assert state.unexpected == []


# ---- secrets in error texts ----------------------------------------------------------------


def test_redact_blanks_the_secret_and_the_token_wherever_a_url_holds_them() -> None:
    assert redact("http://x/cgi-bin/gettoken?corpid=ww1&corpsecret=S3cr-et_") == "http://x/cgi-bin/gettoken?corpid=ww1&corpsecret=***"
    assert redact("url='http://x/message/send?access_token=tok.en' (after 4)") == "url='http://x/message/send?access_token=***' (after 4)"
    assert redact("http://portal/?from=http%3A%2F%2Fx%2Fgettoken%3Fcorpsecret%3DS3cr%26a%3D1") == (
        "http://portal/?from=http%3A%2F%2Fx%2Fgettoken%3Fcorpsecret%3D***"
    )
    assert redact("60020 message/send refused") == "60020 message/send refused"


async def test_a_redirect_is_a_transport_error_never_followed(env: Env) -> None:
    followed: list[str] = []

    async def loop(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/elsewhere?" + request.query_string)

    async def elsewhere(request: web.Request) -> web.StreamResponse:
        followed.append(request.query_string)
        return web.json_response({"errcode": 0, "access_token": "t", "expires_in": 7200})

    app = web.Application()
    app.router.add_get("/cgi-bin/gettoken", loop)
    app.router.add_get("/elsewhere", elsewhere)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        with pytest.raises(WeComTransientError) as info:
            await env.client(api_base=f"http://127.0.0.1:{port}", max_attempts=2).send_text(["zhangsan"], "你好")
    finally:
        await runner.cleanup()
    assert followed == []  # the secret went to nobody else
    assert info.value.errcode is None and "HTTP 302" in info.value.text and SECRET not in str(info.value)


# ---- access token ------------------------------------------------------------------------


async def test_token_is_cached_across_sends(env: Env) -> None:
    client = env.client()
    for i in range(5):
        await client.send_text(["zhangsan"], f"第{i}条")
    assert env.state.count("gettoken") == 1
    assert env.state.texts_for("zhangsan") == [f"第{i}条" for i in range(5)]


async def test_concurrent_first_calls_fetch_one_token(env: Env) -> None:
    client = env.client()
    await asyncio.gather(*(client.send_text([f"u{i}"], "并发") for i in range(20)))
    assert env.state.count("gettoken") == 1
    assert len(env.state.sent) == 20


async def test_token_is_refreshed_before_it_expires(env: Env) -> None:
    client = env.client()
    await client.send_text(["u1"], "a")
    env.clock.t += 7200 - 300 - 1
    await client.send_text(["u1"], "b")
    assert env.state.count("gettoken") == 1
    env.clock.t += 2  # inside the 300 s margin: ask again rather than risk 42001 in flight
    await client.send_text(["u1"], "c")
    assert env.state.count("gettoken") == 2
    assert all(code == 0 for _, code in env.state.calls)


async def test_expired_token_is_refetched_once_and_the_call_succeeds(env: Env) -> None:
    client = env.client()
    await client.send_text(["u1"], "a")
    env.state.expire_tokens()
    await client.send_text(["u1"], "b")
    assert env.state.count("gettoken") == 2
    assert env.state.texts_for("u1") == ["a", "b"]
    assert ("/cgi-bin/message/send", 42001) in env.state.calls


@pytest.mark.parametrize("errcode", [40014, 42001, 40001])
async def test_token_error_refetches_once(env: Env, errcode: int) -> None:
    client = env.client()
    await client.send_text(["u1"], "a")
    env.state.revoke_tokens()
    env.state.fail_next("message/send", errcode)
    await client.send_text(["u1"], "b")
    assert env.state.count("gettoken") == 2
    assert env.state.texts_for("u1") == ["a", "b"]


async def test_token_that_keeps_failing_is_bounded(env: Env) -> None:
    client = env.client()
    env.state.fail_next("message/send", 42001, times=50)
    with pytest.raises(WeComError) as info:
        await client.send_text(["u1"], "a")
    assert info.value.errcode == 42001
    assert not isinstance(info.value, WeComTransientError)
    assert env.state.count("gettoken") == 2
    assert env.state.count("message/send") == 2
    assert env.state.sent == []


async def test_wrong_secret_is_a_typed_error_without_retries(env: Env) -> None:
    client = env.client(secret="wrong")
    with pytest.raises(WeComError) as info:
        await client.send_text(["u1"], "a")
    assert info.value.errcode == 40001
    assert env.state.count("gettoken") == 1
    assert env.delays == []


async def test_gettoken_transient_failure_is_retried(env: Env) -> None:
    env.state.fail_next("gettoken", -1)
    await env.client().send_text(["u1"], "a")
    assert env.state.count("gettoken") == 2
    assert env.delays == [0.5]


# ---- retries -----------------------------------------------------------------------------


async def test_frequency_limit_is_retried_with_backoff_and_delivers_once(env: Env) -> None:
    env.state.fail_next("message/send", 45009, times=2)
    result = await env.client().send_text(["u1"], "评分提醒")
    assert env.delays == [0.5, 1.0]
    assert env.state.texts_for("u1") == ["评分提醒"]
    assert result.msgid is not None


@pytest.mark.parametrize("errcode", [-1, 45009, 45033])
async def test_transient_errors_exhaust_into_a_typed_error(env: Env, errcode: int) -> None:
    env.state.fail_next("message/send", errcode, times=10)
    with pytest.raises(WeComTransientError) as info:
        await env.client().send_text(["u1"], "a")
    assert info.value.errcode == errcode
    assert env.delays == [0.5, 1.0, 2.0]
    assert env.state.count("message/send") == 4
    assert env.state.sent == []


async def test_backoff_is_capped(env: Env) -> None:
    env.state.fail_next("message/send", -1, times=10)
    with pytest.raises(WeComTransientError):
        await env.client(max_attempts=7, backoff_cap=3.0).send_text(["u1"], "a")
    assert env.delays == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0]


async def test_server_errors_and_disconnects_are_retried(env: Env) -> None:
    env.state.fail_next("message/send", 0, http_status=502)
    env.state.disconnect_next("message/send")
    await env.client().send_text(["u1"], "a")
    assert env.state.texts_for("u1") == ["a"]
    assert env.delays == [0.5, 1.0]


async def test_ambiguous_failure_after_delivery_does_not_deliver_twice(env: Env) -> None:
    # WeCom delivered, then the answer was lost; the retry carries the same duplicate-check
    # flag and WeCom suppresses the second delivery.
    env.state.disconnect_next("message/send", after_delivery=True)
    env.state.fail_next("message/send", 0, http_status=500, after_delivery=True)
    await env.client().send_text(["u1"], "只发一次")
    assert env.state.texts_for("u1") == ["只发一次"]
    assert env.state.count("message/send") == 3


async def test_permanent_error_is_typed_and_not_retried(env: Env) -> None:
    with pytest.raises(WeComError) as info:
        await env.client(agent_id=42).send_text(["u1"], "a")
    assert info.value.errcode == 40056
    assert env.delays == []
    assert env.state.count("message/send") == 1


async def test_http_client_error_status_is_not_retried(env: Env) -> None:
    env.state.fail_next("message/send", 0, http_status=403)
    with pytest.raises(WeComError) as info:
        await env.client().send_text(["u1"], "a")
    assert info.value.errcode is None
    assert env.delays == []


async def test_unreachable_server_exhausts_into_transient_error(env: Env) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: refused at once
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = env.client(api_base=f"http://127.0.0.1:{port}")
    with pytest.raises(WeComTransientError) as info:
        await client.send_text(["u1"], "a")
    assert info.value.errcode is None
    assert len(env.delays) == 3


# ---- recipients and batching -------------------------------------------------------------


async def test_1500_recipients_go_out_in_two_calls(env: Env) -> None:
    users = [f"user{i:04d}" for i in range(1500)]
    env.state.known_users = set(users[:-3])
    result = await env.client().send_text(users, "季度评分开始了")
    sends = [d for d in env.state.sent if d.path == "message/send"]
    assert [len(d.recipients) for d in sends] == [1000, 497]
    assert [len(d.payload["touser"].split("|")) for d in sends] == [1000, 500]
    assert result.invalid_users == tuple(users[-3:])
    assert len(result.msgids) == 2 and result.msgid == result.msgids[0]
    assert all(env.state.texts_for(u) == ["季度评分开始了"] for u in users[:-3])


async def test_send_payload_carries_agent_and_duplicate_check(env: Env) -> None:
    await env.client().send_markdown(["u1", "u2", "u1"], "**加粗**")
    payload = env.state.sent[0].payload
    assert payload["agentid"] == AGENT
    assert payload["touser"] == "u1|u2"
    assert payload["msgtype"] == "markdown"
    assert (payload["enable_duplicate_check"], payload["duplicate_check_interval"]) == (1, 1800)


async def test_duplicate_check_can_be_turned_off_for_intended_repeats(env: Env) -> None:
    client = env.client()
    await client.send_text(["u1"], "已记录")
    await client.send_text(["u1"], "已记录")
    assert env.state.texts_for("u1") == ["已记录"]
    await client.send_text(["u1"], "已记录", duplicate_check=False)
    assert env.state.texts_for("u1") == ["已记录", "已记录"]


async def test_all_recipients_invalid_is_a_result_not_an_error(env: Env) -> None:
    env.state.known_users = {"someone"}
    result = await env.client().send_text(["ghost", "phantom"], "a")
    assert result.invalid_users == ("ghost", "phantom")
    assert result.msgid is None
    assert env.state.sent == []


@pytest.mark.parametrize("bad", [[], ["a|b"], [""], [" a"], ["@all"]])
def test_batched_refuses_unsafe_recipient_lists(bad: list[str]) -> None:
    with pytest.raises(ValueError):
        batched(bad)


def test_batched_keeps_order_and_drops_repeats() -> None:
    assert batched(["b", "a", "b", "c"], size=2) == [("b", "a"), ("c",)]


# ---- long text ---------------------------------------------------------------------------


async def test_long_text_is_split_at_lines_and_every_byte_delivered(env: Env) -> None:
    lines = [
        f"{i:03d}. 张三同志本周完成重点项目推进工作，群众满意度明显提升。\n" for i in range(200)
    ]
    content = "".join(lines)
    assert len(content.encode()) > 3 * 2048
    await env.client().send_text(["u1"], content)
    parts = env.state.texts_for("u1")
    assert len(parts) > 3
    assert "".join(parts) == content
    assert all(len(p.encode()) <= 2048 for p in parts)
    assert all(p.endswith("\n") for p in parts)


async def test_empty_text_is_refused_before_any_call(env: Env) -> None:
    with pytest.raises(ValueError):
        await env.client().send_text(["u1"], " \n ")
    assert env.state.calls == []


def test_split_text_cuts_an_overlong_line_between_characters() -> None:
    content = "实" * 1000 + "\n尾"
    parts = split_text(content, limit_bytes=2048)
    assert "".join(parts) == content
    assert [len(p.encode()) for p in parts] == [2046, 954 + 1 + 3]


def test_split_text_short_and_empty() -> None:
    assert split_text("短消息") == ["短消息"]
    assert split_text("") == []
    with pytest.raises(ValueError):
        split_text("x", limit_bytes=3)


LINE_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # what str.splitlines() splits on


@settings(max_examples=200, deadline=None)
@given(
    content=st.text(st.characters(), max_size=3000), limit=st.integers(min_value=4, max_value=300)
)
def test_split_text_is_lossless_and_bounded(content: str, limit: int) -> None:
    parts = split_text(content, limit)
    assert "".join(parts) == content
    assert all(0 < len(p.encode("utf-8", "surrogatepass")) <= limit for p in parts)


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(
        st.text(
            st.characters(blacklist_characters=LINE_BREAKS, blacklist_categories=("Cs",)),
            max_size=40,
        ),
        max_size=60,
    )
)
def test_split_text_only_cuts_inside_lines_that_do_not_fit(lines: list[str]) -> None:
    content = "".join(line + "\n" for line in lines)
    for part in split_text(content, 64)[:-1]:
        assert part.endswith("\n") or len(part.encode("utf-8", "surrogatepass")) > 60


@settings(max_examples=200, deadline=None)
@given(
    paragraphs=st.lists(
        st.lists(st.text(st.characters(blacklist_characters=LINE_BREAKS, blacklist_categories=("Cs",)),
                         min_size=1, max_size=8).filter(str.strip), min_size=1, max_size=4),
        max_size=30,
    )
)
def test_split_text_keeps_a_short_paragraph_whole(paragraphs: list[list[str]]) -> None:
    # A heading and the lines it heads (帮助's 【section】 and its commands) arrive together
    # whenever the paragraph fits in half a message.
    limit = 128
    blocks = ["".join(line + "\n" for line in lines) for lines in paragraphs]
    content = "\n".join(blocks)
    parts = split_text(content, limit)
    assert "".join(parts) == content
    cuts = set(itertools.accumulate(len(part) for part in parts))
    start = 0
    for block in blocks:
        if len(block.encode("utf-8", "surrogatepass")) <= limit // 2:
            assert not any(start < cut < start + len(block) for cut in cuts), block
        start += len(block) + 1  # and the blank line between paragraphs


# ---- template cards ----------------------------------------------------------------------

CARD = {
    "card_type": "button_interaction",
    "main_title": {"title": "请为 张三 评分", "desc": "2026年第四季度"},
    "task_id": "rate-2026Q4-zhangsan-lisi",
    "button_list": [{"text": "95", "key": "95"}, {"text": "90", "key": "90"}],
}


async def test_template_card_and_single_use_update(env: Env) -> None:
    client = env.client()
    result = await client.send_template_card(["lisi"], CARD)
    assert result.response_code
    await client.update_template_card(["lisi"], result.response_code, replace_name="已评 95 分")
    update = env.state.messages_for("lisi")[-1]
    assert update.path == "message/update_template_card"
    assert update.payload["button"] == {"replace_name": "已评 95 分"}
    assert update.payload["agentid"] == AGENT
    with pytest.raises(WeComError) as info:
        await client.update_template_card(["lisi"], result.response_code, replace_name="again")
    assert info.value.errcode == 40035
    assert env.delays == []


async def test_update_with_whole_card(env: Env) -> None:
    client = env.client()
    result = await client.send_template_card(["lisi"], {**CARD, "task_id": "t-whole"})
    assert result.response_code is not None
    new_card = {
        "card_type": "text_notice",
        "main_title": {"title": "已评分：95"},
        "card_action": {"type": 1, "url": "https://work.weixin.qq.com"},
    }
    await client.update_template_card(["lisi"], result.response_code, card=new_card)
    assert env.state.sent[-1].payload["template_card"] == new_card


async def test_card_with_task_id_is_not_split_across_batches(env: Env) -> None:
    users = [f"u{i}" for i in range(1001)]
    with pytest.raises(ValueError, match="task_id"):
        await env.client().send_template_card(users, CARD)
    notice = {
        "card_type": "text_notice",
        "main_title": {"title": "通知"},
        "card_action": {"type": 1, "url": "https://work.weixin.qq.com"},
    }
    result = await env.client().send_template_card(users, notice)
    assert len(result.msgids) == 2 and result.response_codes == ()


async def test_update_needs_exactly_one_form(env: Env) -> None:
    with pytest.raises(ValueError):
        await env.client().update_template_card(["u"], "code")
    with pytest.raises(ValueError):
        await env.client().update_template_card(["u"], "code", card={}, replace_name="x")


def test_send_result_merge() -> None:
    merged = SendResult.merge(
        [
            SendResult(("a",), "c1", "m1", ("m1",), ("c1",)),
            SendResult(("a", "b"), "c2", "m2", ("m2",), ("c2",)),
        ]
    )
    assert merged == SendResult(("a", "b"), "c1", "m1", ("m1", "m2"), ("c1", "c2"))


# ---- per-recipient rate limit ------------------------------------------------------------


def _admit(limiter: RecipientRateLimiter, userid: str, count: int = 1) -> bool:
    """What the outbox sender does: send (and record) only when no wait is needed."""
    if limiter.delay_for([userid], count) > 0:
        return False
    limiter.record([userid], count)
    return True


def test_rate_limiter_caps_30_a_minute_per_user() -> None:
    clock = FakeMonotonic(5000.0)
    limiter = RecipientRateLimiter(monotonic=clock)
    for _ in range(30):
        assert _admit(limiter, "u1")
        clock.t += 1
    assert not _admit(limiter, "u1")
    assert _admit(limiter, "u2")  # other users are independent
    # Sends went out at +0..+29 s, it is now +30: the first leaves the window at +60.
    assert limiter.delay_for(["u1"]) == pytest.approx(30.0)
    assert limiter.delay_for(["u2", "u3"]) == 0.0
    clock.t += 29.5
    assert not _admit(limiter, "u1")
    clock.t += 0.5
    assert _admit(limiter, "u1")


def test_rate_limiter_never_admits_more_than_30_in_any_minute() -> None:
    clock = FakeMonotonic(5000.0)
    limiter = RecipientRateLimiter(monotonic=clock)
    admitted: list[float] = []
    for _ in range(600):
        if _admit(limiter, "u"):
            admitted.append(clock.t)
        clock.t += 0.5
    for i, t in enumerate(admitted):
        assert sum(1 for s in admitted[i:] if s < t + 60) <= 30
    assert len(admitted) >= 140  # and does not starve: ~30 per minute over 5 minutes


def test_rate_limiter_hourly_cap_and_batches() -> None:
    clock = FakeMonotonic(5000.0)
    limiter = RecipientRateLimiter(per_minute=30, per_hour=60, monotonic=clock)
    limiter.record(["a", "b"], count=30)
    clock.t += 61
    limiter.record(["a"], count=30)
    clock.t += 61
    assert limiter.delay_for(["b"]) == 0.0
    assert limiter.delay_for(["a", "b"]) == pytest.approx(3600 - 122)
    assert not _admit(limiter, "a")
    clock.t += 3600
    assert _admit(limiter, "a", count=30)
    with pytest.raises(ValueError):
        limiter.delay_for(["a"], count=31)
