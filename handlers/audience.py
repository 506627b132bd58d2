"""Who a chat command is for (R-CHAT-5), declared where the command is registered.

The router checks it before the handler runs, 帮助 and README list a command only to those it
is for, and a refusal says in one wording who may use it. The rule looks at the asker's role
alone, never at what they named, so a refusal tells nothing about anyone else.
"""

from __future__ import annotations

from enum import Enum

from scoring.types import Role
from storage.directory import Person


class Audience(Enum):
    """The value is who may use the command, as 帮助, README and the refusal name them."""

    everyone = "所有人"
    rostered = "名册中的干部和上级领导"  # rates (a superior leader may rate a main leader)
    cadre = "记日志、参加考核的干部"  # keeps a log and is rated: not a superior leader, not a bare admin
    main_leader = "单位主要领导"
    approver = "单位主要领导和考核办"  # decides leave
    leader = "单位主要领导、上级领导和考核办"  # asks how results are used
    admin = "考核办（组织部）管理员"

    def admits(self, person: Person | None, is_admin: bool) -> bool:
        """`person`: the asker on the roster (None for an admin who is not on it)."""
        role = person.role if person is not None else None
        if self is Audience.everyone:
            return True
        if self is Audience.rostered:
            return person is not None
        if self is Audience.cadre:
            return role is not None and role is not Role.superior
        if self is Audience.main_leader:
            return role is Role.main_leader
        if self is Audience.approver:
            return is_admin or role is Role.main_leader
        if self is Audience.leader:
            return is_admin or role in (Role.main_leader, Role.superior)
        return is_admin

    def refusal(self, what: str, person: Person | None) -> str:
        """The one answer to someone this audience does not admit; `what`: 「补记」, 这条命令…"""
        return f"{what}仅限{self.value}使用{_who_you_are(person)}。发送「帮助」查看您可以使用的命令。"


def keeps_log(person: Person | None) -> bool:
    """Whether the asker writes a daily log (and is rated): plain text is their log."""
    return Audience.cadre.admits(person, False)


def _who_you_are(person: Person | None) -> str:
    """Said only where the kind of account is the reason (it keeps no log, or is no cadre)."""
    if person is None:
        return "；您是管理员账号，不在干部名册中"
    if person.is_superior:
        return "；您是上级领导账号，不记日志、不参加考核"
    return ""
