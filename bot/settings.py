"""Settings: `settings.toml` (or --config / SHIJI_SETTINGS) overridden by SHIJI_<SECTION>__<KEY>.

Loaded once into a frozen model and passed down; nothing reads settings at import time.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)
from sqlalchemy.engine import make_url

from scoring.rule_settings import (
    AdminSettings,
    CalendarSettings,
    DigestSettings,
    GradeSettings,
    HousekeepingSettings,
    JobSettings,
    LeaveSettings,
    LogSettings,
    NoticeSettings,
    RatingSettings,
    ReminderSettings,
    RosterSettings,
    RuleSettings,
    ScoringSettings,
    Section,
    SummarySettings,
    TrustSettings,
    YearSettings,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SETTINGS_FILE = REPO_ROOT / "settings.toml"


class WeComSettings(Section):
    """The app's secrets have no default: they come from the environment (SHIJI_WECOM__TOKEN
    …), and `shiji serve` refuses to start without them (bot/startup_check.py). `shiji demo`
    brings its own (bot/demo/credentials.py)."""

    corp_id: str = ""
    agent_id: int = 1000002
    secret: str = ""
    token: str = ""
    encoding_aes_key: str = ""
    api_base: str = "https://qyapi.weixin.qq.com"
    callback_path: str = "/wecom/callback"
    # Callbacks older than this (or this far in the future) are refused: replay protection.
    max_callback_age_seconds: int = 300


class ServerSettings(Section):
    host: str = "127.0.0.1"
    port: int = 8700
    max_body_bytes: int = 64 * 1024
    # /healthz and /metrics on a port of their own (0 = on the callback port).
    ops_host: str = "127.0.0.1"
    ops_port: int = 0
    # One JSON object per log line (for a log collector) instead of plain text.
    log_json: bool = False


class DatabaseSettings(Section):
    url: str = "sqlite+aiosqlite:///data/shiji.db"
    # Group commit: at most this many messages share one transaction.
    batch_max: int = 128
    # PostgreSQL only: how many hot-path transactions (today's logs) one process keeps in
    # flight, each on a connection of its own; one sender's messages always share one. More
    # than one pays where round trips are long (PostgreSQL across a network) and CPU is free:
    # each lane's batches are smaller, and a batch costs this process ~2 ms of CPU whatever
    # its size (measured on the shared 2-core machine: 1 lane ~950 logs/s, 3 lanes ~670).
    pg_lanes: int = Field(default=1, ge=1, le=8)
    # SQLite only. FULL: an acknowledged message survives power loss (one fsync per batch).
    # NORMAL: survives a crash of the process, may lose the last commits on power loss.
    sqlite_synchronous: Literal["FULL", "NORMAL"] = "FULL"


class ClockSettings(Section):
    """No time-zone key: every date is a date in Asia/Shanghai (bot/clock.py says why)."""

    # Unset = real time. Set = the clock starts at this instant and runs on (demos, black-box tests).
    start: datetime | None = None

    @field_validator("start", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if value in ("", None) else value

    @field_validator("start")
    @classmethod
    def _must_be_aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("clock.start needs a UTC offset, e.g. 2026-12-28T17:00:00+08:00")
        return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        frozen=True,
        env_prefix="SHIJI_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    wecom: WeComSettings = Field(default_factory=WeComSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    admin: AdminSettings = Field(default_factory=AdminSettings)
    logs: LogSettings = Field(default_factory=LogSettings)
    clock: ClockSettings = Field(default_factory=ClockSettings)
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

    @cached_property
    def rules(self) -> RuleSettings:
        """The sections handlers and jobs read: handed down, so they never import bot/.
        Built from RuleSettings' own field list, so a new rule section cannot be forgotten here."""
        return RuleSettings(**{name: getattr(self, name) for name in RuleSettings.model_fields})

    # Set per load by load_settings(); a class attribute because pydantic-settings builds
    # its sources from the class, not the instance.
    toml_path: ClassVar[Path | None] = None
    # Where a relative SQLite path named the database before it was read against the settings
    # file's folder (the current directory): a deployment upgraded with its data there is told.
    sqlite_in_current_folder: ClassVar[Path | None] = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml_file = getattr(settings_cls, "toml_path", None)
        if toml_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)


