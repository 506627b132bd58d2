"""The sample district at work, so the demo opens a few weeks into real use (issue 10, item 13).

`plan_demo` picks a go-live date before the latest quarter whose round could be published,
and a few scripted events (leave, a day left unlogged, summaries not handed in). `District`
then lives through time: everyone's logs, backfills, summaries, ratings, leave and the
admin's publication go to the bot as messages through its dispatcher, and the scheduled jobs
(reminders, rounds) run at their own instants in between, so every stored row was made by the
code a real district runs. The demo lives from go-live to today at start-up, and on through
every time travel, for everyone but the people being played on the demo page.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import random
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.clock import SHANGHAI, MovableClock
from bot.demo import texts
from bot.runtime import Runtime
from bot.wecom.inbound import Inbound
from handlers.base import Reply
from scheduler.jobs import ScheduledJob, due_between, run_job
from scheduler.registry import all_jobs
from scoring.rounds import planned_round_window
from scoring.summary_window import SummaryPeriod, opening_day
from scoring.types import Role
from scoring.workdays import QuarterId, WorkCalendar
from storage.directory import Person
from storage.rating_repo import RatingRepo
from storage.records import QuarterRound, RoundStatus, YearRound
from storage.repos import Store
from storage.year_repo import EvaluationRepo

log = logging.getLogger(__name__)

Said = Callable[[str, str, Reply, datetime], None]
# The loggers of the scheduled jobs the district replays (months of them at start-up, days at
# each move of the clock): their INFO lines are DEBUG lines meanwhile (bot/logs.py as_debug).
REPLAYED = ("scheduler", "apscheduler")


@dataclass(frozen=True)
class PlannedLeave:
    userid: str
    kind: str  # 请假 | 出差
    start: date
    end: date
    reason: str
    asked_at: datetime
    decided_at: datetime | None  # None: still waiting for the leader when the demo opens


@dataclass(frozen=True)
class DemoPlan:
    go_live: date
    published: QuarterId  # rated and published before the demo opens
    publish_at: datetime
    missed: frozenset[tuple[str, date]]  # days left unlogged on purpose
    leaves: tuple[PlannedLeave, ...]
    no_summary: frozenset[str]  # cadres who never handed in the published quarter's summary

    def on_leave(self, userid: str, day: date) -> bool:
        return any(
            leave.userid == userid and leave.decided_at is not None and leave.start <= day <= leave.end
            for leave in self.leaves
        )


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def _working_day_before(calendar: WorkCalendar, day: date, count: int) -> date:
    while count > 0:
        day -= timedelta(days=1)
        count -= calendar.is_working_day(day)
    return day


def plan_demo(calendar: WorkCalendar, now: datetime, *, open_after: int, duration: int, window: int) -> DemoPlan:
    """The demo district's history, ending `now`.

    The published quarter is the latest whose round had closed by the working day before
    today (it was published the working day after it closed); the system went live on the
    first working day of that quarter's last month, so the quarter has a few weeks of logs.
    """
    today = now.date()
    quarter = QuarterId.of(today).previous()
    while True:
        _opens, last = planned_round_window(calendar, quarter, open_after=open_after, duration=duration)
        publish_day = calendar.add_working_days(last, 1)
        if publish_day < today:
            break
        quarter = quarter.previous()
    go_live = quarter.last_day.replace(day=1)
    while not calendar.is_working_day(go_live):
        go_live += timedelta(days=1)

    def before(count: int) -> date:
        return _working_day_before(calendar, today, count)

    after_1 = calendar.add_working_days(today, 1)
    leaves = (
        PlannedLeave("chengguan_fengjing", "请假", before(12), before(10), "年假，回老家探亲",
                     _at(before(14), 9, 30), _at(before(14), 10, 15)),
        PlannedLeave("fgj_qinlang", "出差", before(7), before(6), "赴省发改委对接专项债券项目",
                     _at(before(8), 16, 0), _at(before(8), 17, 5)),
        PlannedLeave("tqw_shiyan", "请假", before(3), before(3), "病假",
                     _at(before(4), 8, 50), _at(before(4), 9, 20)),
        PlannedLeave("chengguan_zhengli", "请假", after_1, calendar.add_working_days(today, 2),
                     "年假，陪同家人到市医院复查", _at(today, 9, 5), None),
    )
    # 吴昊 forgot one day and has not backfilled it: today is its last day (the 10:00 warning).
    closing = calendar.earliest_backfillable(today, window) if calendar.is_working_day(today) else None
    missed = {("chengguan_wuhao", closing)} if closing is not None and closing >= go_live else set()
    return DemoPlan(
        go_live=go_live,
        published=quarter,
        publish_at=_at(publish_day, 10, 0),
        missed=frozenset(missed),
        leaves=leaves,
        no_summary=frozenset({"chengguan_jiangtao", "fgj_youxin"}),
    )


def _md(day: date, today: date) -> str:
    """A date as people type it: 11-20, with the year only when it is not this year's."""
    return f"{day.month}-{day.day}" if day.year == today.year else day.isoformat()


