"""The callback's hot path in SQL: a batch of messages in a few multi-row statements.

Runs on a `Driver` (storage/writer.py) inside one transaction. The statements are SQLAlchemy
Core on the models' tables, compiled once per dialect and batch size (on PostgreSQL once:
arrays, see `_unnest`) and then sent to the database driver as they are; values are converted by the columns' own bind processors, so
what lands in a row is exactly what the ORM writes and reads.
Per message that is a few microseconds instead of SQLAlchemy's per-row parameter handling.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    Text,
    and_,
    any_,
    bindparam,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Dialect

from scoring.clock import SHANGHAI
from scoring.log_record import Change
from storage.models import DailyLog, InboundMessage
from storage.models_record import DailyLogVersion
from storage.sql import Compiled, bind_processor, compile_for, insert_of, table_of
from storage.writer import Driver

_INBOUND = table_of(InboundMessage)
_LOG = table_of(DailyLog)
_VERSION = table_of(DailyLogVersion)
# Multi-row statements are compiled once per size; a batch is at most `[database] batch_max`
# messages (128), a few parameters each: far below SQLite's 32,766 and PostgreSQL's 65,535.
_MULTI_ROW_CACHE = 256


@functools.lru_cache(maxsize=8)
def _processors(dialect: Dialect) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """(time, day) → what the driver gets: the columns' own bind processors."""
    return bind_processor(_INBOUND.c.received_at, dialect), bind_processor(_LOG.c.day, dialect)


