"""`shiji year …`: the year's close on the command line, the same functions as the chat's.

open / close / status YEAR        the democratic evaluation
import-unit-results YEAR FILE     CSV/XLSX unit,score (all-or-nothing; replaces the year's)
import-history FILE               CSV/XLSX year,userid,annual_score,unit_rank,excellent,last_in_unit
excuse YEAR USERID q2 原因         leave a quarter out of a cadre's mean ('*': everyone)
publish YEAR [--republish]        publish (or, explicitly, correct) the year
grant-excellent YEAR USERID       grant excellent to a cadre tied at their unit's quota (new version)
refuse-excellent YEAR USERID      or refuse it
grade YEAR USERID WORD 理由         record an annual 等次 (基本称职/不称职/不确定等次/不参加) or 不评优; 撤销 removes
results YEAR --csv PATH           one row per cadre: UTF-8 with BOM, Chinese header (RESULT_COLUMNS)
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from bot.cli.db import operator_table
from bot.cli.jobs import progress_bar
from bot.cli.rounds import rating_unit_of_work
from bot.settings import Settings
from handlers.base import Ctx, Refusal
from handlers.services import grade_records
from handlers.services.rounds import progress_text
from handlers.services.year_evaluation import (
    YEAR,
    close_evaluation,
    evaluation_for,
    open_evaluation,
)
from handlers.services.year_imports import excuse_quarter, import_history, import_unit_results
from handlers.services.year_publish import grade_name, publish_year, row_shown
from handlers.services.year_ties import decide_tie
from scoring.disclosure import withheld_zh
from scoring.names import text_key
from scoring.types import RANK_ZH, Rank
from storage.records import RoundStatus

# The results file's columns: a stable key (for scripts and the README) and the Chinese
# header an office reads in Excel, in file order.
RESULT_COLUMNS: dict[str, str] = {
    "userid": "企业微信账号", "name": "姓名", "unit": "单位", "rank_level": "职级", "democratic": "民主测评",
    "unit_result": "单位年度结果", "quarter_mean": "季度平均", "annual": "年度得分", "unit_rank": "年度单位排名",
    "level_rank": "年度职级排名", "excellent": "优秀", "grade": "等次", "promotion_eligible": "符合提拔条件",
    "commendation_eligible": "可评先评优", "last_place_years": "连续末位年数", "action": "处理",
}


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    year = sub.add_parser("year", help="the year's close: democratic evaluation, unit results, publish")
    actions = year.add_subparsers(dest="action", required=True)
    for name, text in (("open", "open the democratic evaluation"), ("close", "close it"),
                       ("status", "who handed in, per unit")):
        actions.add_parser(name, help=text).add_argument("year", type=int)
    units = actions.add_parser("import-unit-results", help="CSV/XLSX unit,score (0-100)")
    units.add_argument("year", type=int)
    units.add_argument("file", type=Path)
    actions.add_parser("import-history", help="earlier years: CSV/XLSX year,userid,annual_score,unit_rank,"
                       "excellent,last_in_unit").add_argument("file", type=Path)
    excuse = actions.add_parser("excuse", help="leave a quarter out of a cadre's annual mean")
    excuse.add_argument("year", type=int)
    excuse.add_argument("userid", help="the cadre, or '*' for everyone")
    excuse.add_argument("quarter", help="q1..q4")
    excuse.add_argument("reason", nargs="+")
    excuse.add_argument("--confirm", action="store_true", help="even when it drops a published quarter score")
    publish = actions.add_parser("publish", help="publish the year (frozen); --republish to correct it")
    publish.add_argument("year", type=int)
    publish.add_argument("--republish", action="store_true")
    publish.add_argument("--force", action="store_true", help="even while the annual-summary window is open")
    for name, text in (("grant-excellent", "grant excellent to a cadre tied at their unit's quota boundary"),
                       ("refuse-excellent", "refuse it; either way a new version says what changed")):
        decide = actions.add_parser(name, help=text)
        decide.add_argument("year", type=int)
        decide.add_argument("userid")
    grade = actions.add_parser(
        "grade", help="record a cadre's annual 等次 as chat's 等次/不评优/不定等次 do: WORD is 基本称职, 不称职, "
        "不确定等次, 不参加 or 不评优 (a bar on 优秀; dates in the reason give its period), or 撤销 to remove the records")
    grade.add_argument("year", type=int)
    grade.add_argument("userid")
    grade.add_argument("word")
    grade.add_argument("reason", nargs="*")
    results = actions.add_parser("results", help="write the published results file")
    results.add_argument("year", type=int)
    results.add_argument("--csv", dest="csv_path", type=Path, required=True)


async def run(settings: Settings, args: argparse.Namespace) -> int:
    action = args.action
    records: list[dict[str, str]] = []
    if action in ("import-unit-results", "import-history"):
        if (read := operator_table(args.file)) is None:
            return 2
        records = read

    async def work(ctx: Ctx) -> str:
        if action == "open":
            return await open_evaluation(ctx, args.year, "cli")
        if action == "close":
            return await close_evaluation(ctx, await evaluation_for(ctx, str(args.year), statuses=(RoundStatus.open,)))
        if action == "status":
            return await progress_text(ctx, YEAR, await evaluation_for(ctx, str(args.year), statuses=(RoundStatus.open, RoundStatus.closed)))
        if action == "import-unit-results":
            return await import_unit_results(ctx, args.year, records)
        if action == "import-history":
            return await import_history(ctx, records)
        if action == "excuse":
            return await excuse_quarter(ctx, args.year, args.userid, args.quarter, " ".join(args.reason), "cli", ctx.now,
                                        confirm=args.confirm)
        if action == "publish":
            with progress_bar(f"发布年度结果 {args.year}") as bar:
                return await publish_year(ctx, args.year, "cli", republish=args.republish, force=args.force, progress=bar)
        if action == "grade":
            if args.word == "撤销":
                return await grade_records.remove(ctx, args.year, args.userid)
            return await grade_records.record(ctx, args.year, args.userid, args.word, " ".join(args.reason), "cli")
        if action in ("grant-excellent", "refuse-excellent"):
            return await decide_tie(ctx, args.year, args.userid, action == "grant-excellent", "cli")
        return await write_results(ctx, args.year, args.csv_path)

    return await rating_unit_of_work(settings, work)


async def write_results(ctx: Ctx, year: int, path: Path) -> str:
    """The results file: one row per cadre of the newest published version, exact columns."""
    published = await ctx.store.year.published(year)
    if published is None:
        raise Refusal(f"{year} 年度结果尚未发布。")
    yes_no = {True: "是", False: "否"}
    k = ctx.cfg.min_group_size
    raters = await ctx.store.results.quarter_raters(year)
    # utf-8-sig: the byte-order mark is how Excel knows the file is UTF-8, not the local GBK.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(RESULT_COLUMNS.values())
        for row in sorted(published.rows, key=lambda r: (text_key(r.unit_name), r.unit_rank, r.userid)):
            # A figure on fewer than k raters, and the places that would pin it, say why not.
            shown, withheld = row_shown(row, raters.get(row.userid, {}), k), withheld_zh(k)
            places = (row.unit_rank, row.level_rank) if shown.composite else (withheld, withheld)
            writer.writerow([
                row.userid, row.name, row.unit_name, RANK_ZH[Rank(row.rank_level)],
                row.democratic if shown.democratic else withheld, row.unit_result,
                row.quarter_mean if shown.quarter_mean else withheld,
                row.annual if shown.composite else withheld, *places, yes_no[row.excellent], grade_name(row),
                yes_no[row.promotion_eligible], yes_no[row.commendation_eligible], row.last_place_years,
                row.action,
            ])
    await ctx.audit("year.results.export", f"{year} version {published.version}: {path.name}")
    return f"已写出 {year} 年度结果（第 {published.version} 版）{len(published.rows)} 行：{path}"
