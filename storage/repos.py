"""Repositories: the only place that speaks SQL. One `Store` wraps the session of one unit of work."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from scoring.clock import SHANGHAI
from scoring.leave import leave_days
from scoring.log_record import Change, Version, as_read, note_line
from storage.erasure import erase_after_commit
from storage.ids import OrderedIds
from storage.leave_repo import LeaveRepo
from storage.log_batch import log_parts, log_upsert, part_lengths
from storage.mention_repo import MentionRepo
from storage.models import (
    BLANKED_PAYLOAD,
    CalendarDay,
    CalendarYear,
    DailyLog,
    InboundMessage,
    Leave,
    MemberSends,
    Outbox,
    OutboxBody,
    Summary,
    UnknownUser,
)
from storage.models_record import DailyLogVersion, LogNote, PendingBackfill
from storage.ops_repo import AdminJobRepo, AuditRepo, HousekeepingRepo
from storage.rating_repo import RatingRepo
from storage.reminder_repo import ReminderRepo
from storage.results_repo import ResultsRepo
from storage.roster_repo import RosterRepo
from storage.sql import dialect_insert, insert_rows, rowcount, table_of
from storage.trust_repo import TrustRepo
from storage.year_notice_repo import YearNoticeRepo
from storage.year_repo import YearRepo


@dataclass(frozen=True)
class LogEntry:
    userid: str
    day: date
    content: str
    updated_at: datetime
    appended: int = 0  # parts appended after the first
    # The log as every reader sees it: late parts and replaces marked (scoring/log_record.py).
    shown: str = ""


@dataclass(frozen=True)
class WaitingBackfill:
    day: date
    text: str
    expires_at: datetime


def _part_lengths(raw: str) -> list[int]:
    return [int(length) for length in raw.split(",") if length]


_VERSION_OF = (col(DailyLogVersion.change), col(DailyLogVersion.text), col(DailyLogVersion.at))


class Push(NamedTuple):  # a tuple: a round makes 1.4 M of them
    """One outbox row: `userids` joined by "|", `payload` already JSON; with `body_id`, only
    this row's part of it, spliced into that shared body (`OutboxRepo.add_bodies`)."""

    dedupe_key: str
    userids: str
    kind: str
    payload: str
    not_before: datetime
    body_id: str | None = None

    def row(self, now: datetime) -> dict[str, Any]:
        return dict(zip(PUSH_COLUMNS, self.values(now), strict=True))

    def values(self, now: datetime) -> tuple[Any, ...]:
        """The row's values in `PUSH_COLUMNS` order."""
        return (self.dedupe_key, self.userids, self.kind, self.payload, "pending", 0,
                self.not_before, now, "", "", self.body_id)


PUSH_COLUMNS = ("dedupe_key", "userids", "kind", "payload", "status", "attempts",
                "not_before", "created_at", "error", "result", "body_id")


@dataclass(frozen=True)
class DuePush:
    """An outbox row due to be sent, its payload whole."""

    id: int
    dedupe_key: str
    userids: str
    kind: str
    payload: str
    attempts: int


def whole_payload(payload: str, head: str | None, tail: str | None) -> str:
    """A row's JSON: its own payload, or that spliced into the body it shares."""
    return payload if head is None or tail is None else head + payload + tail


class InboundRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def claim(self, key: str, userid: str, now: datetime) -> bool:
        """True if this delivery is the first; False if WeCom (or a replica) already had it."""
        stmt = (
            dialect_insert(self.s, table_of(InboundMessage))
            .values(dedupe_key=key, userid=userid, received_at=now)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(table_of(InboundMessage).c.dedupe_key)
        )
        return (await self.s.execute(stmt)).first() is not None

    async def record_failure(self, key: str, userid: str, now: datetime, reply: str) -> None:
        """A delivery whose work failed (and left nothing): its answer is stored as its reply,
        so a retry on any replica is answered with it instead of running the work again. A
        delivery that did commit meanwhile keeps its own reply."""
        await self.s.execute(
            dialect_insert(self.s, table_of(InboundMessage))
            .values(dedupe_key=key, userid=userid, received_at=now, reply=reply)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
        )

    async def stored_reply(self, key: str) -> str | None:
        row = await self.s.execute(
            select(col(InboundMessage.reply)).where(col(InboundMessage.dedupe_key) == key)
        )
        return row.scalar_one_or_none()

    async def record_reply(self, key: str, reply: str) -> None:
        await self.s.execute(
            update(InboundMessage).where(col(InboundMessage.dedupe_key) == key).values(reply=reply)
        )


