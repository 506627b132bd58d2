"""Vocabulary shared by every scoring module: enums and small frozen records.

Everything here is plain data so handlers, jobs and exports can build it from storage rows
without the scoring package knowing about storage.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol


class Role(StrEnum):
    """A cadre's role in their unit (roster column)."""

    main_leader = "main_leader"  # 单位主要领导
    leadership = "leadership"  # 班子成员
    staff = "staff"  # 一般干部
    superior = "superior"  # 上级领导: reads and may rate a main leader, is never rated


class Rank(StrEnum):
    """Rank level (职级), the grouping for district-wide rankings."""

    zhengke = "zhengke"  # 正科级
    fuke = "fuke"  # 副科级
    general = "general"  # 一般干部


class UnitCategory(StrEnum):
    """Unit category; each has its own rater-group weights (R-RATE-2)."""

    township = "township"  # 乡镇(街道)
    district_unit = "district_unit"  # 区直单位
    sub_unit = "sub_unit"  # 区直单位下属单位


class RaterGroup(StrEnum):
    """Rater group of the 360° quarterly rating (R-RATE-2)."""

    lead = "lead"  # 主评
    peer = "peer"  # 互评
    other = "other"  # 参评


ROLE_ZH: dict[Role, str] = {
    Role.main_leader: "主要领导",
    Role.leadership: "班子成员",
    Role.staff: "一般干部",
    Role.superior: "上级领导",
}
RANK_ZH: dict[Rank, str] = {Rank.zhengke: "正科级", Rank.fuke: "副科级", Rank.general: "一般干部"}
CATEGORY_ZH: dict[UnitCategory, str] = {
    UnitCategory.township: "乡镇(街道)",
    UnitCategory.district_unit: "区直单位",
    UnitCategory.sub_unit: "区直单位下属单位",
}
GROUP_ZH: dict[RaterGroup, str] = {
    RaterGroup.lead: "主评",
    RaterGroup.peer: "互评",
    RaterGroup.other: "参评",
}

# The democratic evaluation's five dimensions (R-YEAR-1), in ballot order.
DIMENSIONS_ZH: tuple[str, ...] = ("德", "能", "勤", "绩", "廉")


@dataclass(frozen=True, slots=True)
class Member:
    """One roster row as the rater-assignment code needs it."""

    userid: str
    role: Role


class Rostered(Protocol):
    """What the rules need to know of a person on the roster (storage's `Person` is one)."""

    @property
    def userid(self) -> str: ...

    @property
    def role(self) -> Role: ...

    @property
    def unit_id(self) -> int: ...

    @property
    def oversees(self) -> frozenset[int]: ...  # units a superior leader is in charge of

    @property
    def active(self) -> bool: ...


class Scored(Protocol):
    """Anything with a published score that can be ranked (quarter or annual results)."""

    @property
    def userid(self) -> str: ...

    @property
    def unit(self) -> str: ...

    @property
    def rank(self) -> Rank: ...

    @property
    def score(self) -> Decimal | None: ...


@dataclass(frozen=True, slots=True)
class ScoredCadre:
    """A minimal `Scored` record, for callers that hold only published figures."""

    userid: str
    unit: str
    rank: Rank
    score: Decimal | None
