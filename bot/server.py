"""The aiohttp app: WeCom's callback (GET verification, encrypted POST) and a health check.

Signature and timestamp are checked before anything is parsed; malformed input gets 400/403,
never 500. The reply is encrypted back as WeCom's passive-reply envelope.
"""

from __future__ import annotations

import logging
import secrets

from aiohttp import web

from bot.dispatch import request_id
from bot.runtime import Runtime
from bot.wecom.errors import CallbackRejected
from bot.wecom.reply import text_reply_xml, update_template_card_xml
from handlers.base import Reply

log = logging.getLogger(__name__)

RUNTIME = web.AppKey("runtime", Runtime)

ERROR_TEXT = "系统暂时出错（编号 {rid}），这条消息没有保存，请稍后重新发送。如多次出现请把编号告诉考核办。"


async def verify_url(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    query = request.query
    try:
        plain = runtime.crypto.verify_url(
            query.get("msg_signature", ""), query.get("timestamp", ""), query.get("nonce", ""),
            query.get("echostr", ""), runtime.clock.now(),
        )
    except CallbackRejected as rejected:
        log.warning("URL verification refused: %s", rejected.reason)
        return web.Response(status=rejected.status, text=rejected.reason)
    return web.Response(text=plain)


async def callback(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    query = request.query
    body = await request.read()
    try:
        inbound = runtime.crypto.decrypt(
            query.get("msg_signature", ""), query.get("timestamp", ""), query.get("nonce", ""),
            body, runtime.clock.now(),
        )
    except CallbackRejected as rejected:
        log.warning("callback refused (%s): %s", rejected.status, rejected.reason)
        return web.Response(status=rejected.status, text=rejected.reason)
    try:
        answer = await runtime.dispatcher.handle(inbound)
    except Exception:
        rid = request_id()
        log.exception("request %s from %s failed", rid, inbound.from_user)
        answer = Reply(ERROR_TEXT.format(rid=rid))
    runtime.sender.wake()  # the message may have queued pushes
    created = int(runtime.clock.now().timestamp())
    xml = _passive_xml(runtime, inbound.from_user, answer, created)
    if xml is None:
        return web.Response(text="")  # empty 200: "no reply"
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
    # `now` lets `shiji chat` stamp callbacks on the bot's clock (demo clocks start elsewhere).
    return web.json_response({"ok": True, "now": request.app[RUNTIME].clock.now().isoformat()})


def create_app(runtime: Runtime) -> web.Application:
    settings = runtime.settings
    app = web.Application(client_max_size=settings.server.max_body_bytes)
    app[RUNTIME] = runtime
    path = settings.wecom.callback_path
    app.router.add_get(path, verify_url)
    app.router.add_post(path, callback)
    app.router.add_get("/healthz", health)

    async def lifecycle(app: web.Application):  # type: ignore[no-untyped-def]
        await runtime.start()
        yield
        await runtime.close()

    app.cleanup_ctx.append(lifecycle)
    return app
