"""The settings that business rules read, as typed sections handed down by bot/ at start-up.

bot/settings.py composes them with the transport sections (WeCom, server, database, clock)
into the one Settings loaded from settings.toml; handlers and jobs see only `RuleSettings`,
so nothing below bot/ imports bot/.
"""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from scoring.config import ScoringConfig
from scoring.copied_logs import CopyRules
from scoring.reminder_budget import QuietHours
from scoring.roster import PeriodRule
from scoring.wecom_protocol import MAX_CHOICES, MAX_RECIPIENTS


class Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AdminSettings(Section):
    userids: tuple[str, ...] = ()


class LogSettings(Section):
    # Lengths count Chinese characters, letters and digits (scoring.plain_text.content_chars):
    # emoji, punctuation and spaces carry no content.
    min_chars: int = Field(default=15, ge=2)
    # A part appended to the day's log; smaller, but a single character is never content.
    append_min_chars: int = Field(default=6, ge=2)
    max_chars: int = 500
    target_chars: int = 50
    # Above this many characters the reply adds a gentle note (never a refusal).
    long_note_chars: int = 150
    backfill_working_days: int = 5
    # A day's log is locked (no append, 修改 or 撤回) after this many working days; unset = the
    # backfill window (issue 26: a day that may no longer be backfilled may no longer change;
    # Jingzhou's system locks after its edit window too).
    lock_working_days: int | None = Field(default=None, ge=1)
    # 补记 on a day that already has a log waits this long for 「确认补记」 (then lapses: a
    # confirmation typed an hour later must not append a text the cadre has forgotten).
    backfill_confirm_minutes: int = Field(default=30, ge=1)
    # The go-live date: nothing is owed before it (scoring/golive.py); unset = the effective
    # day of the first roster import.
    start_date: date | None = None

    @field_validator("start_date", "lock_working_days", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if value in ("", None) else value

    @property
    def lock_window(self) -> int:
        """Working days after which a day's log is locked (scoring/log_record.py)."""
        return self.backfill_working_days if self.lock_working_days is None else self.lock_working_days

    @model_validator(mode="after")
    def _lengths_in_order(self) -> LogSettings:
        if self.append_min_chars > self.min_chars:
            raise ValueError(
                f"append_min_chars（{self.append_min_chars}）不能大于 min_chars（{self.min_chars}）"
            )
        if self.min_chars > self.max_chars:
            raise ValueError(f"min_chars（{self.min_chars}）不能大于 max_chars（{self.max_chars}）")
        return self


class SummarySettings(Section):
    quarter_min_chars: int = 100
    quarter_max_chars: int = 1000
    year_min_chars: int = 200
    year_max_chars: int = 3000
    # Window in working days: the last N of the period and the first M after it ends.
    open_before_end_working_days: int = 5
    close_after_end_working_days: int = 10

    @model_validator(mode="after")
    def _lengths_in_order(self) -> SummarySettings:
        for period in ("quarter", "year"):
            low, high = getattr(self, f"{period}_min_chars"), getattr(self, f"{period}_max_chars")
            if low > high:
                raise ValueError(f"{period}_min_chars（{low}）不能大于 {period}_max_chars（{high}）")
        return self


class ReminderSettings(Section):
    daily_at: time = time(17, 30)
    last_day_at: time = time(10, 0)
    grace_minutes: int = 60
    # Recipients per outbox row (one WeCom send); WeCom takes at most 1,000 userids a send.
    batch_size: int = Field(default=MAX_RECIPIENTS, ge=1, le=MAX_RECIPIENTS)
    # Issue 26 item 8: at most this many scheduled reminders to one person a day, all kinds
    # together (log nudge, backfill deadline, rating, democratic evaluation); later ones that
    # day are not sent.
    daily_budget: int = Field(default=3, ge=1)
    # No scheduled reminder in [quiet_start, quiet_end) (spanning midnight when start > end;
    # equal = none): one due then waits for quiet_end, or is dropped if its day is over by then.
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)

    @property
    def quiet_hours(self) -> QuietHours:
        return QuietHours(self.quiet_start, self.quiet_end)


