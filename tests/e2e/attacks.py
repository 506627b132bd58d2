"""What a database administrator with every file can do to re-link handed-in ballots.

Each attack returns the raters whose ballot it re-linked. They read what a DBA reads: the
SQLite database file and its WAL as bytes, PostgreSQL's heap pages through pageinspect (dead
tuples and free space included), transaction ids and physical order. None uses shiji's code.
"""

from __future__ import annotations

import re
import sqlite3
import struct
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

Ballot = Mapping[str, int]  # ratee userid → score


# ---- (a) content: a record holding a rater's userid and a score they gave --------------


def content_links(blob: bytes, given: Mapping[str, set[tuple[str, int]]], names: Mapping[str, str]) -> set[str]:
    """Raters for whom `blob` holds a record with their userid and a (ratee, score) they gave.

    A record is taken as the bytes around the userid. Linked if it holds a draft row (rater,
    ratee, score side by side, as SQLite's record body and PostgreSQL's heap tuple lay them
    out), a reply such as 「已记录：郑丽 88 分」, or a card showing 「当前分数 88 分」 for that ratee.
    """
    linked: set[str] = set()
    for rater, pairs in given.items():
        me = rater.encode()
        for found in re.finditer(re.escape(me), blob):
            window = blob[max(0, found.start() - 300): found.end() + 2500]
            for ratee, score in pairs:
                if _links(window, me, ratee.encode(), names[ratee].encode(), score):
                    linked.add(rater)
                    break
            if rater in linked:
                break
    return linked


def _links(window: bytes, rater: bytes, ratee: bytes, name: bytes, score: int) -> bool:
    draft = re.escape(rater) + rb".?" + re.escape(ratee) + rb"\x00{0,3}" + re.escape(bytes([score]))
    if re.search(draft, window, re.DOTALL):
        return True
    said = f" {score} 分".encode()
    if re.search(re.escape(name) + re.escape(said), window):
        return True
    shown = rb"\xe5\xbd\x93\xe5\x89\x8d\xe5\x88\x86\xe6\x95\xb0.{0,60}?" + re.escape(said.strip())  # 当前分数 … 88 分
    return name in window and re.search(shown, window, re.DOTALL) is not None


# ---- (b) SQLite WAL replay ---------------------------------------------------------------


def wal_states(db: Path) -> Iterator[bytes]:
    """The database file as of each commit still in the WAL, oldest first."""
    wal = db.with_name(db.name + "-wal")
    if not wal.exists() or wal.stat().st_size < 32:
        return
    data = wal.read_bytes()
    _magic, _version, page_size, _seq, salt1, salt2 = struct.unpack(">6I", data[:24])
    state = bytearray(db.read_bytes())
    offset = 32
    while offset + 24 + page_size <= len(data):
        page, commit_size, s1, s2 = struct.unpack(">4I", data[offset:offset + 16])
        if (s1, s2) != (salt1, salt2):
            break  # frames of an older WAL generation
        body = data[offset + 24: offset + 24 + page_size]
        start = (page - 1) * page_size
        if len(state) < start + page_size:
            state.extend(bytes(start + page_size - len(state)))
        state[start:start + page_size] = body
        if commit_size:
            del state[commit_size * page_size:]
            yield bytes(state)
        offset += 24 + page_size


def wal_replay_links(db: Path, ballots: Mapping[str, Ballot], scratch: Path) -> set[str]:
    """Raters whose hand-in appeared in a WAL commit together with their scores and no
    more rows than the ballots handed in by that commit: the commit's diff names them."""
    linked: set[str] = set()
    before: tuple[set[str], Counter[tuple[str, int]]] | None = None
    for state in wal_states(db):
        now = _ballot_tables(state, scratch)
        if now is None:
            continue
        if before is not None:
            handed = (now[0] - before[0]) & set(ballots)
            added = now[1] - before[1]
            theirs = sum(len(ballots[rater]) for rater in handed)
            for rater in handed:
                if _contains(added, ballots[rater]) and sum(added.values()) <= theirs:
                    linked.add(rater)
        before = now
    return linked


def _ballot_tables(state: bytes, scratch: Path) -> tuple[set[str], Counter[tuple[str, int]]] | None:
    image = bytearray(state)
    image[18:20] = b"\x01\x01"  # read it as a plain (rollback-journal) database file
    scratch.write_bytes(image)
    connection = sqlite3.connect(f"file:{scratch}?immutable=1", uri=True)
    try:
        handed = {r for (r,) in connection.execute("SELECT rater FROM rating_handin")}
        scores = Counter(connection.execute("SELECT ratee, score FROM rating_score").fetchall())
    except sqlite3.Error:
        return None  # before the tables existed, or a torn image
    finally:
        connection.close()
    return handed, Counter({(ratee, score): n for (ratee, score), n in scores.items()})


