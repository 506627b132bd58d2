"""The render floor: what people see, built from plain values — template cards (WeCom JSON),
the archive's PDFs and workbook, the ranking charts, and the one CJK font they use.

Renderers import only the handlers' ground (base, text, dates, cards) and each other, never
a service or a conversation (tests/test_layering.py).

rating_cards  the rating round's template cards
year_cards    the democratic evaluation's two-step cards and its submit card
records       the values the archive's renderers take (year record, dossier, annual figures)
pdf           one cadre's archive PDF
workbook      the district's archive workbook (xlsx)
charts        ranking charts (PNG)
font          the CJK font of charts and PDFs
"""