UNKNOWN_TEXT_KEPT = 20  # characters of a stranger's message the admin sees


class UnknownUserRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def record(self, userid: str, text: str, now: datetime) -> None:
        """Keep only the first words of what a stranger wrote (enough for the admin to know
        who it is); housekeeping blanks even those after `inbound_keep_days`."""
        table = table_of(UnknownUser)
        stmt = dialect_insert(self.s, table).values(
            userid=userid, first_seen=now, last_seen=now, attempts=1, last_text=text[:UNKNOWN_TEXT_KEPT]
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["userid"],
            set_={
                "last_seen": stmt.excluded.last_seen,
                "attempts": table.c.attempts + 1,
                "last_text": stmt.excluded.last_text,
            },
        )
        await self.s.execute(stmt)

    async def all(self) -> Sequence[UnknownUser]:
        result = await self.s.execute(select(UnknownUser).order_by(col(UnknownUser.last_seen).desc()))
        return result.scalars().all()


class LogRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    _READ = (col(DailyLog.userid), col(DailyLog.day), col(DailyLog.content), col(DailyLog.updated_at),
             col(DailyLog.part_lengths))

    async def _entries(self, stmt: Any) -> list[LogEntry]:
        """Rows of `_READ` as entries, each with the text its readers see: only logs with a
        late write or a replace have their versions read (a day's log nearly never has)."""
        rows = list(await self.s.execute(stmt))
        if not rows:
            return []
        userids, days = {r.userid for r in rows}, {r.day for r in rows}
        v = DailyLogVersion
        in_rows = (col(v.userid).in_(list(userids)), col(v.day).in_(list(days)))
        marked = {
            (r.userid, r.day) for r in await self.s.execute(
                select(col(v.userid), col(v.day)).where(
                    *in_rows, (col(v.written_on) > col(v.day)) | (col(v.change) != Change.ADD.value)
                ).distinct()
            )
        }
        versions: dict[tuple[str, date], list[Version]] = {}
        if marked:
            wanted = (col(v.userid).in_([u for u, _ in marked]), col(v.day).in_([d for _, d in marked]))
            for r in await self.s.execute(
                select(col(v.userid), col(v.day), *_VERSION_OF).where(*wanted).order_by(col(v.id))
            ):
                versions.setdefault((r.userid, r.day), []).append(Version(Change(r.change), r.text, r.at))
        notes = await self.notes_of(userids, days)
        out = []
        for r in rows:
            parts = log_parts(r.content, r.part_lengths)
            kept = versions.get((r.userid, r.day))
            shown = r.content if kept is None else as_read(parts, r.day, kept)
            shown += "".join(notes.get((r.userid, r.day), []))
            out.append(LogEntry(r.userid, r.day, r.content, r.updated_at, max(len(_part_lengths(r.part_lengths)) - 1, 0), shown))
        return out

    async def get(self, userid: str, day: date) -> LogEntry | None:
        found = await self._entries(
            select(*self._READ).where(col(DailyLog.userid) == userid, col(DailyLog.day) == day)
        )
        return found[0] if found else None

    async def between(self, userid: str, start: date, end: date) -> list[LogEntry]:
        return await self._entries(
            select(*self._READ)
            .where(col(DailyLog.userid) == userid, col(DailyLog.day) >= start, col(DailyLog.day) <= end)
            .order_by(col(DailyLog.day))
        )

    async def notes_of(self, userids: Iterable[str], days: Iterable[date]) -> dict[tuple[str, date], list[str]]:
        """The 批注 under these logs, oldest first, each as it reads under the log."""
        n = LogNote
        rows = await self.s.execute(
            select(col(n.userid), col(n.day), col(n.author_name), col(n.text), col(n.at))
            .where(col(n.userid).in_(list(userids)), col(n.day).in_(list(days))).order_by(col(n.id))
        )
        out: dict[tuple[str, date], list[str]] = {}
        for r in rows:
            out.setdefault((r.userid, r.day), []).append(note_line(r.author_name, r.at, r.text))
        return out

    async def annotate(self, userid: str, day: date, author: str, author_name: str, text: str, now: datetime) -> int:
        note = LogNote(userid=userid, day=day, author=author, author_name=author_name, text=text, at=now)
        self.s.add(note)
        await self.s.flush()
        assert note.id is not None
        return note.id

    async def versions(self, userid: str, day: date) -> list[Version]:
        """Every write to the day's log, oldest first."""
        v = DailyLogVersion
        rows = await self.s.execute(
            select(*_VERSION_OF).where(col(v.userid) == userid, col(v.day) == day).order_by(col(v.id))
        )
        return [Version(Change(r.change), r.text, r.at) for r in rows]

    async def hold_backfill(self, userid: str, day: date, text: str, expires_at: datetime) -> None:
        """A 补记 waiting for 「确认补记」: the person's only one (a newer one replaces it)."""
        table = table_of(PendingBackfill)
        row = dialect_insert(self.s, table).values(userid=userid, day=day, text=text, expires_at=expires_at)
        await self.s.execute(row.on_conflict_do_update(
            index_elements=["userid"], set_={"day": day, "text": text, "expires_at": expires_at}
        ))

    async def take_backfill(self, userid: str) -> WaitingBackfill | None:
        """The person's waiting 补记, removed (confirmed or lapsed, it is used once)."""
        p = PendingBackfill
        row = (await self.s.execute(
            select(col(p.day), col(p.text), col(p.expires_at)).where(col(p.userid) == userid).with_for_update()
        )).first()
        if row is None:
            return None
        await self.s.execute(delete(p).where(col(p.userid) == userid))
        return WaitingBackfill(row.day, row.text, row.expires_at)

    async def _keep(self, userid: str, day: date, change: Change, text: str, now: datetime) -> None:
        # written_on: the Shanghai day, whatever zone `now` came in.
        self.s.add(DailyLogVersion(userid=userid, day=day, change=change.value, text=text, at=now,
                                   written_on=now.astimezone(SHANGHAI).date()))

    async def logged_days(self, userid: str, start: date, end: date) -> set[date]:
        rows = await self.s.execute(
            select(col(DailyLog.day)).where(
                col(DailyLog.userid) == userid, col(DailyLog.day) >= start, col(DailyLog.day) <= end
            )
        )
        return {r.day for r in rows}

    async def write(self, userid: str, day: date, content: str, now: datetime, *, append: bool) -> str:
        """Create the day's log, or append to / replace it (`log_upsert`), keeping the write as
        a version. Returns the stored text."""
        replaces = not append and await self.logged_days(userid, day, day)
        await self._keep(userid, day, Change.REPLACE if replaces else Change.ADD, content, now)
        table = table_of(DailyLog)
        row = dialect_insert(self.s, table).values(
            userid=userid, day=day, content=content, part_lengths=part_lengths([content]),
            created_at=now, updated_at=now,
        )
        stmt = log_upsert(row, append=append).returning(table.c.content)
        return (await self.s.execute(stmt)).scalar_one()

    async def withdraw_last_part(self, userid: str, day: date, now: datetime) -> tuple[str, str] | None:
        """Take back the day's last appended part: (the part, what remains); None if none."""
        row = (
            await self.s.execute(
                select(col(DailyLog.id), col(DailyLog.content), col(DailyLog.part_lengths)).where(
                    col(DailyLog.userid) == userid, col(DailyLog.day) == day
                ).with_for_update()
            )
        ).first()
        lengths = _part_lengths(row.part_lengths) if row is not None else []
        if row is None or len(lengths) < 2:
            return None
        cut = len(row.content) - lengths[-1]
        kept, part = row.content[: cut - 1], row.content[cut:]
        await self.s.execute(
            update(DailyLog).where(col(DailyLog.id) == row.id).values(
                content=kept, part_lengths=",".join(map(str, lengths[:-1])), updated_at=now
            )
        )
        await self._keep(userid, day, Change.WITHDRAW, part, now)
        return part, kept

    async def latest(self, userid: str, limit: int) -> list[LogEntry]:
        """The most recent `limit` logs, newest first."""
        return await self._entries(
            select(*self._READ)
            .where(col(DailyLog.userid) == userid)
            .order_by(col(DailyLog.day).desc())
            .limit(limit)
        )

    async def on_day(self, day: date, userids: Iterable[str] | None = None) -> dict[str, LogEntry]:
        """Everyone's log of one day (or only `userids`'), by userid."""
        stmt = select(*self._READ).where(col(DailyLog.day) == day)
        if userids is not None:
            stmt = stmt.where(col(DailyLog.userid).in_(list(userids)))
        return {e.userid: e for e in await self._entries(stmt)}

    async def logged_days_of(
        self, userids: Iterable[str] | None, start: date, end: date
    ) -> dict[str, set[date]]:
        """Which days in [start, end] each of `userids` (None: everyone) logged."""
        stmt = select(col(DailyLog.userid), col(DailyLog.day)).where(col(DailyLog.day) >= start, col(DailyLog.day) <= end)
        wanted = None if userids is None else list(userids)
        # A bounded IN list per query: SQLite caps the parameters of one statement.
        chunks = [None] if wanted is None else [wanted[i : i + 1000] for i in range(0, len(wanted), 1000)]
        out: dict[str, set[date]] = {}
        for chunk in chunks:
            query = stmt if chunk is None else stmt.where(col(DailyLog.userid).in_(chunk))
            for r in await self.s.execute(query):
                out.setdefault(r.userid, set()).add(r.day)
        return out

    async def counts_since(self, days: Sequence[date], sinces: Sequence[date]) -> dict[str, list[int]]:
        """Per userid: how many of `days` they logged on or after each of `sinces`.

        Counted in the database: a province's quarter is millions of (userid, day) pairs.
        """
        if not days:
            return {}
        counts = [func.count().filter(col(DailyLog.day) >= since) for since in sinces]
        rows = await self.s.execute(
            select(col(DailyLog.userid), *counts)
            .where(col(DailyLog.day).in_(list(days)))
            .group_by(col(DailyLog.userid))
        )
        return {row[0]: list(row[1:]) for row in rows}

    async def userids_on(self, day: date) -> set[str]:
        """Who logged on `day` (their userids only, not the logs)."""
        rows = await self.s.execute(select(col(DailyLog.userid)).where(col(DailyLog.day) == day))
        return set(rows.scalars().all())


class CalendarRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def load_year(
        self, year: int, holidays: dict[date, str], makeup: dict[date, str], source: str, now: datetime
    ) -> None:
        """Replace one year's schedule atomically."""
        await self.s.execute(delete(CalendarDay).where(col(CalendarDay.year) == year))
        await self.s.execute(delete(CalendarYear).where(col(CalendarYear.year) == year))
        self.s.add(CalendarYear(year=year, source=source, loaded_at=now))
        for day, name in holidays.items():
            self.s.add(CalendarDay(day=day, year=year, working=False, name=name))
        for day, name in makeup.items():
            self.s.add(CalendarDay(day=day, year=year, working=True, name=name))
        await self.s.flush()

    async def loaded(self) -> list[tuple[CalendarYear, list[CalendarDay]]]:
        years = (await self.s.execute(select(CalendarYear))).scalars().all()
        days = (await self.s.execute(select(CalendarDay))).scalars().all()
        by_year: dict[int, list[CalendarDay]] = {}
        for d in days:
            by_year.setdefault(d.year, []).append(d)
        return [(y, by_year.get(y.year, [])) for y in years]


ENQUEUE_CHUNK = 5_000
BODY_IDS = OrderedIds()
# session.info key: this transaction queued pushes (the Runtime wakes the sender at its commit).
OUTBOX_QUEUED = "shiji_outbox_queued"


