"""The aiohttp apps: WeCom's callback (GET verification, encrypted POST), and the operator's
/healthz and /metrics (on the callback port, or on a port of their own).

Nothing is read before the request is known to be acceptable: a compressed body (WeCom never
compresses) is refused 415 and an oversized one 413 unread; signature and timestamp are
checked before anything is decrypted or parsed. Refusals answer a short fixed text; the
reason goes to the log with the request id. One log line per callback: id, outcome, latency.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from sqlalchemy import text

from bot.dispatch import ERROR_TEXT, FailedBefore, request_id
from bot.logs import HttpNoise, fields
from bot.metrics import CONTENT_TYPE
from bot.runtime import Runtime
from bot.wecom.errors import CallbackRejected, UnreadableMessage
from bot.wecom.reply import text_reply_xml, update_template_card_xml
from handlers.base import Reply

log = logging.getLogger(__name__)

RUNTIME = web.AppKey("runtime", Runtime)

# An authentic message whose XML the parser refused (bot/wecom/errors.py UnreadableMessage).
UNREADABLE_TEXT = "这条消息的格式无法识别，没有保存。请重新发送文字消息；如仍收到这条提示，请联系考核办。"
# What a refused request is told: nothing about which check failed or what we run.
REFUSAL_TEXT = {
    400: "bad request",
    403: "forbidden",
    413: "request too large",
    415: "content encoding not accepted",
}
HEALTH_TIMEOUT_SECONDS = 2.0


def _refused(status: int, rid: str, reason: str) -> web.Response:
    log.warning("request %s refused %d: %s", rid, status, reason, extra=fields(rid=rid, status=status, reason=reason))
    return web.Response(status=status, text=REFUSAL_TEXT[status])


async def verify_url(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    query = request.query
    try:
        plain = runtime.crypto.verify_url(
            query.get("msg_signature", ""), query.get("timestamp", ""), query.get("nonce", ""),
            query.get("echostr", ""), runtime.wall_clock.now(),
        )
    except CallbackRejected as rejected:
        return _refused(rejected.status, request_id(), f"URL verification: {rejected.reason}")
    return web.Response(text=plain)


async def callback(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    rid = request_id()
    started = time.perf_counter()
    response, outcome, userid = await _answer(runtime, request, rid)
    elapsed = time.perf_counter() - started
    runtime.metrics.callback(outcome, response.status, elapsed)
    log.info(
        "callback %s %s %d %.1f ms%s", rid, outcome, response.status, elapsed * 1000,
        f" from {userid}" if userid else "",
        extra=fields(rid=rid, outcome=outcome, status=response.status, ms=round(elapsed * 1000, 1), user=userid),
    )
    return response


async def _answer(runtime: Runtime, request: web.Request, rid: str) -> tuple[web.Response, str, str]:
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        return _refused(415, rid, f"Content-Encoding {encoding[:40]!r}"), "refused", ""
    limit = runtime.settings.server.max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        return _refused(413, rid, f"Content-Length {request.content_length}"), "refused", ""
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _refused(413, rid, "body over max_body_bytes"), "refused", ""
    except (ConnectionError, HttpProcessingError) as exc:  # the client sent less than it said, or left
        return _refused(400, rid, f"body unreadable: {type(exc).__name__}"), "refused", ""
    query = request.query
    try:
        inbound = runtime.crypto.decrypt(
            query.get("msg_signature", ""), query.get("timestamp", ""), query.get("nonce", ""),
            body, runtime.wall_clock.now(),
        )
    except UnreadableMessage as unreadable:
        log.warning("request %s from %s refused: %s", rid, unreadable.from_user, unreadable.reason,
                    extra=fields(rid=rid, reason=unreadable.reason))
        return _reply(runtime, unreadable.from_user, Reply(UNREADABLE_TEXT)), "refused", unreadable.from_user
    except CallbackRejected as rejected:
        return _refused(rejected.status, rid, rejected.reason), "refused", ""
    outcome = "answered"
    try:
        answer = await runtime.dispatcher.handle(inbound, rid)
    except FailedBefore as before:
        log.warning("request %s from %s: a retry of a message that failed before; not run again",
                    rid, inbound.from_user, extra=fields(rid=rid))
        answer, outcome = before.answer, "failed"
    except Exception:  # its answer (this rid) is what its retries get too (bot/dispatch.py)
        log.exception("request %s from %s failed", rid, inbound.from_user, extra=fields(rid=rid))
        answer, outcome = Reply(ERROR_TEXT.format(rid=rid)), "failed"
    return _reply(runtime, inbound.from_user, answer), outcome, inbound.from_user


def _reply(runtime: Runtime, to_user: str, answer: Reply) -> web.Response:
    """The sealed passive reply, or an empty 200 ("no reply")."""
    created = int(runtime.wall_clock.now().timestamp())
    xml = _passive_xml(runtime, to_user, answer, created)
    if xml is None:
        return web.Response(text="")
    envelope = runtime.crypto.encrypt_reply(xml, secrets.token_hex(8), str(created))
    return web.Response(text=envelope, content_type="application/xml")


def _passive_xml(runtime: Runtime, to_user: str, answer: Reply, created: int) -> str | None:
    corp_id = runtime.settings.wecom.corp_id
    if answer.card_update is not None:
        return update_template_card_xml(to_user, corp_id, created, answer.card_update)
    if answer.text:
        return text_reply_xml(to_user, corp_id, created, answer.text)
    return None


async def health(request: web.Request) -> web.Response:
    """Up, database reachable, scheduler alive. 503 when the database does not answer."""
    runtime = request.app[RUNTIME]
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS), runtime.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # any failure to answer is the finding, not an error of ours
        database = f"unreachable ({type(exc).__name__})"
    if runtime.scheduler is not None:
        scheduler = "running" if runtime.scheduler.running else "stopped"
    else:
        scheduler = "off" if not runtime.background else "stopped"
    ok = database == "ok" and scheduler != "stopped"
    body = {"ok": ok, "database": database, "scheduler": scheduler}
    return web.json_response(body, status=200 if ok else 503)


async def metrics(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    payload = await runtime.metrics.render(runtime.sessions, runtime.clock.now())
    return web.Response(body=payload, headers={"Content-Type": CONTENT_TYPE})


def _ops_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", health)
    app.router.add_get("/metrics", metrics)


def create_app(runtime: Runtime) -> web.Application:
    """The callback app; it owns the runtime's start and close."""
    settings = runtime.settings
    app = web.Application(client_max_size=settings.server.max_body_bytes)
    app[RUNTIME] = runtime
    path = settings.wecom.callback_path
    app.router.add_get(path, verify_url)
    app.router.add_post(path, callback)
    if not settings.server.ops_port:
        _ops_routes(app)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await runtime.start()
        yield
        await runtime.close()

    app.cleanup_ctx.append(lifecycle)
    return app


