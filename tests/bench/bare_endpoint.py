"""The yardstick: an aiohttp endpoint that only verifies, decrypts and answers encrypted.

Run as `python -m tests.bench.bare_endpoint PORT`; used by tests/bench/bench_callback.py.
"""

from __future__ import annotations

import secrets
import sys

from aiohttp import web

from bot.clock import SystemClock
from bot.settings import Settings
from bot.wecom.crypto import CallbackCrypto
from bot.wecom.errors import CallbackRejected
from bot.wecom.reply import text_reply_xml


def create_app(settings: Settings) -> web.Application:
    wecom = settings.wecom
    # No timestamp window here: the bench stamps callbacks on the bot's (shifted) clock.
    crypto = CallbackCrypto(wecom.token, wecom.encoding_aes_key, wecom.corp_id, wecom.agent_id, 10**9)
    clock = SystemClock()

    async def callback(request: web.Request) -> web.Response:
        q = request.query
        try:
            inbound = crypto.decrypt(
                q.get("msg_signature", ""), q.get("timestamp", ""), q.get("nonce", ""),
                await request.read(), clock.now(),
            )
        except CallbackRejected as rejected:
            return web.Response(status=rejected.status)
        created = int(clock.now().timestamp())
        xml = text_reply_xml(inbound.from_user, wecom.corp_id, created, "✅ 已记录今天的工作日志，共 30 字。")
        return web.Response(text=crypto.encrypt_reply(xml, secrets.token_hex(8), str(created)))

    app = web.Application()
    app.router.add_post(wecom.callback_path, callback)
    app.router.add_get("/healthz", lambda _r: _healthz(clock))
    return app


async def _healthz(clock: SystemClock) -> web.Response:
    return web.json_response({"ok": True, "now": clock.now().isoformat()})


if __name__ == "__main__":
    web.run_app(create_app(Settings()), host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
