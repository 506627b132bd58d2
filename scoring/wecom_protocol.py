"""What WeCom's protocol lets our cards and messages be: the one home of those limits.

Each value names its page, developer.work.weixin.qq.com/document/path/<id>. handlers/ builds
task ids and drop-downs within them, bot/ splits texts and batches recipients by them, the
rule settings (scoring/rule_settings.py) check `[rating] card_scores` against them, and the
stand-in (bot/testing/rules.py) refuses what breaks them. They are plain values with no
imports, kept in scoring/ because the rule settings, which live here, need one of them.
"""

from __future__ import annotations

import re

# doc 90236 发送应用消息, template_card task_id 「只能由数字、字母和“_-@”组成，最长128字节」
TASK_ID = re.compile(r"[A-Za-z0-9_\-@]{1,128}")
# doc 90236 template_card button_selection / select_list option_list 「下拉选项不超过 10 个，最少1个」
MAX_OPTIONS = 10
# Every drop-down of ours starts with a non-answer prompt (handlers/cards.py): the real choices.
MAX_CHOICES = MAX_OPTIONS - 1
# doc 90236 template_card button_interaction button_list: at most 6 buttons
MAX_BUTTONS = 6
# doc 90236 template_card multiple_interaction select_list: at most 3 drop-downs
MAX_SELECTS = 3
# doc 90236 text/markdown content 「最长不超过2048个字节」; the bot holds its passive text
# replies and the demo page holds what it lets a cadre type to the same bound.
TEXT_LIMIT_BYTES = 2048
# doc 90236 touser 「最多支持1000个」
MAX_RECIPIENTS = 1000
# doc 94888 更新模版卡片消息 「response_code的有效期是72小时」
RESPONSE_CODE_HOURS = 72
