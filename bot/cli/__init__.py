"""`shiji` command line: argument parsing here, one module per area does the work.

serve      serve, demo                roster     import-roster, roster …, unknown-users
chat       chat --as (demo or rehearsal)  rehearse  rehearse (own district, on a copy)
calendar   calendar load, show        rounds     round …, raters …
reminders  remind now                 db         db upgrade, status (and the database each command opens)
archive    archive export, awards
ops        audit, backup, restore        jobs       jobs (「进度」 on the command line)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError
from pydantic_settings import SettingsError

from bot import logs
from bot.demo.credentials import demo_page
from bot.settings import load_settings, settings_path, settings_problems, where_text
from handlers.services import calendar_missing
from scoring.workdays import UnknownCalendarYear


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="shiji", description="实绩考核 WeCom bot")
    parser.add_argument(
        "--config",
        help="settings file (default: SHIJI_SETTINGS, else the settings.toml next to the code, else built-in defaults)",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("serve", help="run the bot (applies migrations first)")
    demo_cmd = sub.add_parser("demo", help="sample district + loopback WeCom stand-in + bot, on SQLite")
    demo_cmd.add_argument("--port", type=int, help="the demo page's port (default 8701; make demo DEMO_PORT=…)")
    demo_cmd.add_argument("--bot-port", type=int, help="the bot's callback port (default 8700; make demo DEMO_BOT_PORT=…)")
    chat_cmd = sub.add_parser("chat", help="the demo page in a terminal: talk, see pushes, answer cards")
    chat_cmd.add_argument("--as", dest="userid", required=True)
    chat_cmd.add_argument("-m", "--message", action="append", help="send this and exit (repeatable)")
    chat_cmd.add_argument("--port", type=int, help="the demo page's port, when the demo runs on another (shiji demo --port)")
    from bot.cli.roster import effective_date

    effective_help = "the day the changes take effect, e.g. 2026-10-01 (default: today)"
    import_roster_cmd = sub.add_parser("import-roster", help="import the roster (CSV UTF-8 or XLSX, Chinese or English headers)")
    import_roster_cmd.add_argument("file", type=Path)
    import_roster_cmd.add_argument("--effective", type=effective_date, help=effective_help)
    roster_cmd = sub.add_parser("roster", help="the roster: template, import, export, WeCom sync, history")
    roster_sub = roster_cmd.add_subparsers(dest="action", required=True)
    for action, helptext in (("template", "write an XLSX form to fill in (drop-downs, 说明 sheet)"),
                             ("export", "write the current roster in the same form"),
                             ("import", "the same as import-roster")):
        part = roster_sub.add_parser(action, help=helptext)
        part.add_argument("file", type=Path)
        if action == "import":
            part.add_argument("--effective", type=effective_date, help=effective_help)
    sync = roster_sub.add_parser("sync", help="compare with WeCom's address book; --apply writes the changes")
    sync.add_argument("--apply", action="store_true")
    sync.add_argument("--effective", type=effective_date, help=effective_help)
    roster_sub.add_parser("history", help="one person's roster changes").add_argument("userid")
    calendar_cmd = sub.add_parser("calendar", help="official working-day schedules")
    calendar_sub = calendar_cmd.add_subparsers(dest="action", required=True)
    load = calendar_sub.add_parser("load", help="load a year's official schedule (TOML)")
    load.add_argument("file", type=Path)
    calendar_sub.add_parser("show", help="list the years the bot knows")
    db_cmd = sub.add_parser("db", help="database schema")
    db_actions = db_cmd.add_subparsers(dest="action", required=True)
    db_actions.add_parser("upgrade", help="apply migrations")
    db_actions.add_parser("status", help="schema version and every table's rows (compare a restore with its backup)")
    sub.add_parser("unknown-users", help="WeCom users not on the roster who wrote to the bot")
    round_cmd = sub.add_parser("round", help="quarterly rating rounds")
    round_cmd.add_argument("action", choices=["open", "close", "publish", "status", "void", "versions"],
                           help="versions: every published version of a quarter, who published it, what changed")
    round_cmd.add_argument("quarter", nargs="?", default="", help="e.g. 2026Q4 (default: the latest fitting round)")
    round_cmd.add_argument("--force", action="store_true",
                           help="publish: even while the quarter's summary window is open, or with no ballots")
    round_cmd.add_argument("--republish", action="store_true",
                        help="publish: correct a published quarter with today's deductions (a new version; "
                        "only the cadres whose figures change are told)")
    raters = sub.add_parser("raters", help="approved extra raters of small units (R-RATE-6)")
    raters.add_argument("action", choices=["import", "groups"], help="import: CSV unit,userid; groups: CSV group,userid")
    raters.add_argument("file", type=Path)
    remind = sub.add_parser("remind", help="daily-log reminders")
    remind_now = remind.add_subparsers(dest="action", required=True).add_parser(
        "now", help="run a reminder pass at once (each person is still reminded at most once a day)"
    )
    remind_now.add_argument("--kind", choices=["daily", "last-day"], required=True)
    from bot.cli import year  # its arguments live with its commands

    year.add_parser(sub)
    from bot.cli import rehearse

    rehearse.add_parser(sub)

    archive_parser = sub.add_parser("archive", help="实绩档案: a year's district workbook and per-cadre PDFs")
    archive_actions = archive_parser.add_subparsers(dest="action", required=True)
    export = archive_actions.add_parser("export", help="export a year")
    export.add_argument("year", type=int)
    export.add_argument("--out", type=Path, required=True, help="folder for the workbook and the PDFs")
    archive_actions.add_parser("awards", help="import 奖惩: CSV/XLSX 账号,年份,类别,内容,日期 (all-or-nothing)").add_argument(
        "file", type=Path)
    jobs_cmd = sub.add_parser("jobs", help="long admin work from chat (进度): queued, running, lately finished")
    jobs_cmd.add_argument("--days", type=int, default=3, help="finished jobs of this many days (default 3)")
    audit = sub.add_parser("audit", help="admin actions: who did what when (no scores)")
    audit.add_argument("--days", type=int, default=30, help="how far back (default 30)")
    backup = sub.add_parser("backup", help="online copy of the SQLite database, checked (PostgreSQL: pg_dump)")
    backup.add_argument("path", type=Path)
    restore = sub.add_parser("restore", help="replace the SQLite database by a backup (stop the bot first; PostgreSQL: pg_restore)")
    restore.add_argument("backup", type=Path)

    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.config)
    except FileNotFoundError:
        print(f"设置文件 {settings_path(args.config)} 不存在：请检查 --config 或 SHIJI_SETTINGS。", file=sys.stderr)
        return 2
    except (ValidationError, tomllib.TOMLDecodeError, SettingsError) as error:  # one line per problem, no traceback
        for line in settings_problems(error, settings_path(args.config)):
            print(line, file=sys.stderr)
        return 2
    # `shiji chat` opens no database: naming the settings' one would point at the wrong data
    # while a rehearsal runs on its copy. The demo names the database it makes for itself.
    if args.command != "demo":
        print(where_text(settings, demo_page(settings, args.port) if args.command == "chat" else None), file=sys.stderr)
    logs.configure(settings.server.log_json, args.verbose)
    from bot.cli import archive, calendar, chat, db, jobs, ops, reminders, roster, rounds, serve

    if (left_behind := db.database_left_behind(settings)) is not None:
        print(left_behind, file=sys.stderr)
        return 2
    if _opens_existing_database(args) and (missing := db.missing_sqlite_file(settings)) is not None:
        print(
            f"数据库 {missing} 不存在：请检查 --config 或 SHIJI_DATABASE__URL，"
            "或先运行 shiji db upgrade / shiji import-roster",
            file=sys.stderr,
        )
        return 2

    runners = {
        "serve": lambda: serve.serve(settings),
        "demo": lambda: serve.demo(settings, args.port, args.bot_port),
        "chat": lambda: chat.chat(settings, args.userid, args.message, args.port),
        "rehearse": lambda: rehearse.rehearse(settings, args.db, args.at, args.db_url),
        "import-roster": lambda: roster.import_roster(settings, args.file, args.effective),
        "roster": lambda: roster.run(settings, args),
        "calendar": lambda: (
            calendar.calendar_load(settings, args.file)
            if args.action == "load"
            else calendar.calendar_show(settings)
        ),
        "db": lambda: db.db_upgrade(settings) if args.action == "upgrade" else db.db_status(settings),
        "unknown-users": lambda: roster.unknown_users(settings),
        "round": lambda: rounds.rating_round(settings, args.action, args.quarter, force=args.force,
                                             republish=args.republish),
        "raters": lambda: rounds.raters_import(settings, args.action, args.file),
        "remind": lambda: reminders.remind_now(settings, args.kind),
        "year": lambda: year.run(settings, args),
        "archive": lambda: (
            archive.archive_awards(settings, args.file)
            if args.action == "awards"
            else archive.archive_export(settings, args.year, args.out)
        ),
        "audit": lambda: ops.audit(settings, args.days),
        "jobs": lambda: jobs.list_jobs(settings, args.days),
        "backup": lambda: ops.backup(settings, args.path),
        "restore": lambda: ops.restore(settings, args.backup),
    }
    try:
        return asyncio.run(runners[args.command]())
    except UnknownCalendarYear as missing:  # one line saying how to load it, never a traceback
        print(calendar_missing.admin_text(missing.year), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _opens_existing_database(args: argparse.Namespace) -> bool:
    """Whether the command expects data already there: a new empty database made by, say,
    `shiji round status` run from the wrong folder would only hide where the real one is.
    Those that start a district (or bring one back, or open none) may create it."""
    action = getattr(args, "action", None)
    starts_or_none = (
        args.command in ("serve", "demo", "import-roster", "restore", "chat")
        or (args.command, action) in (("db", "upgrade"), ("roster", "import"), ("roster", "template"))
    )
    return not starts_or_none

