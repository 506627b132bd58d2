"""SQL helpers shared by the repositories."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from itertools import chain, islice
from typing import Any, cast

from sqlalchemy import Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult, Dialect, Result
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlmodel import SQLModel


def table_of(model: type[SQLModel]) -> Table:
    """A table model's Table, for Core statements (inserts, RETURNING, bulk rows)."""
    # SQLModel sets `__table__` on every `table=True` class but declares it on none.
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


def rowcount(result: Result[*tuple[Any, ...]]) -> int:
    """The rows an UPDATE or DELETE matched."""
    # Such a statement's result is a CursorResult; the session's execute() is typed as Result.
    return cast(CursorResult[*tuple[Any, ...]], result).rowcount


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """Dialect insert with ON CONFLICT support (SQLite and PostgreSQL spell it the same)."""
    return insert_of(session.bind.dialect.name if session.bind is not None else "sqlite")(table)


def insert_of(dialect_name: str) -> Any:
    return postgresql.insert if dialect_name == "postgresql" else sqlite.insert


@dataclass(frozen=True)
class Compiled:
    """A statement compiled once for a dialect, as its driver takes it: the SQL, and the order
    its named parameters go in (for statements sent through the driver, not SQLAlchemy)."""

    sql: str
    order: tuple[str, ...]
    constants: dict[str, Any]  # parameters the statement itself fixes (a literal it uses)

    def params(self, values: dict[str, Any]) -> list[Any]:
        if self.constants:
            values = {**self.constants, **values}
        return [values[name] for name in self.order]


def compile_for(statement: ClauseElement, dialect: Dialect) -> Compiled:
    compiled = statement.compile(dialect=dialect)
    constants = {name: value for name, value in compiled.params.items() if value is not None}
    return Compiled(str(compiled), tuple(cast(SQLCompiler, compiled).positiontup or ()), constants)


def bind_processor(column: Any, dialect: Dialect) -> Callable[[Any], Any]:
    """What the driver gets for a value of `column`: the column type's own conversion (an aware
    datetime to UTC, a date to ISO text on SQLite), or the value itself."""
    process = column.type.bind_processor(dialect)
    return process if process is not None else _unchanged


def _unchanged(value: Any) -> Any:
    return value


ROWS_PER_STATEMENT = 500


@functools.lru_cache(maxsize=64)
def _multi_row_insert(
    dialect: Dialect, table: Any, columns: tuple[str, ...], count: int, skip_conflicts_on: tuple[str, ...] | None
) -> str:
    """INSERT of `count` rows, its parameters row after row in `columns`' order (compiling
    thousands of parameters takes a while: once per shape)."""
    names = [f"{key}_{r}" for r in range(count) for key in columns]
    stmt = insert_of(dialect.name)(table).values([{key: bindparam(f"{key}_{r}") for key in columns} for r in range(count)])
    if skip_conflicts_on is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(skip_conflicts_on))
    compiled = compile_for(stmt, dialect)
    if list(compiled.order) != names:
        raise ValueError(f"{dialect.name}: parameters not positional, row after row")
    return compiled.sql