# Back to pending for another try, unless blanked while it was being sent (its rater handed
# in, storage/ballot_box.py drop_traces): such a row is never sent half-empty.
_PENDING_UNLESS_BLANKED = case((col(Outbox.payload) == BLANKED_PAYLOAD, "skipped"), else_="pending")


class OutboxRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def enqueue(
        self,
        dedupe_key: str,
        userids: Iterable[str],
        kind: str,
        payload: dict[str, Any],
        now: datetime,
        not_before: datetime | None = None,
    ) -> bool:
        """Queue a push once: False if a push with this key was already queued (or sent)."""
        self.s.info[OUTBOX_QUEUED] = True
        push = Push(dedupe_key, "|".join(userids), kind, json.dumps(payload, ensure_ascii=False),
                    not_before or now)
        stmt = (
            dialect_insert(self.s, table_of(Outbox))
            .values(push.row(now))
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(table_of(Outbox).c.id)
        )
        return (await self.s.execute(stmt)).first() is not None

    async def enqueue_many(self, pushes: Iterable[Push], now: datetime) -> None:
        """`enqueue` for many at once, `ENQUEUE_CHUNK` rows per executemany (a province-wide
        publish queues 100,000 messages, a round ~1.5 M cards: held as parameters all at once
        they would cost hundreds of MiB). Keys already queued are skipped."""
        self.s.info[OUTBOX_QUEUED] = True
        await insert_rows(
            self.s, table_of(Outbox), PUSH_COLUMNS, (push.values(now) for push in pushes),
            skip_conflicts_on=["dedupe_key"], chunk=ENQUEUE_CHUNK,
        )

    async def add_bodies(self, bodies: Sequence[tuple[str, str]]) -> list[str]:
        """Store (head, tail) bodies that many pushes share; their ids, in order."""
        ids = BODY_IDS.take(len(bodies))
        await insert_rows(
            self.s, table_of(OutboxBody), ("id", "head", "tail"),
            ((body_id, head, tail) for body_id, (head, tail) in zip(ids, bodies, strict=True)),
        )
        return ids

    async def due(self, now: datetime, limit: int = 50, wall_now: datetime | None = None) -> list[DuePush]:
        """Pending rows whose business time has come (`not_before` ≤ `now`, the business
        clock) and, given `wall_now`, whose transport wait is over (`retry_after`, the wall
        clock); in queue order. Locked for this transaction, skipping rows another replica's
        sender holds (PostgreSQL; SQLite's writer lock serialises senders anyway)."""
        ready = [col(Outbox.status) == "pending", col(Outbox.not_before) <= now]
        if wall_now is not None:
            ready.append(or_(col(Outbox.retry_after).is_(None), col(Outbox.retry_after) <= wall_now))
        result = await self.s.execute(
            select(col(Outbox.id), col(Outbox.dedupe_key), col(Outbox.userids), col(Outbox.kind), col(Outbox.payload),
                   col(Outbox.attempts), col(OutboxBody.head), col(OutboxBody.tail))
            .outerjoin(OutboxBody, col(OutboxBody.id) == col(Outbox.body_id))
            .where(*ready)
            .order_by(col(Outbox.id))
            .limit(limit)
            .with_for_update(skip_locked=True, of=Outbox)
        )
        return [DuePush(r.id, r.dedupe_key, r.userids, r.kind, whole_payload(r.payload, r.head, r.tail), r.attempts)
                for r in result]

    async def payload(self, row: Outbox) -> str:
        """The JSON a queued row sends (see `Push`)."""
        if row.body_id is None:
            return row.payload
        body = await self.s.get(OutboxBody, row.body_id)
        assert body is not None
        return whole_payload(row.payload, body.head, body.tail)

    async def claim(self, outbox_id: int, now: datetime) -> bool:
        """Atomically move pending → sending; only one claimant (of any replica) wins."""
        result = await self.s.execute(
            update(Outbox)
            .where(col(Outbox.id) == outbox_id, col(Outbox.status) == "pending")
            .values(status="sending", claimed_at=now, attempts=col(Outbox.attempts) + 1)
        )
        return rowcount(result) == 1

    async def claim_many(self, outbox_ids: Sequence[int], now: datetime) -> None:
        """`claim` for rows this transaction locked (`due`): all of them move to sending."""
        if outbox_ids:
            await self.s.execute(
                update(Outbox)
                .where(col(Outbox.id).in_(outbox_ids), col(Outbox.status) == "pending")
                .values(status="sending", claimed_at=now, attempts=col(Outbox.attempts) + 1)
            )

    async def hand_back(self, outbox_ids: Sequence[int]) -> None:
        """Claimed rows not sent after all (the batch ran out of time): pending again, their
        attempt not counted. The member allowance they took stays spent, which only waits longer."""
        if outbox_ids:
            await self.s.execute(
                update(Outbox)
                .where(col(Outbox.id).in_(outbox_ids), col(Outbox.status) == "sending")
                .values(status=_PENDING_UNLESS_BLANKED, attempts=col(Outbox.attempts) - 1)
            )

    async def hold(self, outbox_ids: Sequence[int], retry_after: datetime) -> None:
        """Rows that wait for their members' WeCom allowance until `retry_after` (wall clock)."""
        if outbox_ids:
            await self.s.execute(update(Outbox).where(col(Outbox.id).in_(outbox_ids)).values(retry_after=retry_after))

    async def release_stale(self, claimed_before: datetime) -> int:
        result = await self.s.execute(
            update(Outbox)
            .where(col(Outbox.status) == "sending", col(Outbox.claimed_at) < claimed_before)
            .values(status=_PENDING_UNLESS_BLANKED)
        )
        return rowcount(result)

    async def finish(
        self, outbox_id: int, status: str, now: datetime, error: str = "", result: str = "",
        retry_after: datetime | None = None,
    ) -> None:
        """Record a send's outcome; "pending" with `retry_after` (wall clock) tries it again
        then, its business `not_before` untouched."""
        values: dict[str, Any] = {"status": status, "error": error[:500], "result": result}
        if status == "pending" and retry_after is not None:
            values["retry_after"] = retry_after
            values["status"] = _PENDING_UNLESS_BLANKED
        else:
            values["finished_at"] = now
            # A card's update lives on the phone once done: no copy is kept (the card a rating
            # ballot's hand-in shows names its task, so which card and which resend it was).
            values["payload"] = case((col(Outbox.kind) == "update_card", BLANKED_PAYLOAD), else_=col(Outbox.payload))
        await self.s.execute(update(Outbox).where(col(Outbox.id) == outbox_id).values(**values))

    async def by_key(self, dedupe_key: str) -> Outbox | None:
        result = await self.s.execute(select(Outbox).where(col(Outbox.dedupe_key) == dedupe_key))
        return result.scalars().first()

    async def by_keys(self, dedupe_keys: Sequence[str]) -> dict[str, Outbox]:
        """The rows queued under any of these keys, by key (exact keys: the unique index)."""
        found: dict[str, Outbox] = {}
        for at in range(0, len(dedupe_keys), 500):
            result = await self.s.execute(
                select(Outbox).where(col(Outbox.dedupe_key).in_(dedupe_keys[at:at + 500]))
            )
            found.update((row.dedupe_key, row) for row in result.scalars())
        return found

    async def replace_pending(self, dedupe_key: str, payload: dict[str, Any]) -> bool:
        """Give a push not yet sent a newer payload; False if there is none pending."""
        self.s.info[OUTBOX_QUEUED] = True
        result = await self.s.execute(
            update(Outbox).where(col(Outbox.dedupe_key) == dedupe_key, col(Outbox.status) == "pending")
            .values(payload=json.dumps(payload, ensure_ascii=False))
        )
        return rowcount(result) == 1

    async def backlog(self) -> dict[str, tuple[int, datetime]]:
        """status → (rows, when the oldest of them was queued): what /metrics shows."""
        rows = await self.s.execute(
            select(col(Outbox.status), func.count(), func.min(col(Outbox.created_at))).group_by(col(Outbox.status))
        )
        return {status: (count, oldest) for status, count, oldest in rows.all()}