def _claim_statement(dialect: Dialect, rows: int) -> Any:
    values: list[dict[str, Any]] = [{c: bindparam(f"{c}{i}") for c in ("dedupe_key", "userid", "received_at")} for i in range(rows)]
    return (
        insert_of(dialect.name)(_INBOUND).values(values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(_INBOUND.c.dedupe_key)
    )


@functools.lru_cache(maxsize=_MULTI_ROW_CACHE)
def _claim(dialect: Dialect, rows: int) -> Compiled:
    return compile_for(_claim_statement(dialect, rows), dialect)


@functools.lru_cache(maxsize=_MULTI_ROW_CACHE)
def _stored_replies(dialect: Dialect, keys: int) -> Compiled:
    statement = select(_INBOUND.c.dedupe_key, _INBOUND.c.reply).where(
        _INBOUND.c.dedupe_key.in_([bindparam(f"k{i}") for i in range(keys)])
    )
    return compile_for(statement, dialect)


def _lengths_where(days: tuple[int, ...]) -> Any:
    """`days`: for each day of the batch (nearly always one), how many userids; by day first,
    so the (userid, day) index is used (SQLite scans the table for a row-value IN list)."""
    return or_(*(
        and_(_LOG.c.day == bindparam(f"d{j}", type_=_LOG.c.day.type),
             _LOG.c.userid.in_([bindparam(f"u{j}_{i}") for i in range(users)]))
        for j, users in enumerate(days)
    ))


@functools.lru_cache(maxsize=_MULTI_ROW_CACHE)
def _log_lengths(dialect: Dialect, days: tuple[int, ...]) -> Compiled:
    statement = select(_LOG.c.userid, _LOG.c.day, func.length(_LOG.c.content)).where(_lengths_where(days))
    return compile_for(statement, dialect)


_LOG_COLUMNS = ("userid", "day", "content", "part_lengths", "created_at", "updated_at")
_REPLY_COLUMNS = ("dedupe_key", "userid", "received_at", "reply")
_VERSION_COLUMNS = ("userid", "day", "change", "text", "at", "written_on")


def log_upsert(logs: Any, *, append: bool) -> Any:
    """`logs`, an insert of daily_log rows (SQLite's or PostgreSQL's), made to meet the day's
    log where there is one: `append` adds a newline and the row's text to it, as a part of
    its own (撤回 takes back the last); otherwise the text replaces it, as one part. One
    statement, so two appends racing on two replicas both land."""
    if append:
        content = _LOG.c.content + "\n" + logs.excluded.content
        lengths = _LOG.c.part_lengths + "," + logs.excluded.part_lengths
    else:
        content, lengths = logs.excluded.content, logs.excluded.part_lengths
    return logs.on_conflict_do_update(
        index_elements=["userid", "day"],
        set_={"content": content, "part_lengths": lengths, "updated_at": logs.excluded.updated_at},
    )


def _append_logs_statement(dialect: Dialect, rows: int, prefix: str = "") -> Any:
    """New logs, or a newline and the text appended to the day's log."""
    logs = insert_of(dialect.name)(_LOG).values(
        [{c: bindparam(f"{prefix}{c}{i}") for c in _LOG_COLUMNS} for i in range(rows)]
    )
    return log_upsert(logs, append=True)


def _versions_statement(dialect: Dialect, rows: int, prefix: str = "") -> Any:
    """Each text's version (scoring/log_record.py): the record keeps every write."""
    return insert_of(dialect.name)(_VERSION).values(
        [{c: bindparam(f"{prefix}{c}{i}") for c in _VERSION_COLUMNS} for i in range(rows)]
    )


def _record_replies_statement(dialect: Dialect, rows: int) -> Any:
    replies = insert_of(dialect.name)(_INBOUND).values(
        [{c: bindparam(f"{c}{i}") for c in _REPLY_COLUMNS} for i in range(rows)]
    )
    return replies.on_conflict_do_update(index_elements=["dedupe_key"], set_={"reply": replies.excluded.reply})


@functools.lru_cache(maxsize=8)
def _append_log(dialect: Dialect) -> Compiled:
    """One row; the driver runs it for each (executemany)."""
    return compile_for(_append_logs_statement(dialect, 1), dialect)


@functools.lru_cache(maxsize=_MULTI_ROW_CACHE)
def _add_versions(dialect: Dialect, rows: int) -> Compiled:
    """Plain inserts: one multi-row statement (measured: executemany cost SQLite's batch a
    third more per message)."""
    return compile_for(_versions_statement(dialect, rows), dialect)


@functools.lru_cache(maxsize=8)
def _record_reply(dialect: Dialect) -> Compiled:
    return compile_for(_record_replies_statement(dialect, 1), dialect)


# PostgreSQL: each round trip waits for the event loop to come round again (asyncpg runs on
# it), so the batch's reads and its writes go in one statement each, data-modifying CTEs. Each
# column's values go as one array, unnested: one statement text whatever the batch's size, so
# it is prepared once per connection and planned cheaply (measured: a 20-message batch cost
# PostgreSQL 7 ms of CPU as multi-row VALUES, 1 ms unnested).

def _unnest(table: Any, prefix: str, columns: Sequence[str]) -> Any:
    """unnest(:prefix+column arrays...) AS (columns): the rows the arrays make, column by column."""
    arrays = [bindparam(f"{prefix}{c}", type_=ARRAY(table.c[c].type)) for c in columns]
    return func.unnest(*arrays).table_valued(*columns).render_derived()


def _insert_unnested(table: Any, prefix: str, columns: Sequence[str]) -> Any:
    rows = _unnest(table, prefix, columns)
    return pg_insert(table).from_select(list(columns), select(*(rows.c[c] for c in columns)))


_CLAIM_COLUMNS = ("dedupe_key", "userid", "received_at")


@functools.lru_cache(maxsize=8)
def _pg_claim_and_read(dialect: Dialect) -> Compiled:
    """The claim, the stored replies of keys already claimed (the statement's snapshot does not
    see the rows its own CTE inserts), and the day's log lengths of each (userid, day), as
    (kind, key, day, reply, chars) rows."""
    claimed = (
        _insert_unnested(_INBOUND, "c_", _CLAIM_COLUMNS)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(_INBOUND.c.dedupe_key)
        .cte("claimed")
    )
    keys = bindparam("c_dedupe_key", type_=ARRAY(_INBOUND.c.dedupe_key.type))
    wanted = _unnest(_LOG, "w_", ("userid", "day"))
    no_day, no_reply, no_chars = cast(null(), Date), cast(null(), Text), cast(null(), Integer)  # UNION needs types
    statement = union_all(
        select(literal("claimed"), claimed.c.dedupe_key, no_day, no_reply, no_chars),
        select(literal("stored"), _INBOUND.c.dedupe_key, no_day, _INBOUND.c.reply, no_chars)
        .where(_INBOUND.c.dedupe_key == any_(keys)),
        select(literal("length"), _LOG.c.userid, _LOG.c.day, no_reply, func.length(_LOG.c.content))
        .join(wanted, and_(_LOG.c.userid == wanted.c.userid, _LOG.c.day == wanted.c.day)),
    )
    return compile_for(statement, dialect)


@functools.lru_cache(maxsize=8)
def _pg_write(dialect: Dialect) -> Compiled:
    """Appends, versions and replies; empty arrays insert nothing."""
    replies = _insert_unnested(_INBOUND, "r_", _REPLY_COLUMNS)
    statement = replies.on_conflict_do_update(index_elements=["dedupe_key"], set_={"reply": replies.excluded.reply})
    statement = statement.add_cte(log_upsert(_insert_unnested(_LOG, "log_", _LOG_COLUMNS), append=True).cte("logs"))
    statement = statement.add_cte(_insert_unnested(_VERSION, "v_", _VERSION_COLUMNS).cte("versions"))
    return compile_for(statement, dialect)


@dataclass(frozen=True)
class Claim:
    dedupe_key: str
    userid: str
    received_at: datetime


@dataclass(frozen=True)
class LogAppend:
    """Parts to become a day's log, or to be appended to it, each after a newline; `times`:
    when each part was written (its version's time)."""

    userid: str
    day: date
    parts: tuple[str, ...]
    times: tuple[datetime, ...]

    @property
    def at(self) -> datetime:
        return self.times[-1]


def part_lengths(parts: Sequence[str]) -> str:
    """daily_log.part_lengths of these parts: each one's length, so 撤回 can take back the
    last whole part even when a part has newlines of its own."""
    return ",".join(str(len(part)) for part in parts)


def log_parts(content: str, raw_lengths: str) -> list[str]:
    """The parts of a day's log (each one after a newline), by its part_lengths; one part
    when the lengths do not describe the text."""
    lengths = [int(length) for length in raw_lengths.split(",") if length]
    if not lengths or sum(lengths) + len(lengths) - 1 != len(content):
        return [content]
    parts, start = [], 0
    for length in lengths:
        parts.append(content[start : start + length])
        start += length + 1
    return parts


@dataclass(frozen=True)
class Found:
    """What the batch is decided on."""

    fresh: set[str]  # keys claimed now; the rest are retries (WeCom's, another replica's, a restart's)
    stored: dict[str, str | None]  # the retries' stored replies
    lengths: dict[tuple[str, date], int]  # (userid, day) → characters of that day's log so far


def claim_and_read(driver: Driver, claims: Sequence[Claim]) -> Found:
    """Record each delivery, and read what deciding the batch needs."""
    if not claims:
        return Found(set(), {}, {})
    if driver.dialect.name == "postgresql":
        return _pg_found(driver, claims)
    time, as_day = _processors(driver.dialect)
    values: dict[str, Any] = {}
    for i, c in enumerate(claims):
        values.update({f"dedupe_key{i}": c.dedupe_key, f"userid{i}": c.userid, f"received_at{i}": time(c.received_at)})
    by_day: dict[date, set[str]] = {}
    for c in claims:
        by_day.setdefault(c.received_at.astimezone(SHANGHAI).date(), set()).add(c.userid)
    ordered_days = sorted(by_day.items())
    for j, (day, userids) in enumerate(ordered_days):
        values[f"d{j}"] = as_day(day)
        values.update({f"u{j}_{i}": userid for i, userid in enumerate(sorted(userids))})
    days = tuple(len(userids) for _, userids in ordered_days)
    statement = _claim(driver.dialect, len(claims))
    fresh = {row[0] for row in driver.rows(statement.sql, statement.params(values))}
    statement = _log_lengths(driver.dialect, days)
    lengths = {(userid, _as_date(day)): chars for userid, day, chars in driver.rows(statement.sql, statement.params(values))}
    return Found(fresh, _stored_replies_of(driver, {c.dedupe_key for c in claims} - fresh), lengths)


def _pg_found(driver: Driver, claims: Sequence[Claim]) -> Found:
    statement = _pg_claim_and_read(driver.dialect)
    time, as_day = _processors(driver.dialect)
    wanted = sorted({(c.userid, c.received_at.astimezone(SHANGHAI).date()) for c in claims})
    values: dict[str, Any] = {
        "c_dedupe_key": [c.dedupe_key for c in claims], "c_userid": [c.userid for c in claims],
        "c_received_at": [time(c.received_at) for c in claims],
        "w_userid": [userid for userid, _ in wanted], "w_day": [as_day(day) for _, day in wanted],
    }
    fresh: set[str] = set()
    stored: dict[str, str | None] = {}
    lengths: dict[tuple[str, date], int] = {}
    for kind, key, day, reply, chars in driver.rows(statement.sql, statement.params(values)):
        if kind == "claimed":
            fresh.add(key)
        elif kind == "stored":
            stored[key] = reply
        else:
            lengths[(key, _as_date(day))] = chars
    # Claimed meanwhile by another replica whose transaction committed while ours waited on the
    # key: committed after our snapshot, so read again (READ COMMITTED: a new snapshot).
    unseen = {c.dedupe_key for c in claims} - fresh - set(stored)
    return Found(fresh, {**stored, **_stored_replies_of(driver, unseen)}, lengths)


def _stored_replies_of(driver: Driver, keys: Iterable[str]) -> dict[str, str | None]:
    wanted = sorted(keys)
    if not wanted:
        return {}
    statement = _stored_replies(driver.dialect, len(wanted))
    rows = driver.rows(statement.sql, statement.params({f"k{i}": key for i, key in enumerate(wanted)}))
    return {key: reply for key, reply in rows}


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)  # SQLite: ISO text