@dataclass(frozen=True)
class Say:
    """One message to the bot. Messages of different people close in time are sent together,
    as they would arrive, so the bot's group commit takes them in one transaction."""

    userid: str
    text: str


Action = Say | Callable[[], Awaitable[None]]
# How close in time messages of different people must be to be sent together.
_TOGETHER = timedelta(minutes=30)


class District:
    """Everyone in the sample district, doing what they do at their usual times (with no plan,
    in a rehearsal of an operator's own district: nobody; only the scheduled jobs run)."""

    def __init__(self, runtime: Runtime, clock: MovableClock, plan: DemoPlan | None) -> None:
        self.runtime = runtime
        self.clock = clock
        self.plan = plan
        self.on_said: Said | None = None  # the demo page shows what people said, from today on
        self.deliver = False  # drain the outbox after each step (once the stand-in is listening)
        self._msg_ids = itertools.count(random.SystemRandom().randrange(10**12, 10**13))

    # ---- who does what, and when ----

    def _cadres(self, skip: frozenset[str]) -> list[Person]:
        people = self.runtime.directory.current.people.values()
        return [p for p in people if p.active and not p.is_superior and p.userid not in skip]

    def _day_events(self, plan: DemoPlan, day: date, skip: frozenset[str]) -> Iterable[tuple[datetime, Action]]:
        calendar = self.runtime.calendar.current
        working = calendar.is_working_day(day)
        for person in self._cadres(skip):
            if working and day >= plan.go_live:
                yield from self._log_events(plan, calendar, person, day)
            for kind in ("quarter", "year"):
                yield from self._summary_events(plan, calendar, person, kind, day)
        if working:
            yield _at(day, 11, 0), lambda: self._raters_turn(day, skip)
        for leave in plan.leaves:
            if leave.asked_at.date() == day and leave.userid not in skip:
                text = f"{leave.kind} {_md(leave.start, day)}至{_md(leave.end, day)} {leave.reason}"
                yield leave.asked_at, Say(leave.userid, text)
            if leave.decided_at is not None and leave.decided_at.date() == day:
                yield leave.decided_at, functools.partial(self._decide, leave, skip)
        if plan.publish_at.date() == day and not skip & set(self.runtime.settings.admin.userids):
            admin = self.runtime.settings.admin.userids[0]
            yield plan.publish_at, Say(admin, f"发布结果 {plan.published}")

    def _log_events(
        self, plan: DemoPlan, calendar: WorkCalendar, person: Person, day: date
    ) -> Iterable[tuple[datetime, Action]]:
        if (person.userid, day) in plan.missed or plan.on_leave(person.userid, day):
            return
        rng = random.Random(f"{person.userid}|{day}")
        text = texts.daily_log(rng, person.unit.name, person.role.value)
        habit = rng.random()
        if habit < 0.05:  # forgot, and backfilled a few working days later
            later = calendar.add_working_days(day, rng.randint(1, 3))
            yield _at(later, 9, rng.randint(0, 50)), Say(person.userid, f"补记 {_md(day, later)} {text}")
        elif habit < 0.065:  # forgot for good
            return
        elif habit < 0.3:
            yield _at(day, 11, rng.randint(0, 59)), Say(person.userid, text)
        else:
            yield _at(day, 16, 30) + timedelta(minutes=rng.randint(0, 110)), Say(person.userid, text)

    def _summary_events(
        self, plan: DemoPlan, calendar: WorkCalendar, person: Person, kind: str, day: date
    ) -> Iterable[tuple[datetime, Action]]:
        summaries = self.runtime.settings.summaries
        current = SummaryPeriod.of(kind, day)
        for period in (current, current.previous()):
            if period.last_day < plan.go_live:
                continue
            if person.userid in plan.no_summary and period.key == str(plan.published):
                continue
            rng = random.Random(f"{person.userid}|{period.key}")
            opens = opening_day(calendar, period, summaries.open_before_end_working_days)
            if day < opens or calendar.add_working_days(opens, rng.randint(1, 7)) != day:
                continue
            if kind == "quarter":
                text = texts.quarter_summary(rng, person.unit.name, person.role.value, period.label)
                yield _at(day, 15, rng.randint(0, 59)), Say(person.userid, f"季度小结 {text}")
            else:
                text = texts.year_summary(rng, person.unit.name, person.role.value, period.label)
                yield _at(day, 15, rng.randint(0, 59)), Say(person.userid, f"年度总结 {text}")

    async def _raters_turn(self, day: date, skip: frozenset[str]) -> None:
        """Each rater of a quarter's round, and each evaluator of a year's 民主测评, answers on a
        working day of their own in its first week (or, handed back by the page after that
        day, on the next one they are left to live)."""
        async with self.runtime.sessions() as session:
            store = Store(session)
            work: list[Awaitable[None]] = []
            for rnd in await store.rating.rounds(RoundStatus.open):
                for rater, rng, ratees in await self._due(store.rating, rnd, str(rnd.quarter), day, skip):
                    work.append(self._rate(rater, rng, ratees))
            for ev in await store.year.evaluation.rounds(RoundStatus.open):
                for rater, rng, ratees in await self._due(store.year.evaluation, ev, f"{ev.year}年度", day, skip):
                    work.append(self._evaluate(rater, rng, ratees))
        await asyncio.gather(*work)

    async def _due(
        self, box: RatingRepo | EvaluationRepo, rnd: QuarterRound | YearRound, label: str, day: date,
        skip: frozenset[str],
    ) -> list[tuple[str, random.Random, list[str]]]:
        """(rater, their dice, whom they answer for) of those whose day to answer `rnd` it is."""
        if self.clock.now() >= rnd.closes_at:
            return []
        opened = rnd.opened_at.astimezone(SHANGHAI).date()
        due = []
        for rater in sorted(await box.raters(rnd.id)):
            if rater in skip or await box.has_handed_in(rnd.id, rater) or await box.drafts(rnd.id, rater):
                continue
            rng = random.Random(f"{rater}|{label}")
            if self.runtime.calendar.current.add_working_days(opened, rng.randint(0, 4)) > day:
                continue
            due.append((rater, rng, [c.ratee for c in await box.assignments_of(rnd.id, rater)]))
        return due

    def _seen(self, rng: random.Random, ratees: list[str]) -> list[str]:
        """Everyone sees the same cadres a little differently: best first."""
        return sorted(ratees, key=lambda u: -(random.Random(u).uniform(80, 92) + rng.uniform(-3, 3)))

    async def _rate(self, rater: str, rng: random.Random, ratees: list[str]) -> None:
        people = self.runtime.directory.current.people
        # Only the best one gets 90+, which keeps every ballot within the forced distribution.
        for rank, ratee in enumerate(self._seen(rng, ratees)):
            score = rng.randint(90, 94) if rank == 0 else min(89, rng.randint(78, 89) - rank // 3)
            await self._say(rater, f"评分 {people[ratee].name} {score}")
        if rng.random() < 0.85:  # the rest are handed in by the close, complete as they are
            await self._say(rater, "评分 提交")

    async def _evaluate(self, rater: str, rng: random.Random, ratees: list[str]) -> None:
        """德、能、勤、绩、廉 for each colleague, as they rate them: the better seen, the higher."""
        people = self.runtime.directory.current.people
        for rank, ratee in enumerate(self._seen(rng, ratees)):
            base = 94 - rank // 2
            marks = " ".join(str(min(100, base + rng.randint(-4, 2))) for _ in range(5))
            await self._say(rater, f"测评 {people[ratee].name} {marks}")
        if rng.random() < 0.85:  # the rest are handed in by the close, complete as they are
            await self._say(rater, "测评 提交")

    async def _decide(self, leave: PlannedLeave, skip: frozenset[str]) -> None:
        async with self.runtime.sessions() as session:
            pending = [row for row in await Store(session).leave.pending() if row.userid == leave.userid]
        requester = self.runtime.directory.current.people[leave.userid]
        leaders = [
            p for p in self.runtime.directory.current.members(requester.unit.id)
            if p.role is Role.main_leader and p.userid not in skip
        ]
        if pending and leaders:
            await self._say(leaders[0].userid, f"批准请假 {pending[0].id}")

    async def _say(self, userid: str, text: str) -> None:
        now = self.clock.now()
        wecom = self.runtime.settings.wecom
        inbound = Inbound(
            kind="text", raw_type="text", from_user=userid, to_user=wecom.corp_id,
            agent_id=wecom.agent_id, create_time=int(now.timestamp()),
            msg_id=str(next(self._msg_ids)), content=text,
        )
        reply = await self.runtime.dispatcher.handle(inbound)
        log.debug("demo %s %s: %s → %s", now, userid, text, reply.text)
        if self.on_said is not None:
            self.on_said(userid, text, reply, now)

    # ---- time ----

    async def live_until(self, until: datetime, skip: frozenset[str] = frozenset()) -> None:
        """Move the clock to `until`: everyone's doings and every scheduled job in between
        happen at their own instants, in order."""
        start = self.clock.now()
        if until <= start:
            return
        steps: list[tuple[datetime, int, Action]] = []
        order = itertools.count()
        day = start.date()
        # With no plan (a rehearsal), the people are an operator's own: they speak only when played.
        plan = self.plan
        while plan is not None and day <= until.date():
            for instant, action in self._day_events(plan, day, skip):
                if start < instant <= until:
                    steps.append((instant, next(order), action))
            day += timedelta(days=1)
        for instant, job in due_between(all_jobs(), self.runtime.jobs.settings, start, until):
            steps.append((instant, -1, functools.partial(self._run, job, instant)))
        steps.sort(key=lambda step: step[:2])
        for instant, actions in _together(steps):
            self.clock.advance_to(instant)
            if isinstance(actions, list):
                await asyncio.gather(*(self._say(say.userid, say.text) for say in actions))
            else:
                await actions()
            if self.deliver:
                await self.runtime.sender.drain_once()
        self.clock.advance_to(until)

    async def _run(self, job: ScheduledJob, instant: datetime) -> None:
        try:
            await run_job(job, self.runtime.jobs, instant)
        except Exception:  # as in the scheduler: one failed pass must not stop the rest
            log.exception("demo: job %s for %s failed", job.id, instant)


def _together(
    steps: list[tuple[datetime, int, Action]],
) -> Iterator[tuple[datetime, list[Say] | Callable[[], Awaitable[None]]]]:
    """Steps in order; messages of different people within `_TOGETHER` of the first go as one."""
    group: tuple[datetime, list[Say]] | None = None  # (the first's instant, the messages)
    for instant, _, action in steps:
        if group is not None and (
            not isinstance(action, Say)
            or instant - group[0] > _TOGETHER
            or any(say.userid == action.userid for say in group[1])
        ):
            yield group
            group = None
        if isinstance(action, Say):
            if group is None:
                group = (instant, [])
            group[1].append(action)
        else:
            yield instant, action
    if group is not None:
        yield group


async def settle_history(runtime: Runtime, now: datetime) -> int:
    """Pushes queued before the demo's first day were delivered back then, to phones the demo
    does not have: record them as sent so they do not all arrive at once when it opens."""
    settled = 0
    while True:
        async with runtime.sessions() as session, session.begin():
            store = Store(session)
            rows = await store.outbox.due(now, 500)
            for row in rows:
                assert row.id is not None
                if await store.outbox.claim(row.id, now):
                    await store.outbox.finish(row.id, "sent", now)
                    settled += 1
        if not rows:
            return settled