class TrustSettings(Section):
    """Copied and boilerplate logs flagged for the main leader and the admin, never scored
    (issue 26, item 5; scoring/copied_logs.py). Similarities are Jaccard estimates of
    character 3-grams; measured on tests/fixtures/copied_logs.json (tests/scoring/test_copied_logs.py)."""

    # The nightly check of the last 7 days' logs (handlers/services/log_flags.py), before the
    # digest (Monday 08:30) and off the busy hours.
    check_at: time = time(3, 45)
    own_similarity: float = Field(default=0.7, gt=0, le=1)
    own_lookback_days: int = Field(default=14, ge=1)
    colleague_similarity: float = Field(default=0.8, gt=0, le=1)
    colleague_days: int = Field(default=1, ge=0)
    template_share: float = Field(default=0.5, gt=0, le=1)
    # A log with fewer content characters outside recurring-duty clauses is a rota, never a copy.
    min_substance_chars: int = Field(default=12, ge=1)
    # Clauses naming these are recurring duties: the same words every week are no copy.
    routine_words: tuple[str, ...] = ("值班", "带班", "例会", "周例会", "晨会", "学习上级文件", "集中学习", "政治学习")
    # 套话: phrases that say nothing of the day's work.
    template_phrases: tuple[str, ...] = (
        "认真学习贯彻", "上级会议精神", "进一步提高思想认识", "提高思想认识", "扎实推进各项工作落实", "扎实推进",
        "切实做好本职工作", "严格落实工作责任", "不断提升服务水平", "高度重视", "按照上级要求", "统筹推进",
        "确保各项工作取得实效", "持续深化作风建设", "全力以赴抓好落实", "完成领导交办事项", "完成领导交办的其他工作",
        "认真完成本职工作", "积极配合", "履职尽责",
    )

    @property
    def rules(self) -> CopyRules:
        return CopyRules(
            own_similarity=self.own_similarity, own_lookback_days=self.own_lookback_days,
            colleague_similarity=self.colleague_similarity, colleague_days=self.colleague_days,
            template_share=self.template_share, min_substance_chars=self.min_substance_chars,
            routine_words=self.routine_words, template_phrases=self.template_phrases,
        )


class DigestSettings(Section):
    """The weekly digest to each unit's main leader (issue 26, item 6)."""

    # Monday (weekday 0) at this time, last week's digest goes out.
    at: time = time(8, 30)
    weekday: int = Field(default=0, ge=0, le=6)
    # Units (by name, as on the roster) whose leaders asked not to get it.
    off_units: tuple[str, ...] = ()


class LeaveSettings(Section):
    # Longest single 请假/出差 registration, in calendar days.
    max_days: int = 60
    # How far ahead leave may be registered, in calendar days.
    max_days_ahead: int = 180


class HousekeepingSettings(Section):
    # Dedupe records (with the reply kept for WeCom's retries) older than this are pruned.
    # WeCom retries within seconds and stale callbacks are refused after minutes: a day is ample.
    inbound_keep_days: int = Field(default=7, ge=1)
    prune_at: time = time(3, 30)