def is_loopback_url(url: str) -> bool:
    """Whether `url` points at this machine (the demo's and the tests' WeCom stand-in)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def settings_path(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """--config wins, then SHIJI_SETTINGS, then the repo's settings.toml if present
    (next to the code, whatever the current directory), else none: built-in defaults."""
    if explicit:
        return Path(explicit)
    from_env = os.environ.get("SHIJI_SETTINGS")
    if from_env:
        return Path(from_env)
    return DEFAULT_SETTINGS_FILE if DEFAULT_SETTINGS_FILE.exists() else None


def load_settings(path: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
    """Load settings from TOML + environment; `overrides` (section dicts) win over both.

    A relative SQLite path is made absolute against the settings file's folder (the current
    directory without one), so a command run from elsewhere opens the same database.
    """
    toml_path = settings_path(path)
    if toml_path is not None and not toml_path.exists():
        raise FileNotFoundError(f"settings file not found: {toml_path}")
    # A throwaway subclass carries the file path into settings_customise_sources.
    bound: type[Settings] = type("BoundSettings", (Settings,), {"toml_path": toml_path})
    settings = bound(**overrides)
    folder = toml_path.resolve().parent if toml_path is not None else Path.cwd()
    url = anchored_sqlite_url(settings.database.url, folder)
    if url == settings.database.url:
        return settings
    bound.sqlite_in_current_folder = Path.cwd() / str(make_url(settings.database.url).database)
    return settings.model_copy(update={"database": settings.database.model_copy(update={"url": url})})


def anchored_sqlite_url(url: str, folder: Path) -> str:
    """`url` with a relative SQLite file path made absolute against `folder`; others unchanged."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or database in (None, "", ":memory:") or Path(database).is_absolute():
        return url
    return parsed.set(database=str(folder / database)).render_as_string(hide_password=False)


def where_text(settings: Settings, page: str | None = None) -> str:
    """The line every command starts with: which settings file, which database (no password);
    for `shiji chat`, which opens no database, the demo or rehearsal page it talks to."""
    toml_path = type(settings).toml_path
    source = str(toml_path.resolve()) if toml_path is not None else "内置默认"
    if page is not None:
        return f"shiji: 设置 {source}；对话页面 {page}（演示或演练正在使用的数据库）"
    database = make_url(settings.database.url).render_as_string(hide_password=True)
    return f"shiji: 设置 {source}；数据库 {database}"


def settings_problems(
    error: ValidationError | tomllib.TOMLDecodeError | SettingsError, path: Path | None
) -> list[str]:
    """One line per problem, for an operator: where (file and line, or the environment
    variable), which key, the bad value, and what is allowed."""
    if isinstance(error, tomllib.TOMLDecodeError):
        return [f"设置文件 {path} 不是有效的 TOML（{error}）：请改正这一处后重试。"]
    if isinstance(error, SettingsError):
        # pydantic-settings could not even parse an environment value: a list or table not in
        # JSON (SHIJI_ADMIN__USERIDS=kaohe_admin). Its message names the field, never the value.
        field = str(error).split('"')[1] if str(error).count('"') >= 2 else ""
        prefix = f"SHIJI_{field}__".upper()
        names = sorted(v for v in os.environ if v.upper().startswith(prefix)) or [f"SHIJI_{field.upper()}__…"]
        return [
            f"设置有误（环境变量 {'、'.join(names)}）：值无法解析；列表要写成 JSON，"
            """例如 SHIJI_ADMIN__USERIDS='["kaohe_admin"]'，请改正后重试。"""
        ]
    lines = []
    for problem in error.errors(include_url=False):
        loc = [str(part) for part in problem["loc"]]
        section, key = loc[0], ".".join(loc[1:])
        where = _origin(path, section, loc[1] if len(loc) > 1 else None)
        if problem["type"] == "extra_forbidden":
            what = f"没有 [{section}] 这一节" if not key else f"[{section}] 没有 {key} 这一项"
            lines.append(f"设置有误（{where}）：{what}；请对照仓库里的 settings.toml 改正拼写或删去。")
            continue
        reason = problem["msg"].removeprefix("Value error, ").removeprefix(f"[{section}]: ")
        if key:
            lines.append(f"设置有误（{where}）：[{section}] {key} = {problem['input']!r} 不可用：{reason}")
        else:
            lines.append(f"设置有误（{where}）：[{section}] {reason}")
    return lines


def _origin(path: Path | None, section: str, key: str | None) -> str:
    """Where a value came from: its environment variable if set, else the file (and line)."""
    if key is not None:
        name = f"SHIJI_{section}__{key}".upper()
        if any(variable.upper() == name for variable in os.environ):
            return f"环境变量 {name}"
    if path is None:
        return "环境变量或内置默认"
    line = _line_of(path, section, key)
    return f"{path} 第 {line} 行" if line else str(path)


def _line_of(path: Path, section: str, key: str | None) -> int | None:
    """The line of `key` in `[section]` (or of the section header), if written plainly."""
    current = None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    for number, line in enumerate(text.splitlines(), start=1):
        header = re.match(r"\s*\[\s*([^\]\s]+)\s*\]", line)
        if header:
            current = header.group(1)
            if key is None and current == section:
                return number
        elif key is not None and current == section and re.match(rf"\s*{re.escape(key)}\s*=", line):
            return number
    return None