def create_ops_app(runtime: Runtime) -> web.Application:
    """/healthz and /metrics alone, for `[server] ops_port` (keep it off the internet)."""
    app = web.Application()
    app[RUNTIME] = runtime
    _ops_routes(app)
    return app


@dataclass
class Serving:
    runners: list[web.AppRunner]
    port: int  # the callback port (useful when configured as 0)
    ops_port: int | None

    async def close(self) -> None:
        for runner in reversed(self.runners):
            await runner.cleanup()


def _runner(app: web.Application) -> web.AppRunner:
    # auto_decompress=False: a compressed body stays bytes we refuse, never a bomb we inflate.
    return web.AppRunner(app, access_log=None, auto_decompress=False, logger=HttpNoise())


async def _start(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    runner = _runner(app)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner, int(runner.addresses[0][1])


async def serve(runtime: Runtime, port: int | None = None) -> Serving:
    """Start the callback server (and the ops server if it has its own port)."""
    server = runtime.settings.server
    runner, bound = await _start(create_app(runtime), server.host, server.port if port is None else port)
    serving = Serving([runner], bound, None)
    if server.ops_port:
        ops_runner, serving.ops_port = await _start(create_ops_app(runtime), server.ops_host, server.ops_port)
        serving.runners.append(ops_runner)
    return serving
