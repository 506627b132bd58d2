"""What `shiji serve` (and the other commands that talk to WeCom) refuse to start with.

Anyone who has read this repository can sign callbacks with its demo Token and EncodingAESKey,
as any userid, the admin included; Tencent's and wechatpy's samples are just as public. So the
app's secrets have no default, and a start with one of them empty or published, a malformed
EncodingAESKey, plain HTTP to a WeCom that is not this machine, or no admin is refused with
one block that names each problem and the environment variable that mends it.
"""

from __future__ import annotations

import base64
import binascii
import sys
from collections.abc import Collection
from enum import StrEnum
from urllib.parse import urlsplit

from bot.demo.credentials import DEMO_WECOM
from bot.settings import Settings, is_loopback_url


class Need(StrEnum):
    """What of WeCom a command uses."""

    callback = "callback"  # receives callbacks: Token and EncodingAESKey
    api = "api"  # calls WeCom's API: corp id, Secret, api_base
    admin = "admin"  # answers chat: someone must be the admin


SERVE = frozenset(Need)
API_ONLY = frozenset({Need.api})
# The runtime (bot/runtime.py) builds the callback crypto even for a one-off pass.
RUNTIME = frozenset({Need.callback, Need.api})

# Every value of these keys ever published: this repository's demo (bot/demo/credentials.py,
# and settings.toml before it) and the samples of Tencent's weworkapi and of wechatpy
# (tests/fixtures/wecom/vectors.json), which the demo key was taken from.
PUBLISHED: dict[str, frozenset[str]] = {
    "token": frozenset({DEMO_WECOM["token"], "QDG6eK", "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo", "123456"}),
    "encoding_aes_key": frozenset({
        DEMO_WECOM["encoding_aes_key"],
        "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
        "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt",
        "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR",
    }),
    "secret": frozenset({DEMO_WECOM["secret"]}),
    "corp_id": frozenset({DEMO_WECOM["corp_id"], "wx5823bf96d3bd56c7", "ww1436e0e65a779aee", "wx49f0ab532d5d035a"}),
}

# Where the operator finds each value.
_WHERE = {
    "token": "企业微信管理后台 → 应用管理 → 本应用 → 接收消息 → 设置API接收 中的 Token",
    "encoding_aes_key": "同一页面的 EncodingAESKey，43 位",
    "secret": "企业微信管理后台 → 应用管理 → 本应用 的 Secret",
    "corp_id": "企业微信管理后台 → 我的企业 → 企业信息 中的企业ID",
}
_SECRETS_BY_NEED = {Need.callback: ("token", "encoding_aes_key"), Need.api: ("secret", "corp_id")}


def env_var(section: str, key: str) -> str:
    """The environment variable that sets `section.key` (bot/settings.py)."""
    return f"SHIJI_{section.upper()}__{key.upper()}"


def aes_key_problem(key: str) -> str | None:
    """Why `key` is no EncodingAESKey (None: it is one): 43 characters of base64 for 32 bytes."""
    if len(key) != 43:
        return f"长度是 {len(key)} 位，应为 43 位"
    try:
        decoded = base64.b64decode(key + "=", validate=True)
    except (binascii.Error, ValueError):
        return "含有 base64 以外的字符"
    return None if len(decoded) == 32 else "解不出 32 字节的密钥"


def unsafe_settings(settings: Settings, needs: Collection[Need] = SERVE) -> list[str]:
    """Each reason `settings` are unsafe for a command that uses `needs`, worded for the
    operator with the environment variable that mends it; [] when they are safe."""
    problems: list[str] = []
    wecom = settings.wecom
    for need in (Need.callback, Need.api):
        if need not in needs:
            continue
        for key in _SECRETS_BY_NEED[need]:
            value = getattr(wecom, key).strip()
            name, var = f"wecom.{key}", env_var("wecom", key)
            if not value:
                problems.append(f"{name} 为空：请设置环境变量 {var}（{_WHERE[key]}）")
            elif value in PUBLISHED[key]:
                problems.append(f"{name} 是公开的演示/示例值，谁都能用它：请设置环境变量 {var}（{_WHERE[key]}）")
            elif key == "encoding_aes_key" and (why := aes_key_problem(value)) is not None:
                problems.append(f"{name} 不是有效的 EncodingAESKey（{why}）：请设置环境变量 {var}（{_WHERE[key]}）")
    if Need.api in needs and urlsplit(wecom.api_base).scheme != "https" and not is_loopback_url(wecom.api_base):
        problems.append(
            f"wecom.api_base 不是 https 地址（{wecom.api_base}），Secret 和消息会明文传输："
            f"请设置环境变量 {env_var('wecom', 'api_base')}=https://qyapi.weixin.qq.com"
        )
    if Need.admin in needs and not [u for u in settings.admin.userids if u.strip()]:
        problems.append(
            f"admin.userids 为空，没有人能管理名册、评分和结果：请设置环境变量 "
            f"{env_var('admin', 'userids')}='[\"考核办管理员的企业微信账号\"]'"
        )
    return problems


def refuse_unsafe(settings: Settings, command: str, needs: Collection[Need] = SERVE) -> bool:
    """Print the refusal for `command` on stderr and return True when `settings` are unsafe."""
    problems = unsafe_settings(settings, needs)
    if not problems:
        return False
    lines = [f"{command}：设置不安全，拒绝启动：", *(f"  - {p}" for p in problems),
             "只想在本机试用？请运行 shiji demo（make demo），它自带演示用的企业微信模拟服务和密钥。"]
    print("\n".join(lines), file=sys.stderr, flush=True)
    return True
