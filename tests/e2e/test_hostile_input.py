"""Hostile input found by the issue-15 run, each defect pinned through the real callback."""

from __future__ import annotations

import base64
import itertools
import logging
import os
import struct
import time

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from sqlalchemy import func, select

from bot.server import UNREADABLE_TEXT
from bot.testing.simulator import SignedCallback
from bot.wecom.crypto import sign
from bot.wecom.reply import cdata
from storage.models import DailyLog, InboundMessage, UnknownUser
from tests.conftest import SAMPLE_ROSTER, at
from tests.harness import ADMIN, Harness, running_bot

ERROR = "系统暂时出错"
WU = "chengguan_wuhao"
LOG = "上午走访城关社区三户低保家庭核实情况，下午整理民政台账"
IDS = itertools.count(8_100_000)


async def stored_rows(h: Harness) -> int:
    async with h.runtime.sessions() as session:
        return sum(
            [(await session.execute(select(func.count()).select_from(m))).scalar_one() for m in (DailyLog, InboundMessage, UnknownUser)]
        )


async def test_oversized_and_exotic_ids_are_refused_not_internal_errors(db_url, clock):
    """Defect 2: `int()` of a 20-digit id overflowed the INTEGER column; '²' passed isdigit()."""
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        for text in ("批准请假 99999999999999999999", "驳回请假 ٢", "批准请假 #2147483648"):
            reply = await h.say(ADMIN, text)
            assert "请写上申请编号" in reply, (text, reply)
        assert "只有申请人所在单位的主要领导或考核办" in await h.say(ADMIN, "批准请假 ２１４７４８３６４７")
        for task_id, refusal in (
            ("leave-99999999999999999999-x", "这张卡片无法识别"),
            ("leave-²-x", "这张卡片无法识别"),
            ("rxp-99999999999999999999-x", "这张审批卡片无法识别"),
            ("rxp-²-x", "这张审批卡片无法识别"),
        ):
            status, body = await h.card(ADMIN, task_id, "approve")
            assert status == 200
            assert refusal in h.reply_content(body), task_id


def inner_text(h, userid: str, content: str, *, msg_id: str = "7001", agent: str | None = None,
               to_user: str | None = None, create_time: str | None = None) -> str:  # type: ignore[no-untyped-def]
    return (
        f"<xml><ToUserName>{cdata(to_user or h.sim.corp_id)}</ToUserName>"
        f"<FromUserName>{cdata(userid)}</FromUserName>"
        f"<CreateTime>{create_time or int(time.time())}</CreateTime><MsgType>text</MsgType>"
        f"<Content>{cdata(content)}</Content><MsgId>{msg_id}</MsgId>"
        f"<AgentID>{h.sim.agent_id if agent is None else agent}</AgentID></xml>"
    )


def sealed_raw(h, plaintext: bytes, pad_to: int, bad_pad: bool = False) -> SignedCallback:  # type: ignore[no-untyped-def]
    """A callback sealed by hand, so the padding can be what WeCom never sends."""
    key = base64.b64decode(h.settings.wecom.encoding_aes_key + "=")
    body = os.urandom(16) + struct.pack(">I", len(plaintext)) + plaintext + h.sim.corp_id.encode()
    pad = pad_to - len(body) % pad_to
    padded = body + bytes([pad]) * pad
    if bad_pad:
        padded = padded[:-2] + bytes([(pad + 1) % 256, pad])
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    encrypt = base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode()
    ts, nonce = str(int(time.time())), "4242"
    query = {"msg_signature": sign(h.settings.wecom.token, ts, nonce, encrypt), "timestamp": ts, "nonce": nonce}
    return SignedCallback(query=query, body=f"<xml><Encrypt>{cdata(encrypt)}</Encrypt></xml>".encode())


async def test_real_time_stamps_are_accepted_whatever_the_business_clock(db_url, clock):
    """Defect 1: the replay window was judged on the business clock, so with [clock] start set
    every callback WeCom (or shiji chat, or the stand-in) stamped with real time was a 403."""
    clock.set(at("2026-12-28 17:00"))  # a rehearsal of the quarter end, weeks from today
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        status, body = await h.post(h.sim.text_message(WU, LOG, msg_id=next(IDS)))
        assert status == 200 and "已记录" in h.reply_content(body)
        business = h.sim.text_message(WU, LOG, create_time=int(clock.now().timestamp()))
        assert (await h.post(business))[0] == 403  # a stamp of the business clock is not real time