def _contains(rows: Counter[tuple[str, int]], ballot: Ballot) -> bool:
    return bool(ballot) and not (Counter(ballot.items()) - rows)


# ---- (c) order and transaction ids -------------------------------------------------------


def order_links(rows_in_order: Sequence[tuple[str, int]], order: Sequence[str], ballots: Mapping[str, Ballot]) -> set[str]:
    """Cut the score rows, as stored, into runs of each ballot's size in the known hand-in
    order: a run that is exactly that ballot re-links it."""
    linked: set[str] = set()
    at = 0
    for rater in order:
        size = len(ballots[rater])
        if Counter(rows_in_order[at:at + size]) == Counter(ballots[rater].items()):
            linked.add(rater)
        at += size
    return linked


def sqlite_stored_order(db: Path, table: str, columns: str) -> list[tuple]:
    """A table's rows in storage order (a full scan, no index), from a copy's file."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return connection.execute(f"SELECT {columns} FROM {table} NOT INDEXED").fetchall()
    finally:
        connection.close()


def xmin_links(handins: Sequence[tuple[int, str]], scores: Sequence[tuple[int, str, int]],
               ballots: Mapping[str, Ballot]) -> set[str]:
    """PostgreSQL: a hand-in tuple's xmin names the transaction that wrote it; score tuples
    (live or dead) with the same xmin that hold the rater's whole ballot, and no more rows
    than the ballots handed in by that transaction, re-link it."""
    by_xmin: dict[int, Counter[tuple[str, int]]] = {}
    for xmin, ratee, score in scores:
        by_xmin.setdefault(xmin, Counter())[(ratee, score)] += 1
    handed_by: dict[int, set[str]] = {}
    for xmin, rater in handins:
        if rater in ballots:
            handed_by.setdefault(xmin, set()).add(rater)
    linked: set[str] = set()
    for xmin, raters in handed_by.items():
        rows = by_xmin.get(xmin, Counter())
        theirs = sum(len(ballots[rater]) for rater in raters)
        linked |= {rater for rater in raters if _contains(rows, ballots[rater]) and sum(rows.values()) <= theirs}
    return linked


# ---- PostgreSQL pages ----------------------------------------------------------------------


async def pg_pages(connection, tables: Sequence[str] | None = None) -> bytes:  # type: ignore[no-untyped-def]
    """Every heap page (and TOAST page) of the public tables, raw: live, dead and free space."""
    await connection.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
    rows = await connection.fetch(
        """SELECT c.oid::regclass::text AS rel, t.oid::regclass::text AS toast
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
           WHERE n.nspname = 'public' AND c.relkind = 'r'"""
    )
    chunks = []
    for row in rows:
        if tables is not None and row["rel"] not in tables:
            continue
        for rel in filter(None, (row["rel"], row["toast"])):
            pages = await connection.fetchval(
                "SELECT pg_relation_size($1::regclass) / current_setting('block_size')::int", rel
            )
            for page in range(pages):
                chunks.append(await connection.fetchval("SELECT get_raw_page($1, $2)", rel, page))
    return b"".join(chunks)


async def pg_tuples(connection, table: str, columns: Sequence[str]) -> list[tuple]:  # type: ignore[no-untyped-def]
    """(xmin, *columns) of every tuple in `table`'s pages, dead ones included, decoded."""
    await connection.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
    names = [r["attname"] for r in await connection.fetch(
        "SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
        table,
    )]
    types = {r["attname"]: r["typname"] for r in await connection.fetch(
        "SELECT attname, typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid WHERE attrelid = $1::regclass",
        table,
    )}
    pages = await connection.fetchval(
        "SELECT pg_relation_size($1::regclass) / current_setting('block_size')::int", table
    )
    found = []
    for page in range(pages):
        rows = await connection.fetch(
            """SELECT t_xmin::text::bigint AS xmin,
                      tuple_data_split($1::regclass, t_data, t_infomask, t_infomask2, t_bits) AS attrs
               FROM heap_page_items(get_raw_page($1, $2)) WHERE t_data IS NOT NULL""",
            table, page,
        )
        for row in rows:
            values = dict(zip(names, row["attrs"], strict=True))
            found.append((row["xmin"], *(_decode(values[c], types[c]) for c in columns)))
    return found


def _decode(raw: bytes | None, typname: str) -> object:
    if raw is None:
        return None
    if typname in ("int4", "int8", "int2"):
        return int.from_bytes(raw, "little", signed=True)
    if raw[0] & 0x01:  # a short (1-byte header) varlena
        return raw[1:].decode()
    return raw[4:].decode()
