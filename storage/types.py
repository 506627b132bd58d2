"""Column types: datetimes are stored as UTC and come back aware, in Asia/Shanghai.

Shanghai on the way out, because whatever reads a stored time may show it to a person (a CLI
listing, a deadline in a reply), and every time shown to a person is Asia/Shanghai.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from scoring.clock import SHANGHAI


class AwareDateTime(TypeDecorator[datetime]):
    """SQLite drops offsets; PostgreSQL keeps them. Store UTC, read back Asia/Shanghai."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: every time in shiji is timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(SHANGHAI)