def write(driver: Driver, appends: Sequence[LogAppend], answered: Sequence[tuple[Claim, str]]) -> None:
    """Each append (a new log, or a newline and the text appended to the day's log) and each
    claimed delivery's reply, so a retry gets the very same answer. At most one append per
    (userid, day): the batch merges a person's texts first."""
    time, as_day = _processors(driver.dialect)

    def log_row(a: LogAppend, prefix: str = "") -> dict[str, Any]:
        at = time(a.at)
        return {f"{prefix}userid": a.userid, f"{prefix}day": as_day(a.day), f"{prefix}content": "\n".join(a.parts),
                f"{prefix}part_lengths": part_lengths(a.parts), f"{prefix}created_at": at, f"{prefix}updated_at": at}

    def reply_row(c: Claim, reply: str) -> dict[str, Any]:
        return {"dedupe_key": c.dedupe_key, "userid": c.userid, "received_at": time(c.received_at), "reply": reply}

    # Each part its version: today's texts, so always an ADD written on its own day.
    versions = [
        {"userid": a.userid, "day": as_day(a.day), "change": Change.ADD.value, "text": part,
         "at": time(at), "written_on": as_day(a.day)}
        for a in appends for part, at in zip(a.parts, a.times, strict=True)
    ]

    if driver.dialect.name == "postgresql":
        if not answered:
            return  # every append has its claimed delivery: nothing answered, nothing appended
        rows = {"log_": [log_row(a) for a in appends], "r_": [reply_row(c, r) for c, r in answered], "v_": versions}
        columns = {"log_": _LOG_COLUMNS, "r_": _REPLY_COLUMNS, "v_": _VERSION_COLUMNS}
        values = {f"{prefix}{c}": [row[c] for row in rows[prefix]] for prefix in rows for c in columns[prefix]}
        statement = _pg_write(driver.dialect)
        driver.rows(statement.sql, statement.params(values))
        return
    if appends:
        statement = _append_log(driver.dialect)
        driver.many(statement.sql, [statement.params({k + "0": v for k, v in log_row(a).items()}) for a in appends])
        statement = _add_versions(driver.dialect, len(versions))
        driver.rows(statement.sql, statement.params(
            {f"{k}{i}": v for i, row in enumerate(versions) for k, v in row.items()}
        ))
    if answered:
        statement = _record_reply(driver.dialect)
        driver.many(statement.sql, [statement.params({k + "0": v for k, v in reply_row(c, r).items()}) for c, r in answered])
