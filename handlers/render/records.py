"""What the renderers take: a published year of the district, one cadre's dossier, one
cadre's published annual figures, as plain values.

services/archive_records.py and services/annual.py read them from the store; render/pdf.py and
render/workbook.py only lay them out, so the renderers import nothing above the render floor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from scoring.disclosure import YearShown
from scoring.grades import StaffCategory
from scoring.types import Rank
from storage.directory import Person
from storage.models import Leave
from storage.records import CadreQuarter
from storage.results_repo import QuarterCells

QUARTERS = (1, 2, 3, 4)


@dataclass(frozen=True)
class AnnualFigures:
    """One cadre's published year with its parts, frozen as published."""

    userid: str
    name: str
    unit_id: int
    unit_name: str
    level: Rank
    score: Decimal
    democratic: Decimal
    unit_result: Decimal
    quarter_mean: Decimal
    weights: str  # democratic/unit/quarters, e.g. "0.1/0.2/0.7"
    unit_rank: int
    unit_size: int
    level_rank: int
    level_size: int
    excellent: bool
    promotion_eligible: bool
    commendation_eligible: bool
    action: str  # 提醒谈话 / 诫勉谈话 / 组织处理, or ""
    explained: str  # the parts, weights and grade as 我的得分 2026 words them (places only if shown)
    shown: YearShown  # what the cadre and the admin may be shown (scoring.disclosure)
    shown_to_colleagues: YearShown  # what another cadre (a leader, who may have rated them) may
    grade: str = ""  # the 等次 by 人员类别 (优秀/称职/…/合格…), as year_publish.grade_name words it


@dataclass(frozen=True)
class Award:
    """An imported reward or penalty (奖惩), as the dossier prints it."""

    kind: str  # 奖励 or 惩处
    content: str
    day: date | None


def before_record(began: str, logged_before: bool = False) -> str:
    """What a view says once where it reaches back before a person's record began (`began`:
    「系统 2026-09-01 上线」, 「吴昊 2026-10-12 起参加考核」); where a log was written for an earlier
    day all the same (a 补记 on the go-live day reaches back), it is shown, nothing owed."""
    return f"{began}，此前的日子不要求记日志" if logged_before else f"{began}，此前无日志"


@dataclass
class YearRecord:
    """The district's published year: quarter rows and annual figures by cadre, plus what
    every cadre's log coverage is measured against."""

    year: int
    people: list[Person]  # everyone rated this year or on the roster now, by unit then name
    quarters: dict[str, dict[int, QuarterCells]]  # userid -> quarter -> published figures
    published_quarters: tuple[int, ...]
    annual: dict[str, AnnualFigures]
    log_counts: dict[str, int]
    leave: dict[str, list[Leave]]
    workdays: int  # working days owed a log in the year (from the system's start)
    min_raters: int  # the disclosure rule's threshold (ScoringConfig.min_group_size)
    awards: dict[str, list[Award]] = field(default_factory=dict)  # userid -> imported 奖惩
    # userid -> (first day of their record, how it began: `before_record`): the later of
    # go-live and joining (handlers/services/record_start.py), and the working days owed from there.
    starts: dict[str, tuple[date, str]] = field(default_factory=dict)
    owed_days: dict[str, int] = field(default_factory=dict)
    notice: dict[str, list[str]] = field(default_factory=dict)  # userid -> 结果通知 and 本人意见 lines
    publicity: dict[str, list[str]] = field(default_factory=dict)  # userid -> their 公示 and its outcome
    default_category: StaffCategory = StaffCategory.civil_servant  # [grades] default_category


@dataclass
class Dossier:
    """One cadre's year, as their PDF shows it."""

    person: Person
    logs: list[tuple[date, str]]
    summaries: dict[str, str]  # "2026Q1" … "2026" -> text
    quarters: dict[int, CadreQuarter]
    annual: AnnualFigures | None
    leave: list[Leave] = field(default_factory=list)
    awards: list[Award] = field(default_factory=list)
    begins: tuple[date, str] | None = None  # YearRecord.starts: nothing before it is missed
    notice: list[str] = field(default_factory=list)  # the written notice and 本人意见, with times
    publicity: list[str] = field(default_factory=list)  # the 公示 they were listed in, and its outcome
    category: StaffCategory = StaffCategory.civil_servant  # 人员类别: names the 等次


def file_name(year: int, person: Person) -> str:
    """`年份-单位-姓名-userid.pdf`, safe on every file system."""
    stem = f"{year}-{person.unit.name}-{person.name}-{person.userid}"
    return "".join("_" if c in '/\\:*?"<>|' else c for c in stem) + ".pdf"
