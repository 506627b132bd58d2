"""The callback endpoint: URL verification, and refusals before anything is parsed or stored."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from storage.models import DailyLog, InboundMessage
from tests.conftest import SAMPLE_ROSTER
from tests.harness import running_bot

WU = "chengguan_wuhao"
LOG = "上午走访城关社区三户低保家庭核实情况，下午整理民政台账"


async def rows(h, model) -> int:  # type: ignore[no-untyped-def]
    async with h.runtime.sessions() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_url_verification_echoes_the_decrypted_echostr(sqlite_url, clock):
    async with running_bot(sqlite_url, clock, SAMPLE_ROSTER) as h:
        query = h.sim.url_verification("1616140317555161061")
        async with h.http.get(h.url, params=query) as resp:
            assert resp.status == 200 and await resp.text() == "1616140317555161061"
        query["msg_signature"] = "0" * 40
        async with h.http.get(h.url, params=query) as resp:
            assert resp.status == 403


async def test_tampered_stale_and_garbage_callbacks_are_refused_and_store_nothing(sqlite_url, clock):
    async with running_bot(sqlite_url, clock, SAMPLE_ROSTER) as h:
        signed = h.text(WU, LOG)
        forged = dict(signed.query, msg_signature="f" * 40)
        async with h.http.post(h.url, params=forged, data=signed.body) as resp:
            assert resp.status == 403
        stale = h.sim.text_message(WU, LOG, create_time=int(time.time()) - 3600)
        assert (await h.post(stale))[0] == 403
        async with h.http.post(h.url, params=signed.query, data=b"<xml><Encrypt>AAAA") as resp:
            assert resp.status in (400, 403)
        async with h.http.post(h.url, params=signed.query, data=b"x" * 70_000) as resp:
            assert resp.status == 413  # over [server] max_body_bytes
        assert await rows(h, DailyLog) == 0 and await rows(h, InboundMessage) == 0
        # The genuine message still goes through afterwards.
        assert "已记录" in h.reply_content((await h.post(signed))[1])


async def test_reply_text_with_cdata_terminator_survives(sqlite_url, clock):
    async with running_bot(sqlite_url, clock, SAMPLE_ROSTER) as h:
        reply = await h.say(WU, f"修改 {LOG} ]]><xml>注入</xml>")
        assert "已更新" in reply
        assert "]]><xml>注入</xml>" in await h.say(WU, "我的")
