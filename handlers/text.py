"""Text folding shared by the router and the date parser."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Full-width letters, digits, spaces and punctuation become ASCII, one char for one char,
    so an index into the folded text is an index into the original."""
    out = []
    for char in text:
        folded = unicodedata.normalize("NFKC", char)
        out.append(folded if len(folded) == 1 else char)
    return "".join(out)
