"""The callback's hot path in SQL: a batch of messages in a few multi-row statements.

Runs on a `Driver` (storage/writer.py) inside one transaction. The statements are SQLAlchemy
Core on the models' tables, compiled once per dialect and batch size and then sent to the
database driver as they are; values are converted by the columns' own bind processors (one
per message for its time), so what lands in a row is exactly what the ORM writes and reads.
Per message that is a few microseconds instead of SQLAlchemy's per-row parameter handling.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement

from storage.models import DailyLog, InboundMessage
from storage.writer import Driver

_INBOUND = InboundMessage.__table__  # type: ignore[attr-defined]
_LOG = DailyLog.__table__  # type: ignore[attr-defined]
_INSERT = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
# Rows of one multi-row statement: a batch is at most `[database] batch_max` messages; far
# below SQLite's 32,766 and PostgreSQL's 65,535 parameters.
_MULTI_ROW_CACHE = 256


@dataclass(frozen=True)
class _Compiled:
    """A statement as the driver takes it, and the order its parameters go in."""

    sql: str
    order: tuple[str, ...]
    constants: dict[str, Any]  # parameters the statement itself fixes (the "\n" it appends with)

    def params(self, values: dict[str, Any]) -> list[Any]:
        if self.constants:
            values = {**self.constants, **values}
        return [values[name] for name in self.order]


def _compile(statement: ClauseElement, dialect: Dialect) -> _Compiled:
    compiled = statement.compile(dialect=dialect)
    constants = {name: value for name, value in compiled.params.items() if value is not None}
    return _Compiled(str(compiled), tuple(compiled.positiontup or ()), constants)


@functools.lru_cache(maxsize=8)
def _processors(dialect: Dialect) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """(time, day) → what the driver gets: the columns' own bind processors."""

    def of(column: Any) -> Callable[[Any], Any]:
        process = column.type.bind_processor(dialect)
        return process if process is not None else (lambda value: value)

    return of(_INBOUND.c.received_at), of(_LOG.c.day)


@functools.lru_cache(maxsize=_MULTI_ROW_CACHE)
def _claim(dialect: Dialect, rows: int) -> _Compiled:
    insert = _INSERT[dialect.name]
    values = [{c: bindparam(f"{c}{i}") for c in ("dedupe_key", "userid", "received_at")} for i in range(rows)]
    statement = (
        insert(_INBOUND).values(values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(_INBOUND.c.dedupe_key)
    )
    return _compile(statement, dialect)


@functools.lru_cache(maxsize=_MULTI_ROW_CACHE)
def _stored_replies(dialect: Dialect, keys: int) -> _Compiled:
    statement = select(_INBOUND.c.dedupe_key, _INBOUND.c.reply).where(
        _INBOUND.c.dedupe_key.in_([bindparam(f"k{i}") for i in range(keys)])
    )
    return _compile(statement, dialect)


@functools.lru_cache(maxsize=_MULTI_ROW_CACHE)
def _log_lengths(dialect: Dialect, userids: int) -> _Compiled:
    statement = select(_LOG.c.userid, func.length(_LOG.c.content)).where(
        _LOG.c.day == bindparam("day"), _LOG.c.userid.in_([bindparam(f"u{i}") for i in range(userids)])
    )
    return _compile(statement, dialect)


@functools.lru_cache(maxsize=8)
def _append_log(dialect: Dialect) -> _Compiled:
    """One row; the driver runs it for each (executemany)."""
    insert = _INSERT[dialect.name]
    logs = insert(_LOG).values({c: bindparam(c) for c in
                                ("userid", "day", "content", "part_lengths", "created_at", "updated_at")})
    statement = logs.on_conflict_do_update(
        index_elements=["userid", "day"],
        set_={"content": _LOG.c.content + "\n" + logs.excluded.content,
              "part_lengths": _LOG.c.part_lengths + "," + logs.excluded.part_lengths,
              "updated_at": logs.excluded.updated_at},
    )
    return _compile(statement, dialect)


@functools.lru_cache(maxsize=8)
def _record_reply(dialect: Dialect) -> _Compiled:
    insert = _INSERT[dialect.name]
    replies = insert(_INBOUND).values({c: bindparam(c) for c in ("dedupe_key", "userid", "received_at", "reply")})
    statement = replies.on_conflict_do_update(index_elements=["dedupe_key"], set_={"reply": replies.excluded.reply})
    return _compile(statement, dialect)


@dataclass(frozen=True)
class Claim:
    dedupe_key: str
    userid: str
    received_at: datetime


@dataclass(frozen=True)
class LogAppend:
    """Parts to become a day's log, or to be appended to it, each after a newline."""

    userid: str
    day: date
    parts: tuple[str, ...]
    at: datetime


def part_lengths(parts: Sequence[str]) -> str:
    """daily_log.part_lengths of these parts: each one's length, so 撤回 can take back the
    last whole part even when a part has newlines of its own."""
    return ",".join(str(len(part)) for part in parts)


def claim(driver: Driver, claims: Sequence[Claim]) -> set[str]:
    """Record each delivery; returns the keys seen for the first time (the rest are retries,
    from WeCom or from another replica, or redeliveries after a restart)."""
    if not claims:
        return set()
    time, _ = _processors(driver.dialect)
    values: dict[str, Any] = {}
    for i, c in enumerate(claims):
        values.update({f"dedupe_key{i}": c.dedupe_key, f"userid{i}": c.userid, f"received_at{i}": time(c.received_at)})
    statement = _claim(driver.dialect, len(claims))
    return {row[0] for row in driver.rows(statement.sql, statement.params(values))}


def stored_replies(driver: Driver, keys: Iterable[str]) -> dict[str, str | None]:
    wanted = list(keys)
    if not wanted:
        return {}
    statement = _stored_replies(driver.dialect, len(wanted))
    rows = driver.rows(statement.sql, statement.params({f"k{i}": key for i, key in enumerate(wanted)}))
    return {key: reply for key, reply in rows}


def log_lengths(driver: Driver, day: date, userids: Iterable[str]) -> dict[str, int]:
    """Characters of each one's log of `day`, for those who have one."""
    wanted = list(userids)
    if not wanted:
        return {}
    _, as_day = _processors(driver.dialect)
    statement = _log_lengths(driver.dialect, len(wanted))
    values = {"day": as_day(day), **{f"u{i}": userid for i, userid in enumerate(wanted)}}
    return {userid: length for userid, length in driver.rows(statement.sql, statement.params(values))}


def append_logs(driver: Driver, appends: Sequence[LogAppend]) -> None:
    """A new log, or a newline and the text appended to the day's log, for each. At most one
    append per (userid, day): the batch merges a person's texts first."""
    if not appends:
        return
    time, as_day = _processors(driver.dialect)
    statement = _append_log(driver.dialect)
    rows = []
    for a in appends:
        at = time(a.at)
        rows.append(statement.params({
            "userid": a.userid, "day": as_day(a.day), "content": "\n".join(a.parts),
            "part_lengths": part_lengths(a.parts), "created_at": at, "updated_at": at,
        }))
    driver.many(statement.sql, rows)


def record_replies(driver: Driver, claims: Sequence[Claim], replies: Sequence[str]) -> None:
    """Store each claimed delivery's reply, so a retry gets the very same answer."""
    if not claims:
        return
    time, _ = _processors(driver.dialect)
    statement = _record_reply(driver.dialect)
    driver.many(statement.sql, [
        statement.params({"dedupe_key": c.dedupe_key, "userid": c.userid, "received_at": time(c.received_at), "reply": r})
        for c, r in zip(claims, replies, strict=True)
    ])
