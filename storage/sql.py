"""SQL helpers shared by the repositories."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
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
        for _i, _process, seen in processors:
            seen.clear()
        await inserts_done(session)
        statement = connection.exec_driver_sql(compiled.string, batch)
        if _OVERLAP not in session.info:
            await statement
            continue
        session.info[_OVERLAP] = asyncio.ensure_future(statement)
        await asyncio.sleep(0)  # under way: the driver's thread (or the server) runs it now


_OVERLAP = "shiji.insert_under_way"


@asynccontextmanager
async def overlapped_inserts(session: AsyncSession) -> AsyncIterator[None]:
    """Inside, `insert_rows` returns once its statement is under way, and the caller prepares
    the next rows while SQLite (in aiosqlite's thread, without the GIL) or PostgreSQL stores
    these: a round's opening would otherwise wait for either one in turn. Anything else run on
    the session inside must first `await inserts_done(session)`; leaving waits for the last."""
    session.info[_OVERLAP] = None
    try:
        yield
        await inserts_done(session)
    finally:
        under_way = session.info.pop(_OVERLAP, None)
        if under_way is not None:  # left by an error: let it end before the rollback
            with contextlib.suppress(Exception):
                await under_way


async def inserts_done(session: AsyncSession) -> None:
    """Wait for the insert `overlapped_inserts` left under way, if any; its error is raised here."""
    under_way = session.info.get(_OVERLAP)
    if under_way is not None:
        session.info[_OVERLAP] = None
        await under_way
