"""The demo's WeCom app and admin: the one place these published values live.

Only `shiji demo`, `shiji rehearse` and `shiji chat` apply them (`demo_settings`), to talk
to the loopback stand-in (a rehearsal keeps the settings' admins). They are in this repository for anyone to read, so `shiji serve` refuses to start
with any of them (bot/startup_check.py).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from bot.settings import Settings, is_loopback_url

# The EncodingAESKey is the one of Tencent's own callback sample (weworkapi), as shipped
# in settings.toml before the demo values moved here.
DEMO_WECOM: dict[str, Any] = {
    "corp_id": "ww_demo_corp",
    "agent_id": 1000002,
    "secret": "demo-secret",
    "token": "demotoken",
    "encoding_aes_key": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
    "api_base": "http://127.0.0.1:8701",
}
DEMO_ADMINS = ("kaohe_admin",)


def demo_settings(settings: Settings) -> Settings:
    """`settings` with the demo's app and admin: a loopback api_base given in the settings
    is kept (another port for the stand-in), anything else becomes the demo's."""
    wecom = dict(DEMO_WECOM)
    if is_loopback_url(settings.wecom.api_base) and urlsplit(settings.wecom.api_base).scheme == "http":
        wecom["api_base"] = settings.wecom.api_base
    data = settings.model_dump()
    data["wecom"] = {**data["wecom"], **wecom}
    data["admin"] = {**data["admin"], "userids": list(DEMO_ADMINS)}
    return type(settings).model_validate(data)  # the same class: it knows its settings file


def demo_page(settings: Settings, port: int | None = None) -> str:
    """Where `shiji demo` and `shiji rehearse` serve the page for `shiji chat`: on this
    machine at `port` when given (`shiji demo --port`), else at the demo's api_base."""
    return f"http://127.0.0.1:{port}" if port else demo_settings(settings).wecom.api_base
