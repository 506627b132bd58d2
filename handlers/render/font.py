"""The one CJK font charts and PDFs use: WenQuanYi Micro Hei (文泉驿微米黑), installed as a
Python dependency (paperang-p2-fonts-cjk), so no system font is needed or looked for.

Why this font: the PDFs embed their font with reportlab, which embeds TrueType outlines only;
every Noto Sans CJK / Source Han Sans SC on the package index ships CFF outlines (OTF), and
the PDF library that takes those (fpdf2) re-parses the 8 MB font for every document (0.65 s
each, measured), which would make a district's 1,340 PDFs take a quarter of an hour.
WenQuanYi Micro Hei is TrueType, covers GB 18030's CJK ideographs, and is licensed
Apache-2.0 or GPL-3.0 with the font embedding exception.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

FAMILY = "WenQuanYi Micro Hei"


@cache
def font_path() -> Path:
    path = Path(str(files("paperang_p2_fonts_cjk") / "fonts" / "wqy-microhei.ttc"))
    if not path.is_file():
        raise FileNotFoundError(f"CJK font missing from the installed package: {path}")
    return path
