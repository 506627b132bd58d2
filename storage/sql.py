"""SQL helpers shared by the repositories."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """Dialect insert with ON CONFLICT support (SQLite and PostgreSQL spell it the same)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


async def insert_rows(
    session: AsyncSession, table: Any, columns: Sequence[str], rows: Iterable[Sequence[Any]],
    *, skip_conflicts_on: Sequence[str] | None = None, chunk: int = 10_000,
) -> None:
    """Insert `rows` (values in `columns`' order) through the driver's executemany.

    For a million rows: SQLAlchemy's per-row parameter handling (~10 µs a row) is skipped;
    the columns' own bind processing (an aware datetime to UTC) still runs, once per
    distinct value. `skip_conflicts_on`: ON CONFLICT (those columns) DO NOTHING.
    """
    stmt = dialect_insert(session, table)
    if skip_conflicts_on is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(skip_conflicts_on))
    connection = await session.connection()
    dialect = connection.dialect
    compiled = stmt.compile(dialect=dialect, column_keys=list(columns))
    order = [columns.index(key) for key in compiled.positiontup or ()]
    if len(order) != len(columns):
        raise ValueError(f"{dialect.name}: not a positional parameter style")
    processors = [(i, process, {}) for i, key in enumerate(columns)
                  if (process := table.c[key].type.dialect_impl(dialect).bind_processor(dialect)) is not None]
    in_order = order == list(range(len(columns)))

    def prepared(row: Sequence[Any]) -> tuple[Any, ...]:
        if not processors:
            return tuple(row) if in_order else tuple(row[i] for i in order)
        values = list(row)
        for i, process, seen in processors:  # seen: value → processed, for this chunk
            value = values[i]
            try:
                values[i] = seen[value]
            except KeyError:
                values[i] = seen[value] = process(value)
        return tuple(values) if in_order else tuple(values[i] for i in order)

    pending = iter(rows)
    while batch := [prepared(row) for row in islice(pending, chunk)]:
        await connection.exec_driver_sql(compiled.string, batch)
        for _i, _process, seen in processors:
            seen.clear()