async def test_padding_agent_and_addressee_are_checked(db_url, clock):
    """Defect 6: padding to 16, inconsistent pad bytes, another app's AgentID and another
    ToUserName were all accepted, and the message stored as a log."""
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        # A log long enough that padding to 16 is no padding to 32 (the corp id's length counts).
        msg_id = str(next(IDS))
        good = next(
            text for extra in range(16)
            if (20 + len(text := inner_text(h, WU, LOG + "！" * extra, msg_id=msg_id).encode()) + len(h.sim.corp_id)) % 32 < 16
        )
        assert (await h.post(sealed_raw(h, good, 16)))[0] == 400
        assert (await h.post(sealed_raw(h, good, 32, bad_pad=True)))[0] == 400
        assert (await h.post(h.sim.callback(inner_text(h, WU, LOG, msg_id=str(next(IDS)), agent="1000003"))))[0] == 403
        assert (await h.post(h.sim.callback(inner_text(h, WU, LOG, msg_id=str(next(IDS)), agent=""))))[0] == 403
        assert (await h.post(h.sim.callback(inner_text(h, WU, LOG, msg_id=str(next(IDS)), to_user="ww_other"))))[0] == 403
        assert await stored_rows(h) == 0
        status, body = await h.post(sealed_raw(h, good, 32))  # the same message, sealed as WeCom seals it
        assert status == 200 and "已记录" in h.reply_content(body)


async def test_fields_are_bounded_at_the_edge_on_both_databases(db_url, clock, caplog):
    """Defect 8: a 5,000-character MsgId and a 1,000-character userid passed on SQLite and
    overflowed VARCHAR(200)/VARCHAR(64) on PostgreSQL: an internal error."""
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        for inner in (
            inner_text(h, WU, LOG, msg_id="9" * 5000),
            inner_text(h, "u" * 1000, "你好"),
            inner_text(h, WU, LOG, msg_id="12x"),
            inner_text(h, WU, LOG, create_time="9" * 40),
            inner_text(h, WU, "批" + "a" * 17_000, msg_id=str(next(IDS))),
        ):
            assert (await h.post(h.sim.callback(inner)))[0] == 400
        long_tap = h.sim.card_event(WU, task_id="t" * 128, event_key="k" * 128, response_code="r" * 256)
        status, body = await h.post(long_tap)
        assert status == 200 and ERROR not in h.reply_content(body)
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_xml_the_parser_refuses_is_a_400_or_a_polite_reply_never_a_500(db_url, clock, caplog):
    """Issue 22: 8,000 nested elements were a RecursionError (a 500 and a traceback), and a
    processing instruction holding "<xml" walked around the DTD guard, so an entity expanded
    before the signature was checked."""
    caplog.set_level(logging.INFO)
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        walkaround = b'<?pi <xml?><!DOCTYPE xml [<!ENTITY e "QUFB">]><xml><Encrypt>&e;</Encrypt></xml>'
        signed = h.text(WU, LOG)
        query = dict(signed.query)
        assert (await h.post(SignedCallback(query, walkaround)))[0] == 400
        deep = "<a>" * 8000 + "</a>" * 8000
        assert (await h.post(SignedCallback(query, signed.body.replace(b"</xml>", deep.encode() + b"</xml>"))))[0] == 400
        entity = f'<!DOCTYPE xml [<!ENTITY e "{LOG}">]>' + inner_text(h, WU, "&e;").replace("<![CDATA[&e;]]>", "&e;")
        assert (await h.post(h.sim.callback(entity)))[0] == 400  # sealed, but with a DTD
        # Sealed and nested 5,000 deep after its sender: that sender is told, and nothing is stored.
        nested = inner_text(h, WU, LOG, msg_id=str(next(IDS))).replace("</xml>", "<a>" * 5000 + "</a>" * 5000 + "</xml>")
        status, body = await h.post(h.sim.callback(nested))
        assert status == 200 and h.reply_content(body) == UNREADABLE_TEXT
        assert await stored_rows(h) == 0
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
