"""The group committer's one promise about failures: a unit of work that fails is run once
more only to separate it from others it was batched with, never twice on its own (a
province's admin job, a poison message: their work is not done a second time to fail again)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from storage.committer import Committer
from storage.db import create_engine, session_factory


async def test_a_failing_unit_of_work_runs_once_alone_and_once_more_only_to_spare_its_batch(db_url: str) -> None:
    engine = create_engine(db_url)
    committer = Committer(session_factory(engine), batch_max=8)
    await committer.start()
    runs: list[str] = []

    def work(name: str, fails: bool):  # type: ignore[no-untyped-def]
        async def run(session: AsyncSession) -> str:
            runs.append(name)
            if fails:
                raise RuntimeError(name)
            return name

        return run

    try:
        with pytest.raises(RuntimeError):
            await committer.run(work("alone", fails=True))
        assert runs == ["alone"]
        runs.clear()
        # Batched with others: the batch fails, then each runs alone so the others still commit.
        batched = [committer.run(work("ok1", False)), committer.run(work("bad", True)), committer.run(work("ok2", False))]
        got = await asyncio.gather(*batched, return_exceptions=True)
        assert got[0] == "ok1" and isinstance(got[1], RuntimeError) and got[2] == "ok2"
        assert runs.count("bad") <= 2 and runs.count("ok1") <= 2
        runs.clear()
        assert await committer.run_alone(work("job", False)) == "job" and runs == ["job"]
    finally:
        await committer.stop()
        await engine.dispose()
