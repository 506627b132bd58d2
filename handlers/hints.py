"""What a text that starts with no command is answered when it is not stored as a log (R-CHAT-5):
a command typed slightly wrong, worded by how it missed; a courtesy, in one friendly line;
other chit-chat; and work from an account that keeps no log. Only people who keep a log are
told that the text was not logged.
"""

from __future__ import annotations

from handlers.audience import keeps_log
from handlers.router import PlainText
from scoring.plain_text import Courtesy, Meaning, Miss
from storage.directory import Person

EXAMPLE = "「上午走访3户困难群众，下午整理低保台账」"
NOT_LOGGED = "这条消息没有记入日志。"

# By how the command was missed: the space is mentioned only where it is what went wrong.
_HINTS = {
    Miss.joined: "您是想发送「{}」吗？请照这个格式重新发送：命令和内容之间空一格。",
    Miss.order: "您是想发送「{}」吗？请照这个格式重新发送：命令写在最前面。",
    Miss.slip: "您是不是想发送「{}」？",
    Miss.as_typed: "您是不是想发送「{}」？",
}
_COURTESIES = {
    Courtesy.thanks: "😊 不客气！",
    Courtesy.greeting: "😊 您好！发送「帮助」查看使用说明。",
    Courtesy.ack: "👌 好的。",
}


def answer_unless_log(plain: PlainText, person: Person | None, is_admin: bool) -> str | None:
    """The answer to `plain` from `person` (None: an admin off the roster), or None when it is
    today's log to store."""
    reading, logs = plain.reading, keeps_log(person)
    if reading.meaning is Meaning.COMMAND:
        command = plain.command
        if command is None:
            logged = "，这条消息没有记入日志" if logs else ""
            return f"「{reading.keyword}」功能暂未开通{logged}。发送「帮助」查看现在可用的命令。"
        if not command.audience.admits(person, is_admin):
            return command.audience.refusal(f"「{command.keywords[0]}」", person)
        hint = _HINTS[reading.miss or Miss.slip].format(reading.suggestion)
        return hint + (NOT_LOGGED if logs else "")
    if reading.meaning is Meaning.COURTESY:
        return _COURTESIES[reading.courtesy or Courtesy.ack]
    if reading.meaning is Meaning.CHAT:
        if logs:
            return f"这条消息不像工作日志，没有记入日志。工作日志请直接发送今天做了什么，例如{EXAMPLE}。有问题可发送「帮助」。"
        return "有问题请发送「帮助」，查看您可以使用的命令。"
    if person is None:
        return "您是管理员账号，不需要记载日志。发送「帮助」查看管理员命令。"
    if not logs:
        return "您是上级领导账号，不记日志、不参加考核，这条消息没有保存。可以发送「查看 姓名」阅读所分管单位的日志，或「排名」查看排名。"
    return None
