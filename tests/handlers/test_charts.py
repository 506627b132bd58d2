"""Every chart renders its Chinese with the bundled font: a missing glyph (a box on a phone)
fails the test, as does a chart that is not a PNG."""

from __future__ import annotations

import csv
import io
import warnings
from decimal import Decimal

import pytest
from PIL import Image

from handlers.render.charts import bar_chart, spread_chart
from scoring.types import RANK_ZH
from tests.conftest import SAMPLE_ROSTER

with SAMPLE_ROSTER.open(encoding="utf-8") as f:
    ROSTER = list(csv.DictReader(f))
# Every character a chart of the sample district can show: names, units, levels, periods.
UNITS = sorted({row["unit"] for row in ROSTER})
NAMES = [f"{n}. {row['name']}（{row['unit']}）" for n, row in enumerate(ROSTER, start=1)]
TITLES = [f"{u} 2026年第4季度排名（12 人）" for u in UNITS] + [
    f"全区{level} 2026年度排名得分分布（222 人）" for level in RANK_ZH.values()
]


def render_without_missing_glyphs(draw) -> bytes:  # type: ignore[no-untyped-def]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = draw()
    missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
    assert missing == [], missing
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width >= 600
    return png


@pytest.mark.parametrize("title", TITLES)
def test_every_chart_renders_every_character(title):
    scores = [Decimal(90) - Decimal(n) / 3 for n in range(len(NAMES))]
    render_without_missing_glyphs(lambda: bar_chart(title, list(zip(NAMES, scores, strict=True)), NAMES[4]))
    render_without_missing_glyphs(lambda: spread_chart(title, scores, scores[4]))


def test_a_glyph_the_font_lacks_is_caught():
    with pytest.raises(AssertionError, match="missing from"):
        render_without_missing_glyphs(lambda: bar_chart("📊 排名", [("吴昊", Decimal(88))]))


def test_a_chart_of_one_or_of_ties_still_draws():
    render_without_missing_glyphs(lambda: spread_chart("全区正科级", [Decimal("88.10")]))
    render_without_missing_glyphs(lambda: bar_chart("团区委", [("1. 吕潇", Decimal(90)), ("1. 施燕", Decimal(90))]))
