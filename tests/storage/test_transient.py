"""Which database errors are a blink, retried inside WeCom's deadline (bot/dispatch.py), and
which are the message's own fault, answered with the error text."""

from __future__ import annotations

import sqlite3

from storage.db import is_transient


def test_a_locked_sqlite_database_is_waited_out_on_every_path() -> None:
    # The hot path talks to sqlite3 directly (storage/writer.py): its errors arrive unwrapped.
    # A real one: another connection holds the write lock and this one may not wait.
    path = f"file:locked-{id(object())}?mode=memory&cache=shared"
    holder, waiter = sqlite3.connect(path, uri=True, isolation_level=None), sqlite3.connect(path, uri=True, timeout=0)
    try:
        holder.execute("CREATE TABLE t (k TEXT)")
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("INSERT INTO t VALUES ('a')")
        try:
            waiter.execute("INSERT INTO t VALUES ('b')")
        except sqlite3.OperationalError as locked:
            assert is_transient(locked)
        else:
            raise AssertionError("the write lock was not held")
    finally:
        holder.close()
        waiter.close()


def test_a_broken_constraint_is_the_messages_own_fault() -> None:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE t (k TEXT PRIMARY KEY)")
    connection.execute("INSERT INTO t VALUES ('a')")
    try:
        connection.execute("INSERT INTO t VALUES ('a')")
    except sqlite3.IntegrityError as duplicate:
        assert not is_transient(duplicate)
    else:
        raise AssertionError("the duplicate key was accepted")
    finally:
        connection.close()