class MemberSendsRepo:
    """Per-member send history every replica's sender shares (storage/models.py MemberSends)."""

    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def lock(self, userids: Iterable[str]) -> dict[str, list[float]]:
        """Each member's recent sends as one stamp per message, the rows locked until this
        transaction ends. Locked in userid order, so two senders never wait on each other
        in a circle."""
        wanted = sorted(set(userids))
        if not wanted:
            return {}
        history: dict[str, list[float]] = {}
        for at in range(0, len(wanted), 500):
            await self.s.execute(  # VALUES in userid order: inserted (and locked) in that order
                dialect_insert(self.s, table_of(MemberSends))
                .values([{"userid": u, "recent": ""} for u in wanted[at:at + 500]])
                .on_conflict_do_nothing(index_elements=["userid"])
            )
            rows = await self.s.execute(
                select(col(MemberSends.userid), col(MemberSends.recent))
                .where(col(MemberSends.userid).in_(wanted[at:at + 500]))
                .order_by(col(MemberSends.userid))
                .with_for_update()
            )
            history.update((userid, _stamps(recent)) for userid, recent in rows)
        return history

    async def save(self, history: dict[str, list[float]]) -> None:
        if history:
            await self.s.execute(
                update(members := table_of(MemberSends))  # a Core table: one executemany
                .where(members.c.userid == bindparam("member")).values(recent=bindparam("stamps")),
                [{"member": userid, "stamps": _recent_text(stamps)} for userid, stamps in history.items()],
            )


