"""The callback's hot path in SQL: a batch of messages in a few multi-row statements.

Runs on a plain (synchronous) connection inside one transaction (storage/writer.py). Every
statement is built once per dialect; given a list of parameters SQLAlchemy sends one
multi-row statement (insertmanyvalues) from a cached compilation instead of one per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from storage.models import DailyLog, InboundMessage

_INBOUND = InboundMessage.__table__  # type: ignore[attr-defined]
_LOG = DailyLog.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class _Statements:
    claim: Any
    replies: Any
    append_logs: Any


def _statements(insert: Any) -> _Statements:
    replies = insert(_INBOUND)
    logs = insert(_LOG)
    return _Statements(
        claim=insert(_INBOUND)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(_INBOUND.c.dedupe_key),
        replies=replies.on_conflict_do_update(
            index_elements=["dedupe_key"], set_={"reply": replies.excluded.reply}
        ),
        append_logs=logs.on_conflict_do_update(
            index_elements=["userid", "day"],
            set_={"content": _LOG.c.content + "\n" + logs.excluded.content,
                  "part_lengths": _LOG.c.part_lengths + "," + logs.excluded.part_lengths,
                  "updated_at": logs.excluded.updated_at},
        ),
    )


_BY_DIALECT = {"sqlite": _statements(sqlite.insert), "postgresql": _statements(postgresql.insert)}
_STORED_REPLIES = select(_INBOUND.c.dedupe_key, _INBOUND.c.reply).where(
    _INBOUND.c.dedupe_key.in_(bindparam("keys", expanding=True))
)
_LOG_LENGTHS = select(_LOG.c.userid, func.length(_LOG.c.content)).where(
    _LOG.c.day == bindparam("day"), _LOG.c.userid.in_(bindparam("userids", expanding=True))
)


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


def _sql(connection: Connection) -> _Statements:
    return _BY_DIALECT[connection.dialect.name]


def claim(connection: Connection, claims: Sequence[Claim]) -> set[str]:
    """Record each delivery; returns the keys seen for the first time (the rest are retries,
    from WeCom or from another replica, or redeliveries after a restart)."""
    rows = [{"dedupe_key": c.dedupe_key, "userid": c.userid, "received_at": c.received_at} for c in claims]
    return set(connection.execute(_sql(connection).claim, rows).scalars())


def stored_replies(connection: Connection, keys: Iterable[str]) -> dict[str, str | None]:
    wanted = list(keys)
    if not wanted:
        return {}
    return {key: reply for key, reply in connection.execute(_STORED_REPLIES, {"keys": wanted})}


def log_lengths(connection: Connection, day: date, userids: Iterable[str]) -> dict[str, int]:
    """Characters of each one's log of `day`, for those who have one."""
    wanted = list(userids)
    if not wanted:
        return {}
    rows = connection.execute(_LOG_LENGTHS, {"day": day, "userids": wanted})
    return {userid: length for userid, length in rows}


def append_logs(connection: Connection, appends: Sequence[LogAppend]) -> None:
    """One upsert for all: a new log, or a newline and the text appended to the day's log.
    At most one append per (userid, day): PostgreSQL updates a row once per statement."""
    if appends:
        connection.execute(_sql(connection).append_logs, [
            {"userid": a.userid, "day": a.day, "content": "\n".join(a.parts),
             "part_lengths": part_lengths(a.parts), "created_at": a.at, "updated_at": a.at}
            for a in appends
        ])


def record_replies(connection: Connection, claims: Sequence[Claim], replies: Sequence[str]) -> None:
    """Store each claimed delivery's reply, so a retry gets the very same answer."""
    if claims:
        connection.execute(_sql(connection).replies, [
            {"dedupe_key": c.dedupe_key, "userid": c.userid, "received_at": c.received_at, "reply": r}
            for c, r in zip(claims, replies, strict=True)
        ])
