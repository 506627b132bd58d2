"""Ranking charts (R-CHAT-4) as PNG bytes: a unit's bars with names, a rank level's spread.

matplotlib with the Agg backend and the bundled CJK font (`font.py`); each chart builds its
own Figure (no pyplot global state), so charts can be drawn from any task.
"""

from __future__ import annotations

import io
import statistics
from collections.abc import Sequence
from decimal import Decimal
from functools import cache
from typing import Any

from matplotlib import font_manager, rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from matplotlib.typing import RcKeyType

from handlers.render.font import FAMILY, font_path

DPI = 120
_BAR = "#4C78A8"
_MINE = "#E45756"
_STYLE: dict[RcKeyType, Any] = {"font.family": FAMILY, "axes.unicode_minus": False, "font.size": 10}
# Fewer scores than this make no distribution worth drawing: the reply lists them instead.
SPREAD_MIN = 10


@cache
def _register_font() -> None:
    font_manager.fontManager.addfont(str(font_path()))


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    return buffer.getvalue()


def bar_chart(title: str, bars: Sequence[tuple[str, Decimal]], mine: str | None = None) -> bytes:
    """Horizontal bars, best on top, labelled `name` and the score; `mine` in another colour."""
    _register_font()
    with rc_context(_STYLE):
        height = 1.2 + 0.28 * max(len(bars), 3)
        figure = Figure(figsize=(7, height), dpi=DPI, layout="constrained")
        axes = figure.add_subplot()
        labels = [label for label, _ in bars][::-1]
        values = [float(score) for _, score in bars][::-1]
        colours = [_MINE if label == mine else _BAR for label in labels]
        axes.barh(range(len(values)), values, color=colours)
        axes.set_yticks(range(len(values)), labels)
        low = min(values, default=0)
        axes.set_xlim(max(0, low - 10), 100)
        for y, value in enumerate(values):
            axes.text(value, y, f" {value:.2f}", va="center", fontsize=8)
        axes.set_title(title)
        axes.set_xlabel("得分")
        return _png(figure)


def spread_chart(title: str, scores: Sequence[Decimal], mine: Decimal | None = None) -> bytes:
    """A histogram of scores with the quartiles (下四分位、中位数、上四分位) marked."""
    _register_font()
    with rc_context(_STYLE):
        return _png(spread_figure(title, scores, mine))


def spread_figure(title: str, scores: Sequence[Decimal], mine: Decimal | None = None) -> Figure:
    """`spread_chart` before it is drawn: counts of people on the y axis, in whole numbers."""
    values = [float(s) for s in scores]
    with rc_context(_STYLE):
        figure = Figure(figsize=(7, 4), dpi=DPI, layout="constrained")
        axes = figure.add_subplot()
        axes.hist(values, bins=min(20, max(5, len(values) // 5)), color=_BAR, edgecolor="white")
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))  # 人数: never 0.5 of a person
        if len(values) >= 2:
            q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
            for x, name, style in ((q1, "下四分位", ":"), (median, "中位数", "--"), (q3, "上四分位", ":")):
                axes.axvline(x, color="#333333", linestyle=style, linewidth=1)
                axes.annotate(f"{name} {x:.2f}", (x, 1), xycoords=("data", "axes fraction"),
                              rotation=90, va="top", ha="right", fontsize=8)
        if mine is not None:
            axes.axvline(float(mine), color=_MINE, linewidth=2, label=f"本人 {mine}")
            axes.legend(loc="upper left")
        axes.set_title(title)
        axes.set_xlabel("得分")
        axes.set_ylabel("人数")
        return figure