def _stamps(recent: str) -> list[float]:
    stamps: list[float] = []
    for pair in recent.split():
        at, _, count = pair.partition(":")
        stamps.extend([float(at)] * int(count or 1))
    return stamps


def _recent_text(stamps: list[float]) -> str:
    """Stamps (sorted) as "seconds:messages" pairs: a batch's messages share one stamp."""
    pairs: list[list[float]] = []
    for at in stamps:
        if pairs and pairs[-1][0] == at:
            pairs[-1][1] += 1
        else:
            pairs.append([at, 1])
    return " ".join(f"{at:.3f}:{int(count)}" for at, count in pairs)


class SummaryRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get(self, userid: str, kind: str, period: str) -> Summary | None:
        result = await self.s.execute(
            select(Summary).where(col(Summary.userid) == userid, col(Summary.kind) == kind, col(Summary.period) == period)
        )
        return result.scalars().first()

    async def put(self, userid: str, kind: str, period: str, content: str, now: datetime) -> bool:
        """Write or replace a summary; True if it replaced an earlier one."""
        existing = await self.get(userid, kind, period)
        if existing is None:
            self.s.add(Summary(userid=userid, kind=kind, period=period, content=content,
                               created_at=now, updated_at=now))
        else:
            existing.content, existing.updated_at = content, now
        await self.s.flush()
        return existing is not None

    async def writers(self, kind: str, period: str) -> set[str]:
        rows = await self.s.execute(
            select(col(Summary.userid)).where(col(Summary.kind) == kind, col(Summary.period) == period)
        )
        return {r.userid for r in rows}


