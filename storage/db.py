"""Engine, migrations and sessions for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# aiosqlite logs every statement with its parameters at DEBUG: message bodies must never reach a log.
logging.getLogger("aiosqlite").setLevel(logging.INFO)


SYNCHRONOUS = ("FULL", "NORMAL")


# Exceptions that are a blink whoever raises them.
_TRANSIENT_TYPES: tuple[type[BaseException], ...] = (
    OperationalError,  # SQLite busy; PostgreSQL through a driver that calls it so
    sqlite3.OperationalError,  # the same from the hot path's plain sqlite3 connection
    InterfaceError,  # asyncpg: the connection is closed
    SQLAlchemyTimeoutError,  # pool exhausted while connections were being replaced
    ConnectionError,  # refused or reset while connecting
    asyncpg.exceptions.ConnectionDoesNotExistError,
)
# SQLSTATEs of a server going away or not there yet: connection exceptions (class 08),
# 57P01 admin_shutdown (a fast restart ends every session), 57P02 crash_shutdown (another
# backend crashed), 57P03 cannot_connect_now ("starting up", "shutting down", "not yet
# accepting connections"), 53300 too_many_connections (every client reconnecting at once).
_TRANSIENT_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})


def is_transient(error: BaseException) -> bool:
    """A database error that says nothing about the work: the server restarted or is
    restarting, a connection was cut, a pool checkout timed out, SQLite was busy. Running the
    same work again moments later may well succeed.

    SQLAlchemy wraps what the driver raised (asyncpg's "the database system is starting up"
    arrives as a plain DBAPIError), so the driver's own exception is what is judged."""
    for cause in _causes(error):
        if isinstance(cause, DBAPIError) and cause.connection_invalidated:
            return True
        if isinstance(cause, _TRANSIENT_TYPES):
            return True
        sqlstate = getattr(cause, "sqlstate", None)  # asyncpg's PostgresError
        if isinstance(sqlstate, str) and (sqlstate.startswith("08") or sqlstate in _TRANSIENT_SQLSTATES):
            return True
    return False


def _causes(error: BaseException) -> list[BaseException]:
    """The error, what SQLAlchemy wrapped (`orig`) and what each was raised from."""
    found: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in found and len(found) < 8:
        found.append(current)
        orig = getattr(current, "orig", None) if isinstance(current, DBAPIError) else None
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return found


def create_engine(url: str, *, synchronous: str = "FULL", **kwargs: Any) -> AsyncEngine:
    """`synchronous` (SQLite only): FULL survives power loss, NORMAL only a process crash.

    SQLite goes through aiosqlite's public API (a thread per connection, a hop per call);
    the callback's hot path does not, see storage/writer.py.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        _prepare_file(parsed)
        engine = create_async_engine(url, **kwargs)
        listen_sqlite_pragmas(engine.sync_engine, synchronous)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=5, pool_pre_ping=True, **kwargs)


def _prepare_file(url: URL) -> None:
    database = url.database or ":memory:"
    if database != ":memory:":
        prepare_sqlite_file(Path(database))


OWNER_ONLY = 0o600  # the database holds rater-linked drafts while a round is open


def prepare_sqlite_file(path: Path) -> None:
    """Make the folder, and the database file readable by its owner only if it is new.

    SQLite gives a database's -wal and -shm files the mode of the database file, so creating
    the (empty) file first with 0600 keeps all three private; an empty file is a new database.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    create_owner_only(path)


def create_owner_only(path: Path) -> bool:
    """Create an empty file with mode 0600; False if it already exists (left as it is)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY))
    except FileExistsError:
        return False
    return True


BUSY_TIMEOUT_MS = 30_000  # how long a connection waits for another's write lock


def sqlite_pragmas(synchronous: str) -> list[str]:
    """What every SQLite connection of shiji is set up with."""
    if synchronous not in SYNCHRONOUS:
        raise ValueError(f"SQLite synchronous must be one of {SYNCHRONOUS}, not {synchronous!r}")
    return [
        # WAL: readers never block the writer. FULL fsyncs the WAL at every COMMIT, so an
        # acknowledged message survives power loss; group commit makes that one fsync per batch.
        "PRAGMA journal_mode=WAL",
        f"PRAGMA synchronous={synchronous}",
        "PRAGMA foreign_keys=ON",
        f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
        "PRAGMA cache_size=-65536",
        # Deleted rows (rating drafts, scrubbed replies) are zeroed, not left in free pages.
        "PRAGMA secure_delete=ON",
        # When a checkpoint lets the WAL start over, cut it to nothing: frames past the new
        # end would otherwise keep old page images (drafts) until overwritten. After a close
        # the WAL is truncated outright (storage/erasure.py).
        "PRAGMA journal_size_limit=0",
    ]


def listen_sqlite_pragmas(engine: Engine, synchronous: str) -> None:
    pragmas = sqlite_pragmas(synchronous)

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(pragma)
        cursor.close()

    event.listen(engine, "connect", on_connect)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions of a class of their own, so that listeners on it (metrics, the outbox's
    wake-up) hear this factory's transactions and no other Runtime's."""
    own: type[Session] = type("ShijiSession", (Session,), {})
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False, sync_session_class=own)


def session_class(sessions: async_sessionmaker[AsyncSession]) -> type[Session]:
    """The class `session_factory` gave these sessions, to listen on."""
    own: type[Session] = sessions.kw["sync_session_class"]
    return own


def after_commit_of(sessions: async_sessionmaker[AsyncSession], flag: str, callback: Callable[[], None]) -> None:
    """Call `callback` after each committed transaction that set `session.info[flag]`; a
    rolled-back one forgets the flag (what it did is gone)."""
    after_commit_with(sessions, flag, lambda _value: callback())


def after_commit_with(sessions: async_sessionmaker[AsyncSession], key: str, callback: Callable[[Any], None]) -> None:
    """`after_commit_of`, handing `callback` what the transaction left in `session.info[key]`."""
    own = session_class(sessions)

    def committed(session: Session) -> None:
        if value := session.info.pop(key, None):
            callback(value)

    def rolled_back(session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None:  # the transaction itself, not a savepoint in it
            session.info.pop(key, None)

    event.listen(own, "after_commit", committed)
    event.listen(own, "after_soft_rollback", rolled_back)


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


async def migrate(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply migrations (`shiji db upgrade`, and at `serve`)."""

    def upgrade(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.begin() as connection:
        await _one_migrator_at_a_time(connection)
        await connection.run_sync(upgrade)


# Any fixed 64-bit number, the same in every replica: the key of the migration lock.
MIGRATION_LOCK_KEY = 0x5348_494A_4944_42  # "SHIJIDB"


async def _one_migrator_at_a_time(connection: AsyncConnection) -> None:
    """Replicas started together must not race to create the same tables: the first takes
    the lock and migrates; the others wait, then find the schema at head and do nothing.
    The lock is the transaction's own, released at its COMMIT or ROLLBACK."""
    if connection.dialect.name == "postgresql":
        await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    elif connection.dialect.name == "sqlite":
        # sqlite3 opens transactions lazily, so two processes both read "no tables yet";
        # IMMEDIATE takes the write lock first (the other waits up to busy_timeout).
        await connection.exec_driver_sql("BEGIN IMMEDIATE")


async def current_revision(engine: AsyncEngine) -> str | None:
    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(read)
