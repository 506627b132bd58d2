"""What an operator relies on: refusals that say nothing and log one line, garbage HTTP that
costs one rate-limited line, /healthz and /metrics (on their own port when asked), logs."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import zlib

import pytest
from sqlalchemy import func, select

from bot.logs import JsonFormatter
from storage.models import DailyLog, InboundMessage
from tests.conftest import SAMPLE_ROSTER
from tests.harness import Harness, running_bot

WU = "chengguan_wuhao"
LOG = "上午走访城关社区三户低保家庭核实情况，下午整理民政台账"


async def stored(h: Harness) -> int:
    async with h.runtime.sessions() as session:
        logs = (await session.execute(select(func.count()).select_from(DailyLog))).scalar_one()
        inbound = (await session.execute(select(func.count()).select_from(InboundMessage))).scalar_one()
    return logs + inbound


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


async def raw_exchange(h: Harness, request: bytes, *, half_close: bool = False) -> bytes:
    """Send bytes on a fresh connection; return whatever comes back before the server closes."""
    host, port = h.url.split("//")[1].split("/")[0].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(request)
    await writer.drain()
    if half_close:
        writer.transport.abort()  # gone mid-body, as a crashed client is
        return b""
    answer = await reader.read()
    writer.close()
    return answer


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd", "gzip, identity"])
async def test_compressed_bodies_are_refused_415_unread(sqlite_url, clock, caplog, encoding):
    """Defect 3: a body claiming gzip that is not gzip was a 500; br answered「Please install Brotli」."""
    async with running_bot(sqlite_url, clock, SAMPLE_ROSTER) as h:
        signed = h.text(WU, LOG)
        for body in (signed.body, zlib.compress(signed.body)):
            async with h.http.post(
                h.url, params=signed.query, data=body, headers={"Content-Encoding": encoding}
            ) as resp:
                assert (resp.status, await resp.text()) == (415, "content encoding not accepted")
        assert await stored(h) == 0 and not tracebacks(caplog)


async def test_a_client_gone_mid_body_costs_one_warning(sqlite_url, clock, caplog):
    """Defect 3: a body shorter than its Content-Length, client gone: ConnectionResetError traceback."""
    async with running_bot(sqlite_url, clock, SAMPLE_ROSTER) as h:
        signed = h.text(WU, LOG)
        path = h.url.split("//")[1].split("/", 1)[1]
        head = (
            f"POST /{path}?{signed.query_string} HTTP/1.1\r\nHost: x\r\n"
            f"Content-Length: {len(signed.body) + 500}\r\n\r\n"
        ).encode()
        with caplog.at_level(logging.INFO):
            await raw_exchange(h, head + signed.body, half_close=True)
            for _ in range(200):  # the server notices the reset on its own time
                if any("body unreadable" in r.getMessage() for r in caplog.records):
                    break
                await asyncio.sleep(0.01)
        assert any("refused 400: body unreadable" in r.getMessage() for r in caplog.records)
        assert not tracebacks(caplog) and await stored(h) == 0


async def test_refusals_answer_fixed_texts_and_log_the_reason(sqlite_url, clock, caplog):
    """Defect 5: bodies named ExpatError, InvalidCorpIdException, int() messages."""
    async with running_bot(sqlite_url, clock, SAMPLE_ROSTER) as h:
        signed = h.text(WU, LOG)
        forged = dict(signed.query, msg_signature="f" * 40)
        async with h.http.post(h.url, params=forged, data=signed.body) as resp:
            assert (resp.status, await resp.text()) == (403, "forbidden")
        async with h.http.post(h.url, params=signed.query, data=b"<xml><Encrypt>AAAA") as resp:
            assert (resp.status, await resp.text()) == (400, "bad request")
        async with h.http.post(h.url, params=signed.query, data=b"x" * 70_000) as resp:
            assert (resp.status, await resp.text()) == (413, "request too large")
        async with h.http.get(h.url, params={"msg_signature": "x", "echostr": "y"}) as resp:
            assert (resp.status, await resp.text()) == (403, "forbidden")
        reasons = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
        assert any("bad signature" in r for r in reasons) and any("not XML" in r for r in reasons)
        assert not tracebacks(caplog)


GARBAGE = [
    b"GET /\x00\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
    b"HELLO\r\n\r\n",
    b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
    b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
]


async def test_garbage_http_is_one_rate_limited_warning_line(sqlite_url, clock, caplog):
    """Defect 4: aiohttp logged a full traceback for every malformed request."""
    async with running_bot(sqlite_url, clock, SAMPLE_ROSTER) as h:
        with caplog.at_level(logging.WARNING):
            for request in GARBAGE * 10:
                answer = await raw_exchange(h, request)
                assert answer[:10] in (b"HTTP/1.1 4", b"HTTP/1.0 4") or answer == b"", answer[:80]
        noise = [r for r in caplog.records if r.name == "shiji.http"]
        assert 1 <= len(noise) <= 10
        assert all(r.levelno == logging.WARNING and "\n" not in r.getMessage() for r in noise)
        assert not tracebacks(caplog)
        assert "已记录" in await h.say(WU, LOG)  # and the bot still works


async def test_one_line_per_callback_with_id_outcome_latency_and_no_body(sqlite_url, clock, caplog):
    async with running_bot(sqlite_url, clock, SAMPLE_ROSTER) as h:
        with caplog.at_level(logging.DEBUG):
            await h.say(WU, LOG)
            await h.say("stranger_1", "你好，我想问一下")
        lines = [r for r in caplog.records if r.getMessage().startswith("callback ")]
        assert len(lines) == 2
        entries = [json.loads(JsonFormatter().format(r)) for r in lines]
        assert [(e["outcome"], e["status"], e["user"]) for e in entries] == [
            ("answered", 200, WU), ("answered", 200, "stranger_1"),
        ]
        assert all(len(e["rid"]) == 8 and e["ms"] >= 0 for e in entries)
        assert not [r for r in caplog.records if "走访" in r.getMessage() or "你好" in r.getMessage()]


async def test_healthz_and_metrics(db_url, clock):
    async with running_bot(db_url, clock, SAMPLE_ROSTER) as h:
        base = h.url.rsplit("/wecom", 1)[0]
        await h.say(WU, LOG)
        await h.say(WU, "批准请假 1")  # WU is no leader: a refusal, still one committed message
        async with h.http.post(h.url, data=b"<xml><Encrypt>x</Encrypt></xml>") as resp:
            assert resp.status == 403
        async with h.http.get(f"{base}/healthz") as resp:
            assert resp.status == 200
            assert await resp.json() == {"ok": True, "database": "ok", "scheduler": "off"}
        async with h.http.get(f"{base}/metrics") as resp:
            assert resp.status == 200 and resp.content_type == "text/plain"
            text = await resp.text()
        assert 'shiji_callbacks_total{outcome="answered",status="200"} 2.0' in text
        assert 'shiji_callbacks_total{outcome="refused",status="403"} 1.0' in text
        assert "shiji_callback_seconds_count 3.0" in text
        assert "shiji_commit_batch_messages_sum 2.0" in text
        assert "shiji_commit_seconds_count" in text and 'shiji_outbox_rows' in text
        # Alerts see 0, never an absent series, before the first failure of its kind.
        assert 'shiji_outbox_rows{status="failed"} 0.0' in text
        assert 'shiji_outbox_oldest_seconds{status="failed"} 0.0' in text
        assert 'shiji_reminders_today{kind="daily",status="failed"} 0.0' in text
        assert 'shiji_reminders_today{kind="last_day",status="sent"} 0.0' in text
        assert h.settings.wecom.secret not in text and h.settings.wecom.token not in text


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_ops_routes_on_their_own_port_leave_the_callback_port(sqlite_url, clock):
    ops_port = _free_port()
    async with running_bot(sqlite_url, clock, SAMPLE_ROSTER, server={"ops_port": ops_port}) as h:
        base = h.url.rsplit("/wecom", 1)[0]
        for route in ("/healthz", "/metrics"):
            async with h.http.get(f"{base}{route}") as resp:
                assert resp.status == 404
            async with h.http.get(f"http://127.0.0.1:{ops_port}{route}") as resp:
                assert resp.status == 200

