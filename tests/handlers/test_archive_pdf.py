"""The per-cadre PDF as a reader sees it: Chinese line breaking, read back from the file."""

from __future__ import annotations

import re
from datetime import date

from handlers.render.pdf import dossier_pdf
from handlers.render.records import Dossier
from scoring.types import Rank, Role, UnitCategory
from storage.directory import Person, UnitInfo
from tests.e2e.test_archive import pdf_text

# A line ending inside a date, inside a number or between it and its unit, or a line
# starting with closing punctuation (避头).
SPLIT = re.compile(r"\d\n\s*[月日年分名人.]|月\n\s*\d|\.\n\s*\d|\d\s*\n\s*分|\n\s*[。，、；）」]")


def test_no_line_breaks_inside_a_date_a_number_or_before_closing_punctuation():
    """Every offset of 「1月13日」, 「2.00 分」 and 「。」 against the right margin: the old
    layout, which broke after any character, split some of them (「1\\n月13日」, 「2.\\n00 分」)."""
    person = Person("chengguan_wuhao", "吴昊", UnitInfo(1, "城关镇", UnitCategory.township), Role.staff,
                    Rank.general, "科员", True)
    logs = [
        (date(2026, 1, 13), "落" * n + f"于1月13日完成督查，扣减 2.00 分，第 {n} 项、（共 12 项）。")
        for n in range(60)
    ]
    text = pdf_text(dossier_pdf(Dossier(person, logs, {}, {}, None), 2026, {}, "2027-01-18 10:00"))
    assert not SPLIT.search(text), SPLIT.findall(text)
    assert text.count("（共") == 60  # every log is there (「（」 never ends a line, so this is whole)
