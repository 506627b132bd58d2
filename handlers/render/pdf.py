"""One cadre's year as an A4 PDF with the Chinese font embedded (reportlab).

Drawn on reportlab's canvas with a few lines of layout instead of its Platypus flowables:
a year of daily logs is ~250 paragraphs, and the canvas draws a dossier in about a third of
the time (measured: 25 ms against 60–80 ms), which is what keeps a district's 1,340
documents well inside a minute. reportlab embeds a subset of the TrueType font (only the
glyphs used), so each file stays small and opens anywhere.

Lines break as Chinese typesetting does: anywhere between Chinese characters, but never
inside a date (「1月13日」), a number with its unit (「2.00 分」, 「第 4 名」) or a Latin word,
never before closing punctuation (。，、）」…, 避头) and never after opening punctuation
(（「…, 避尾). Only a run wider than a whole line is cut inside.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from datetime import date
from functools import cache

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from handlers.base import day_label, span_label
from handlers.render.font import font_path
from handlers.render.records import Dossier, before_record
from scoring.grades import STAFF_CATEGORY_ZH
from scoring.types import RANK_ZH, ROLE_ZH
from scoring.workdays import QuarterId

FONT = "shiji-cjk"
WIDTH, HEIGHT = A4
MARGIN = 50
BODY, SMALL, HEADING, TITLE = 10.5, 8.5, 13, 18


_UNIT = r"(?:年度?|个?月|日|季度|分|人|名|天|篇|次|项|版|页|%)"
_NUMBER = r"\d[\d.,:/]*"
_CORE = rf"(?:[0-9]*[A-Za-z][\w@.\-]*|(?:第\s?)?{_NUMBER}(?:\s?{_UNIT}(?:{_NUMBER}{_UNIT})*)?)"
_OPEN, _CLOSE = r"[（(「『《“‘【\[]", r"[。，、；：！？）)」』》”’】\],.;:!?%…—·]"
# The runs a line may not break inside: a date or number with its unit (「第 4 名」,
# 「2026年1月13日」) or a Latin word (「2026Q4」, an account), with the opening punctuation
# before and closing punctuation after any character. Searched, not tokenised: between
# two plain Chinese characters nothing matches, which keeps a year of logs fast to lay out.
_GLUED = re.compile(rf"{_OPEN}+(?:{_CORE}|.){_CLOSE}*|{_CORE}{_CLOSE}*|.{_CLOSE}+")


@cache
def _font() -> TTFont:
    font = TTFont(FONT, str(font_path()), subfontIndex=0)
    pdfmetrics.registerFont(font)
    return font


class _Page:
    """A cursor down A4 pages: one text object per page, text wrapped by glyph width (CJK
    breaks anywhere), widths looked up once per character."""

    def __init__(self, title: str, footer: str) -> None:
        self.font = _font()
        self.buffer = io.BytesIO()
        self.canvas = Canvas(self.buffer, pagesize=A4, pageCompression=1)
        self.canvas.setTitle(title)
        self.canvas.setAuthor("实绩考核助手")
        self.footer = footer
        self.page = 1
        self.y = HEIGHT - MARGIN
        self.widths: dict[str, float] = {}
        self.rules: list[float] = []  # heading underlines of the current page, drawn with it
        self.ink = self.canvas.beginText()

    def wrap(self, text: str, size: float, width: float) -> list[str]:
        """Greedy lines by glyph width, a break that would fall inside a `_GLUED` run moved
        back to its start (cut inside only when the run is wider than a line)."""
        limit = width / size
        widths = self.widths
        lines: list[str] = []
        for paragraph in text.splitlines() or [""]:
            glued: set[int] | None = None  # found only for a paragraph that needs a break
            start, used = 0, 0.0
            for index, char in enumerate(paragraph):
                w = widths.get(char)
                if w is None:
                    w = widths[char] = self.font.stringWidth(char, 1)
                if used + w > limit and index > start:
                    if glued is None:
                        glued = {i for m in _GLUED.finditer(paragraph) for i in range(m.start() + 1, m.end())}
                    cut = index
                    while cut in glued and cut > start + 1:
                        cut -= 1
                    if cut in glued:  # the run fills the line by itself
                        cut = index
                    lines.append(paragraph[start:cut])
                    start = cut + 1 if paragraph[cut].isspace() else cut  # no line starts with a space
                    if start > index:
                        used = 0.0
                        continue
                    used = sum(widths[c] for c in paragraph[start:index])
                used += w
            lines.append(paragraph[start:])
        return lines

    def _room(self, height: float) -> None:
        if self.y - height < MARGIN:
            self._close_page()
            self.canvas.showPage()
            self.page += 1
            self.y = HEIGHT - MARGIN
            self.ink = self.canvas.beginText()

    def _close_page(self) -> None:
        self.ink.setFont(FONT, SMALL)
        self.ink.setTextOrigin(MARGIN, MARGIN / 2)
        self.ink.textOut(self.footer)
        number = f"第 {self.page} 页"
        self.ink.setTextOrigin(WIDTH - MARGIN - self.font.stringWidth(number, SMALL), MARGIN / 2)
        self.ink.textOut(number)
        self.canvas.drawText(self.ink)
        self.canvas.setLineWidth(0.5)
        for y in self.rules:
            self.canvas.line(MARGIN, y, WIDTH - MARGIN, y)
        self.rules = []

    def text(self, text: str, size: float = BODY, indent: float = 0, gap: float = 1.45) -> None:
        self.ink.setFont(FONT, size)
        for line in self.wrap(text, size, WIDTH - 2 * MARGIN - indent):
            self._room(size * gap)
            self.ink.setFont(FONT, size)
            self.ink.setTextOrigin(MARGIN + indent, self.y - size)
            self.ink.textOut(line)
            self.y -= size * gap

    def heading(self, text: str) -> None:
        self._room(HEADING * 4)  # never a heading alone at the foot of a page
        self.y -= HEADING * 0.6
        self.text(text, HEADING)
        self.rules.append(self.y + 3)
        self.y -= 4

    def lines(self, items: Iterable[str], indent: float = 12) -> None:
        for item in items:
            self.text(item, indent=indent)

    def finish(self) -> bytes:
        self._close_page()
        self.canvas.save()
        return self.buffer.getvalue()


def _registration(page: _Page, dossier: Dossier, year: int) -> None:
    """六、年度考核登记表: the year's result as the paper form keeps it — who, the 平时考核
    grades, the 等次, the 公示, the written notice with 本人意见 and its time, 复核 and 申诉."""
    person, figures = dossier.person, dossier.annual
    page.heading("六、年度考核登记表")
    page.lines([
        f"基本情况：{person.name}，{person.unit.name}{person.position or ''}，"
        f"{RANK_ZH[person.rank] if person.rank else '—'}，{STAFF_CATEGORY_ZH[dossier.category]}",
        "平时考核：" + "；".join(
            f"第{'一二三四'[q - 1]}季度 {cell.grade or '未评定'}" for q, cell in sorted(dossier.quarters.items())
        ) if dossier.quarters else "平时考核：本年度没有已发布的季度结果",
        f"年度考核等次：{figures.grade or ('优秀' if figures.excellent else '未评定')}" if figures is not None
        else f"年度考核等次：{year} 年度考核结果尚未发布",
        *dossier.publicity,
        *(dossier.notice or ["本人意见：尚未收到书面结果通知或尚未答复"]),
    ])


def dossier_pdf(dossier: Dossier, year: int, quarter_texts: dict[int, str], exported: str) -> bytes:
    """The PDF: who, the annual and quarterly results with their parts, rewards and
    penalties, leave, summaries and every daily log of the year."""
    person = dossier.person
    page = _Page(f"{year} 年度实绩档案 {person.name}", f"{year} 年度实绩档案 · {person.unit.name} {person.name} · 导出于 {exported}")
    page.text(f"{year} 年度实绩档案", TITLE, gap=1.6)
    rank = RANK_ZH[person.rank] if person.rank else "—"
    page.text(f"姓名：{person.name}　　单位：{person.unit.name}　　职务：{person.position or '—'}")
    page.text(f"身份：{ROLE_ZH[person.role]}　　职级：{rank}　　企业微信账号：{person.userid}")

    page.heading("一、年度考核结果")
    figures = dossier.annual
    if figures is None:
        page.lines([f"{year} 年度考核结果尚未发布。"])
    else:
        page.lines(figures.explained.splitlines())
        page.lines([
            f"符合提拔实绩条件：{'是' if figures.promotion_eligible else '否'}；"
            f"可推荐评先评优：{'是' if figures.commendation_eligible else '否'}",
        ])

    page.heading("二、季度考核结果")
    if not quarter_texts:
        page.lines([f"{year} 年尚未发布季度考核结果。"])
    for quarter, text in sorted(quarter_texts.items()):
        page.text(f"第{'一二三四'[quarter - 1]}季度", indent=6)
        page.lines(text.splitlines())

    page.heading("三、奖惩记录")
    records = [
        f"{award.kind}：{award.content}" + (f"（{award.day.month}月{award.day.day}日）" if award.day else "")
        for award in dossier.awards
    ]
    if figures is not None and figures.excellent:
        records.append(f"{year} 年度考核等次为优秀")
    if figures is not None and figures.action:
        records.append(f"{year} 年度为本单位末位：{figures.action}")
    page.lines(records or ["无"])

    page.heading("四、请假与出差")
    page.lines([
        f"{leave.kind}：{span_label(leave.start, leave.end)}"
        + (f"（{leave.reason}）" if leave.reason else "")
        for leave in dossier.leave
    ] or ["无"])

    # Before the record began (go-live, or the day they joined) nothing was owed: said once
    # where the logs begin, and for each summary whose period ended before it.
    begins, began = dossier.begins or (None, "")
    note = before_record(began)
    page.heading("五、季度小结与年度总结")
    for period in [f"{year}Q{q}" for q in (1, 2, 3, 4)] + [str(year)]:
        label = f"第{'一二三四'[int(period[-1]) - 1]}季度小结" if "Q" in period else "年度总结"
        ended = QuarterId(year, int(period[-1])).last_day if "Q" in period else date(year, 12, 31)
        owed_none = begins is not None and ended < begins
        page.text(f"{label}：", indent=6)
        page.lines([dossier.summaries.get(period, f"无需提交（{note}）" if owed_none else "未提交")])

    _registration(page, dossier, year)

    page.heading(f"七、工作日志（{len(dossier.logs)} 篇）")
    if begins is not None and begins > date(year, 1, 1):
        page.lines([f"（{before_record(began, any(day < begins for day, _ in dossier.logs))}。）"])
    page.lines([f"{day_label(day)} {content}" for day, content in dossier.logs] or ["无"])
    return page.finish()
