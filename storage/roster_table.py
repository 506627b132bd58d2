"""The roster's columns and coded values, in Chinese and in English codes: the one table that
import, the template, export and error messages all read."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from scoring.types import CATEGORY_ZH, RANK_ZH, ROLE_ZH

YES, NO = "是", "否"

# The template's example row; an import that meets it unchanged skips it.
EXAMPLE = {
    "userid": "zhangsan", "name": "张三", "unit": "城关镇", "unit_category": "乡镇(街道)",
    "role": "一般干部", "rank": "一般干部", "oversees": "", "position": "党政办主任", "active": YES,
}


@dataclass(frozen=True)
class Column:
    key: str  # the English header older files use, and the field name
    header: str  # the Chinese header templates and exports write
    note: str  # one line on the 说明 sheet
    required: bool = False
    aliases: tuple[str, ...] = ()  # further headers accepted on import
    # Coded columns: code -> the Chinese label written out, and extra spellings accepted.
    labels: dict[str, str] = field(default_factory=dict)
    variants: dict[str, str] = field(default_factory=dict)
    max_chars: int = 0
    width: int = 14

    def choices(self) -> list[str]:
        return list(self.labels.values())

    def code(self, cell: str) -> str | None:
        """The code a cell means (Chinese label, variant or code itself), or None."""
        word = normalise(cell)
        for code, label in self.labels.items():
            if word in (normalise(code), normalise(label)):
                return code
        return self.variants.get(word)


def normalise(text: str) -> str:
    """Full-width to half-width, no spaces or required-marks (*), lower case: how headers and
    codes are compared."""
    return re.sub(r"[\s*]+", "", unicodedata.normalize("NFKC", text)).lower()


COLUMNS: tuple[Column, ...] = (
    Column(
        "userid", "账号", "企业微信通讯录中的账号（userid），由字母、数字和 _-@. 组成，每人唯一",
        required=True, aliases=("企业微信账号", "帐号", "企业微信帐号", "userid"), max_chars=64, width=22,
    ),
    Column("name", "姓名", "与企业微信通讯录一致", required=True, aliases=("名字",), max_chars=50, width=10),
    Column(
        "unit", "单位", "所在单位全称；同一单位各行写法一致", required=True,
        aliases=("所在单位", "单位名称", "工作单位"), max_chars=100, width=20,
    ),
    Column(
        "unit_category", "单位类别", "同一单位各行相同", required=True, aliases=("单位类型",),
        labels={c.value: label for c, label in CATEGORY_ZH.items()},
        variants={"乡镇": "township", "街道": "township", "镇": "township", "乡镇街道": "township",
                  "区直": "district_unit", "区直部门": "district_unit", "区直机关": "district_unit",
                  "下属单位": "sub_unit", "区直下属单位": "sub_unit", "二级单位": "sub_unit"},
        width=18,
    ),
    Column(
        "role", "角色", "在本单位的角色；上级领导（如联系单位的区领导）只阅看、不参加评分", required=True,
        aliases=("单位角色", "身份"), labels={r.value: label for r, label in ROLE_ZH.items()},
        variants={"党政正职": "main_leader", "单位主要领导": "main_leader", "一把手": "main_leader",
                  "班子": "leadership", "领导班子成员": "leadership", "班子副职": "leadership",
                  "干部": "staff", "普通干部": "staff", "区领导": "superior", "分管领导": "superior",
                  "联系领导": "superior"},
        width=12,
    ),
    Column(
        "rank", "职级", "全区按职级分别排名；上级领导可不填", required=True, aliases=("职级层次", "级别"),
        labels={r.value: label for r, label in RANK_ZH.items()},
        variants={"正科": "zhengke", "正科级干部": "zhengke", "副科": "fuke", "副科级干部": "fuke",
                  "一般": "general", "科员": "general"},
        width=12,
    ),
    Column(
        "oversees", "分管单位", "仅上级领导填写：分管或联系的单位，多个用；或、分隔",
        aliases=("联系单位", "分管联系单位"), width=24,
    ),
    Column("position", "职务", "如 党委书记、副局长（可不填）", aliases=("职位",), max_chars=100, width=16),
    Column(
        "active", "在职", "否 = 已调离或退休：保留历史，不再提醒、不再发评分卡（不填视为 是）",
        aliases=("是否在职", "状态"), labels={"true": YES, "false": NO},
        variants={"": "true", "1": "true", "yes": "true", "y": "true", "在职": "true",
                  "0": "false", "no": "false", "n": "false", "离职": "false", "停用": "false",
                  "调离": "false", "退休": "false"},
        width=8,
    ),
    Column(
        "category", "人员类别",
        "公务员（含参照管理）或 事业单位：决定年度考核等次的名称（称职/合格 等）；不填按 settings.toml [grades] default_category",
        aliases=("类别", "编制类别", "人员性质"), labels={"civil_servant": "公务员", "institution": "事业单位"},
        variants={"参公": "civil_servant", "参照管理": "civil_servant", "参照公务员法管理": "civil_servant",
                  "公务员(含参照管理)": "civil_servant", "行政": "civil_servant", "行政编制": "civil_servant",
                  "事业": "institution", "事业编": "institution", "事业编制": "institution",
                  "事业单位工作人员": "institution", "事业人员": "institution"},
        width=12,
    ),
)
BY_KEY = {c.key: c for c in COLUMNS}
_BY_HEADER = {normalise(name): c for c in COLUMNS for name in (c.key, c.header, *c.aliases)}


def column_for(header: str) -> Column | None:
    return _BY_HEADER.get(normalise(header))


def label(key: str, code: str | None) -> str:
    """The Chinese label of a code (empty for none), as export writes it."""
    if code is None:
        return ""
    return BY_KEY[key].labels.get(code, code)

