"""End-to-end fixtures beyond the shared ones: a PostgreSQL server a test may restart."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.postgres_cluster import PostgresCluster, missing_reason


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[PostgresCluster]:
    """A server of this module's own (initdb on a free loopback port): restarting or crashing
    it leaves the shared server and the other tests alone. Always stopped and removed."""
    if (reason := missing_reason()) is not None:
        pytest.skip(reason)
    started = time.monotonic()
    cluster = PostgresCluster.create()
    print(f"\nown PostgreSQL on port {cluster.port}: initdb and start took {time.monotonic() - started:.1f} s")
    try:
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture
async def own_postgres_db(own_postgres: PostgresCluster) -> AsyncIterator[str]:
    """A fresh database on `own_postgres`, dropped afterwards; its SQLAlchemy URL."""
    import asyncpg

    name = f"shiji_t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(own_postgres.admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield own_postgres.url(name)
    admin = await asyncpg.connect(own_postgres.admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
