"""Logging: one format for the whole process (text, or one JSON object a line), and a quiet
stand-in for aiohttp's protocol logger so that garbage HTTP from outside costs one line.

What goes into a log line is decided where it is logged; the rule everywhere is: request ids,
userids, outcomes and timings, never a message body at INFO and never a score.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from aiohttp.http_exceptions import HttpProcessingError

from bot.wecom.api import redact

# `log.info(..., extra=fields(rid=..., outcome=...))` puts these keys into the JSON object.
_FIELDS = "shiji_fields"


def fields(**values: Any) -> dict[str, Any]:
    return {_FIELDS: values}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, _FIELDS, {}),
        }
        if record.exc_info:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class RedactSecrets(logging.Filter):
    """The last guard before a line is written: no corp secret or access token, in the message
    or in a traceback, whatever a library put into an exception's text."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            record.msg, record.args = redact(record.getMessage()), None
        except (TypeError, ValueError):  # arguments that do not fit: logging's own report says so
            pass
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def configure(json_lines: bool, verbose: bool) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RedactSecrets())
    handler.setFormatter(
        JsonFormatter() if json_lines else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    logging.getLogger("alembic").setLevel(logging.DEBUG if verbose else logging.WARNING)


class _AsDebug(logging.Filter):
    """INFO lines of some loggers (and their children) turned into DEBUG lines."""

    def __init__(self, names: tuple[str, ...]) -> None:
        super().__init__()
        self._names = names

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.INFO or not any(
            record.name == name or record.name.startswith(name + ".") for name in self._names
        ):
            return True
        record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        return logging.getLogger().isEnabledFor(logging.DEBUG)


@contextmanager
def as_debug(*names: str) -> Iterator[None]:
    """While inside, the INFO lines of these loggers are DEBUG lines (shown with -v only):
    the demo's replay of months of scheduled jobs is not news to whoever starts it.
    Warnings and errors stay as they are."""
    demote = _AsDebug(names)
    handlers = list(logging.getLogger().handlers)
    for handler in handlers:
        handler.addFilter(demote)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(demote)


class HttpNoise:
    """Given to aiohttp as its protocol `logger`. A request aiohttp cannot even parse (bad
    request line, an 8 KB URL, Content-Length beside Transfer-Encoding) is the client's fault:
    one WARNING line, at most `per_minute` a minute, the rest counted into the next line.
    Anything else that reaches aiohttp's logger is our fault and keeps its traceback."""

    def __init__(self, per_minute: int = 10) -> None:
        self._log = logging.getLogger("shiji.http")
        self._per_minute = per_minute
        self._window = 0.0
        self._logged = 0
        self._suppressed = 0

    def debug(self, *args: Any, **kwargs: Any) -> None:
        self._log.debug(*args, **kwargs)

    def warning(self, *args: Any, **kwargs: Any) -> None:
        self._log.warning(*args, **kwargs)

    def exception(self, msg: str, *args: Any, exc_info: Any = True, **kwargs: Any) -> None:
        if not isinstance(exc_info, HttpProcessingError | ConnectionError):
            self._log.error(msg, *args, exc_info=exc_info, **kwargs)
            return
        now = time.monotonic()
        if now - self._window >= 60:
            self._window, self._logged = now, 0
        if self._logged >= self._per_minute:
            self._suppressed += 1
            return
        self._logged += 1
        remote = args[0] if args else "?"
        more = f" (+{self._suppressed} more since)" if self._suppressed else ""
        self._suppressed = 0
        self._log.warning(
            "malformed HTTP from %s: %s%s", remote, type(exc_info).__name__, more,
            extra=fields(remote=str(remote), error=type(exc_info).__name__),
        )