async def insert_rows(
    session: AsyncSession, table: Any, columns: Sequence[str], rows: Iterable[Sequence[Any]],
    *, skip_conflicts_on: Sequence[str] | None = None, chunk: int = 10_000,
) -> None:
    """Insert `rows` (values in `columns`' order), `chunk` rows per call: on SQLite multi-row
    statements through the driver's executemany, on PostgreSQL by COPY (`_PostgresCopy`).

    For a million rows: SQLAlchemy's per-row parameter handling (~10 µs a row) is skipped;
    the columns' own bind processing (an aware datetime to UTC) still runs, once per
    distinct value. Many rows per statement: SQLite then steps through hundreds of rows
    without the GIL, instead of taking it back for every row (see `bulk_inserts`).
    `skip_conflicts_on`: ON CONFLICT (those columns) DO NOTHING.
    """
    connection = await session.connection()
    dialect = connection.dialect
    per_statement = max(1, min(ROWS_PER_STATEMENT, dialect.insertmanyvalues_max_parameters // len(columns)))

    def statement(count: int) -> str:
        return _multi_row_insert(dialect, table, tuple(columns), count,
                                 None if skip_conflicts_on is None else tuple(skip_conflicts_on))

    processors: list[tuple[int, Callable[[Any], Any], dict[Any, Any]]] = [(i, process, {}) for i, key in enumerate(columns)
                  if (process := bind_processor(table.c[key], dialect)) is not _unchanged]

    def prepared(row: Sequence[Any]) -> Sequence[Any]:
        if not processors:
            return row
        values = list(row)
        for i, process, seen in processors:  # seen: value → processed, for this chunk
            value = values[i]
            try:
                values[i] = seen[value]
            except KeyError:
                values[i] = seen[value] = process(value)
        return values

    if dialect.name == "postgresql":
        await inserts_done(session)  # the connection does one thing at a time
        # A statement through SQLAlchemy first: its transaction begins on the connection
        # (lazily, at the first statement), so the COPY below runs inside it.
        await connection.exec_driver_sql("SELECT 1")
        raw = (await connection.get_raw_connection()).driver_connection
        copy = _PostgresCopy(raw, table.name, tuple(columns), skip_conflicts_on)

    async def run(batch: list[Sequence[Any]]) -> None:
        if dialect.name == "postgresql":
            await copy.rows(batch)
            return
        whole = len(batch) - len(batch) % per_statement
        if whole:
            await connection.exec_driver_sql(statement(per_statement), [
                tuple(chain.from_iterable(batch[at : at + per_statement])) for at in range(0, whole, per_statement)
            ])
        if whole < len(batch):
            await connection.exec_driver_sql(statement(len(batch) - whole), tuple(chain.from_iterable(batch[whole:])))

    pending = iter(rows)
    while batch := [prepared(row) for row in islice(pending, chunk)]:
        for _i, _process, seen in processors:
            seen.clear()
        await inserts_done(session)
        if _OVERLAP not in session.info:
            await run(batch)
            continue
        session.info[_OVERLAP] = asyncio.ensure_future(run(batch))
        await asyncio.sleep(0)  # under way: the driver's thread (or the server) runs it now


class _PostgresCopy:
    """PostgreSQL's COPY, several times faster than INSERT for a province's rows. Rows that
    must skip conflicts go through a staging table (COPY itself cannot skip them), then into
    the table in the order they came (outbox ids are the send order)."""

    def __init__(self, raw: Any, table: str, columns: tuple[str, ...], skip_conflicts_on: Sequence[str] | None) -> None:
        self._raw, self._table, self._columns = raw, table, columns
        self._skip = None if skip_conflicts_on is None else ", ".join(skip_conflicts_on)
        self._staged = False

    async def rows(self, batch: list[Sequence[Any]]) -> None:
        if self._skip is None:
            await self._raw.copy_records_to_table(self._table, records=batch, columns=list(self._columns))
            return
        staging, listed = f"shiji_staging_{self._table}", ", ".join(self._columns)
        if not self._staged:  # once per transaction: ON COMMIT DROP
            await self._raw.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {staging} ON COMMIT DROP AS "
                f"SELECT {listed}, 0::bigint AS shiji_order FROM {self._table} WITH NO DATA"
            )
            self._staged = True
        await self._raw.copy_records_to_table(
            staging, records=[(*row, order) for order, row in enumerate(batch)],
            columns=[*self._columns, "shiji_order"],
        )
        await self._raw.execute(
            f"INSERT INTO {self._table} ({listed}) SELECT {listed} FROM {staging} ORDER BY shiji_order "
            f"ON CONFLICT ({self._skip}) DO NOTHING; TRUNCATE {staging}"
        )


_OVERLAP = "shiji.insert_under_way"


@asynccontextmanager
async def bulk_inserts(session: AsyncSession) -> AsyncIterator[None]:
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
    """Wait for the insert `bulk_inserts` left under way, if any; its error is raised here."""
    under_way = session.info.get(_OVERLAP)
    if under_way is not None:
        session.info[_OVERLAP] = None
        await under_way