class CalendarSettings(Section):
    """Next year's official holiday schedule (国务院 publishes it in November or December)."""

    # From this day (MM-DD) on, admins are told every working day until next year is loaded.
    warn_from: str = Field(default="12-01", pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")
    warn_at: time = time(9, 0)

    @property
    def warn_from_day(self) -> tuple[int, int]:
        month, day = self.warn_from.split("-")
        return int(month), int(day)


class RatingSettings(Section):
    """考实绩 quarterly rating rounds (R-RATE-1, R-CHAT-3, R-RATE-6)."""

    # A quarter's round opens on the N-th working day after the quarter ends ...
    open_after_working_days: int = 1
    # ... and stays open this many working days (the opening day counts as the first).
    duration_working_days: int = Field(default=10, ge=1)
    open_at: time = time(9, 0)
    close_at: time = time(18, 0)
    remind_at: time = time(10, 0)
    # R-RATE-6: a unit with fewer cadres than this may propose approved extra raters.
    small_unit_below: int = 8
    # Scores offered in the card's drop-down after its 「请选择分数」 prompt (WeCom allows 10
    # options, so 9 scores); any other integer in range goes by text `评分 姓名 分数`.
    card_scores: tuple[int, ...] = (98, 95, 92, 90, 88, 85, 80, 75, 70)
    # How much of the quarterly summary the card quotes.
    card_summary_chars: int = 60

    @field_validator("card_scores")
    @classmethod
    def _fit_drop_down(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not 1 <= len(value) <= MAX_CHOICES or len(set(value)) != len(value):
            raise ValueError(
                f"card_scores: 1 to {MAX_CHOICES} distinct integers (WeCom's 10 drop-down options, one is the prompt)"
            )
        return value


class YearSettings(Section):
    """用实绩 year-end: the democratic evaluation (R-YEAR-1). Its timing (duration, closing
    time, daily reminder) follows [rating]."""

    # The evaluation opens on its own on this working day of the new year; 0 = only when the
    # admin opens it (开启测评 / shiji year open).
    open_after_working_days: int = Field(default=0, ge=0)
    # Who evaluates whom, as "rater_role:ratee_role"; empty = every cadre of a unit evaluates
    # every other cadre of it. Approved extra raters of small units always take part.
    evaluators: tuple[str, ...] = ()
    # Marks offered in each card drop-down, after the non-mark 「请选择分数」 (WeCom: at most
    # 10 options); any other integer goes by text 「测评 姓名 德 能 勤 绩 廉」.
    card_scores: tuple[int, ...] = (95, 92, 90, 88, 85, 80, 75, 70, 60)

    @field_validator("card_scores")
    @classmethod
    def _fit_drop_down(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        return RatingSettings._fit_drop_down(value)

    @field_validator("evaluators")
    @classmethod
    def _pairs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        roles = {"main_leader", "leadership", "staff"}
        for pair in value:
            rater, _, ratee = pair.partition(":")
            if rater not in roles or ratee not in roles:
                raise ValueError(f"evaluators: {pair!r} is not rater_role:ratee_role")
        return value


class GradeSettings(Section):
    """The year's result as national rules frame it (scoring/grades.py). Figures the stored
    public texts do not settle are marked (check): conservative defaults, to be confirmed
    against the district's own provincial rules."""

    # 平时考核 bands (公务员平时考核办法（试行）names the grades; the bands 90/80/60 and the
    # 40% cap on 好 are local practice (check)).
    good_from: Decimal = Decimal(90)
    fairly_good_from: Decimal = Decimal(80)
    fair_from: Decimal = Decimal(60)
    good_share: Decimal = Field(default=Decimal("0.40"), ge=0, le=1)
    # Annual 优秀 needs 好 in at least this share of the year's graded quarters and no 一般/较差
    # (local practice (check); 公务员法 第三十五条: the annual result rests on the 平时 ones).
    excellent_needs_good_share: Decimal = Field(default=Decimal("0.5"), ge=0, le=1)
    excellent_bars_fair_or_poor: bool = True
    # Triggers that list a cadre for the 考核办 to consider 基本称职/不称职 (0 = off); the
    # system never grades so by itself.
    review_last_place_years: int = Field(default=2, ge=0)
    review_missing_days: int = Field(default=20, ge=0)
    review_weak_quarters: int = Field(default=2, ge=0)
    # Three consecutive 优秀 → a 记三等功 candidate (公务员考核规定 (check)).
    merit_after_excellent_years: int = Field(default=3, ge=0)
    # 公示 of the proposed 优秀: at least 5 working days (公务员考核规定 (check)).
    publicity_working_days: int = Field(default=5, ge=1)
    # 复核 within 30 days of learning the result; decided within 30 days; 申诉 within 15 days of
    # the decision (公务员法 第九十五条、第九十六条; 日 = calendar days).
    review_request_days: int = Field(default=30, ge=1)
    review_decision_days: int = Field(default=30, ge=1)
    appeal_request_days: int = Field(default=15, ge=1)
    # 人员类别 of a roster line that names none: civil_servant (公务员, 公务员法 第三十六条) or
    # institution (事业单位, 事业单位工作人员考核规定 (2023)); names the annual grades.
    default_category: str = Field(default="civil_servant", pattern="^(civil_servant|institution)$")

    @model_validator(mode="after")
    def _bands_in_order(self) -> GradeSettings:
        if not self.fair_from <= self.fairly_good_from <= self.good_from:
            raise ValueError(
                f"平时考核分数段须 fair_from（{self.fair_from}）≤ fairly_good_from（{self.fairly_good_from}）"
                f"≤ good_from（{self.good_from}）"
            )
        return self


# scoring.grades.AnnualGrade's values (that module reads this one, so they are named here too;
# tests/scoring/test_notice_settings.py keeps the two the same).
GradeValue = Literal["excellent", "competent", "basically_competent", "incompetent", "undetermined", "not_assessed"]


class NoticeSettings(Section):
    """The year's 公示, written notice and 复核 (issue 24 items 5–7): reminders, the daily
    check, and who may request 复核. The clocks themselves are [grades]."""

    # Remind the 考核办 of open objections from this many working days before a 公示's last
    # day (1 = on the last day only); once a day until none is open.
    remind_working_days_before_end: int = Field(default=2, ge=1)
    # The daily check on working days: the reminder, and making the year final once every
    # unit's 公示 has ended with no objection open.
    check_at: time = time(9, 0)
    # Remind once a cadre who has not answered the written notice (确认 / 有异议) this many
    # working days after it was sent (local practice; no national figure).
    answer_remind_working_days: int = Field(default=5, ge=1)
    # The grades a cadre may request 复核 of (scoring.grades.AnnualGrade values): 不称职 is the
    # one the 公务员法 makes contestable (第九十五条); some districts open it to others.
    review_grades: tuple[GradeValue, ...] = ("incompetent",)


class ScoringSettings(Section):
    """Overrides of scoring.ScoringConfig; unset keys keep ScoringConfig's own defaults.

    ScoringConfig stays the one source of defaults, so a key is only given here when a
    district deviates from the SPEC. Checked once at start-up (a bad value fails loudly).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    score_min: int | None = None
    score_max: int | None = None
    high_score: int | None = None
    high_share: Decimal | None = None
    min_group_size: int | None = None
    group_weights: dict[str, dict[str, Decimal]] | None = None
    rater_groups: dict[str, str] | None = None
    extra_rater_group: str | None = None
    log_deduction_per_day: Decimal | None = None
    log_deduction_cap: Decimal | None = None
    quarter_summary_deduction: Decimal | None = None
    annual_summary_deduction: Decimal | None = None
    annual_weights_main_leader: tuple[Decimal, Decimal, Decimal] | None = None
    annual_weights_other: tuple[Decimal, Decimal, Decimal] | None = None
    excellent_share: Decimal | None = None
    excellent_min_unit_size: int | None = None
    promotion_window_years: int | None = None
    last_place_min_unit_size: int | None = None

    @model_validator(mode="after")
    def _builds(self) -> ScoringSettings:
        try:
            self.config  # noqa: B018  (build once now: a bad settings file fails at start-up)
        except (TypeError, ValueError) as error:
            raise ValueError(f"[scoring]: {error}") from error
        return self

    @cached_property
    def config(self) -> ScoringConfig:
        given = {name: value for name, value in self if value is not None}
        return ScoringConfig(**given)


class RosterSettings(Section):
    """Which roster line places a cadre who moved or was promoted during a period.

    end: the line in force on the period's last day (as 公务员考核规定 has the current unit
    evaluate); longest: the line in force for most days of the period.
    """

    # A quarter's rating groups (unit, role) and unit headcounts.
    quarter_rule: PeriodRule = PeriodRule.end
    # A year's rank level for district-wide rankings, unit for unit rankings and excellent quotas,
    # role for the annual weights, and the colleagues of its democratic evaluation.
    year_rule: PeriodRule = PeriodRule.end


class JobSettings(Section):
    """Which admin commands answer at once and which become a job (issue 25): decided by the
    roster's size, never by how long the work happens to take, so the same request always
    gets the same kind of answer. A district (1,340 cadres) is answered at once; a city or a
    province gets 「已开始，完成后通知您」 and the result as a message later."""

    inline_max_cadres: int = Field(default=3000, ge=0)
    # 缺记统计 whose text would take more WeCom messages than this comes as a workbook.
    inline_max_messages: int = Field(default=4, ge=1)


class RuleSettings(Section):
    """Every section a handler or a job may read; built once by bot/ from Settings."""

    admin: AdminSettings = Field(default_factory=AdminSettings)
    logs: LogSettings = Field(default_factory=LogSettings)
    summaries: SummarySettings = Field(default_factory=SummarySettings)
    reminders: ReminderSettings = Field(default_factory=ReminderSettings)
    trust: TrustSettings = Field(default_factory=TrustSettings)
    digest: DigestSettings = Field(default_factory=DigestSettings)
    rating: RatingSettings = Field(default_factory=RatingSettings)
    scoring: ScoringSettings = Field(default_factory=ScoringSettings)
    leave: LeaveSettings = Field(default_factory=LeaveSettings)
    roster: RosterSettings = Field(default_factory=RosterSettings)
    year: YearSettings = Field(default_factory=YearSettings)
    grades: GradeSettings = Field(default_factory=GradeSettings)
    notice: NoticeSettings = Field(default_factory=NoticeSettings)
    housekeeping: HousekeepingSettings = Field(default_factory=HousekeepingSettings)
    calendar: CalendarSettings = Field(default_factory=CalendarSettings)
    jobs: JobSettings = Field(default_factory=JobSettings)