class Store:
    """Repositories over one session: what a handler or job sees of the database."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.inbound = InboundRepo(session)
        self.unknown_users = UnknownUserRepo(session)
        self.logs = LogRepo(session)
        self.calendar = CalendarRepo(session)
        self.outbox = OutboxRepo(session)
        self.member_sends = MemberSendsRepo(session)
        self.roster = RosterRepo(session)
        self.summaries = SummaryRepo(session)
        self.rating = RatingRepo(session)
        self.leave = LeaveRepo(session)
        self.reminders = ReminderRepo(session)
        self.mentions = MentionRepo(session)
        self.trust = TrustRepo(session)
        self.year = YearRepo(session)
        self.notice = YearNoticeRepo(session)
        self.results = ResultsRepo(session)
        self.audit = AuditRepo(session)
        self.housekeeping = HousekeepingRepo(session)
        self.jobs = AdminJobRepo(session)

    def erase_after_commit(self) -> None:
        """A round closed in this unit of work: once it commits, erase what its rater-linked
        rows left in the database files (storage/erasure.py)."""
        erase_after_commit(self.session)

    async def excused_days(self, userid: str, start: date, end: date) -> set[date]:
        """Days in [start, end] a cadre owes no log: approved leave (请假/出差)."""
        rows = await self.session.execute(
            select(col(Leave.start), col(Leave.end)).where(
                col(Leave.userid) == userid,
                col(Leave.status) == "approved",
                col(Leave.start) <= end,
                col(Leave.end) >= start,
            )
        )
        return {day for row in rows for day in leave_days(row.start, row.end, start, end)}
