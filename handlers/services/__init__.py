"""The service floor: what chat, the scheduler's jobs and the `shiji` command line all call.

A round opened, scored, handed in, closed and published; the year's evaluation, imports, ties
and publication; the archive's export; the rules' glue to storage (owed log days, roster
periods, the go-live date, the publish window, a missing holiday calendar). Services import
the render floor and the handlers' ground (base, text, dates, cards), never a conversation:
conversations ← services ← render (tests/test_layering.py).

rating           the quarterly rating round: open, score, hand in, close, publish, remind
extra_raters     approved extra raters of small units (R-RATE-6), from a file or a proposal
year_evaluation  the democratic evaluation round: open, mark, hand in, close, remind
year_imports     unit results, earlier years' history, excused quarters
year_publish     publishing the year (frozen versions) and what it tells people
year_ties        deciding a tie at a rank's boundary
annual           the published annual results, as rankings and the archive read them
archive_records  what the archive shows of a year, read once for the renderers
archive_export   the archive written out: the workbook and every cadre's PDF
awards           imported rewards and penalties (奖惩)
log_rules        logs, leave and roster history gathered for the owed-log-days rule
roster_periods   roster history gathered for the period rules
golive           the district's go-live date as the rules see it
publish_guard    what may not be published yet (the summary window)
calendar_missing the one policy for a year whose holiday schedule is not loaded
"""
