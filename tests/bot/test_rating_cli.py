"""`shiji round …` and `shiji raters …` do what the admin's chat commands do, all-or-nothing."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from bot.cli.calendar import calendar_load
from bot.cli.roster import import_roster
from bot.cli.rounds import raters_import, rating_round
from bot.settings import load_settings
from storage.db import create_engine, session_factory
from storage.models import Outbox
from storage.models_rating import RatingAssignment, RatingExtraRater
from tests.conftest import SAMPLE_2027, SAMPLE_ROSTER


async def count(url: str, model) -> int:  # type: ignore[no-untyped-def]
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            return (await session.execute(select(func.count()).select_from(model))).scalar_one()
    finally:
        await engine.dispose()


async def test_round_and_raters_commands(sqlite_url: str, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings(
        None, database={"url": sqlite_url}, admin={"userids": ["kaohe_admin"]},
        clock={"start": "2027-01-04T09:30:00+08:00"},
    )
    assert await import_roster(settings, SAMPLE_ROSTER) == 0
    assert await calendar_load(settings, SAMPLE_2027) == 0

    bad = tmp_path / "bad.csv"
    bad.write_text("unit,userid\n团区委,chengguan_wuhao\n团区委,nobody\n城关镇,fgj_shenyu\n", encoding="utf-8")
    assert await raters_import(settings, "import", bad) == 2
    err = capsys.readouterr().err
    assert "第 3 行" in err and "nobody" in err and "第 4 行" in err and "不足 8 人" in err
    assert await count(sqlite_url, RatingExtraRater) == 0  # nothing from the good first row

    good = tmp_path / "good.csv"
    good.write_text("unit,userid\n团区委,chengguan_wuhao\n团区委,fgj_zhuqing\n", encoding="utf-8")
    assert await raters_import(settings, "import", good) == 0
    assert await count(sqlite_url, RatingExtraRater) == 2

    assert await rating_round(settings, "publish", "2026Q4") == 2
    assert await rating_round(settings, "open", "2026Q4") == 0
    assert "已开启" in capsys.readouterr().out
    assert await rating_round(settings, "open", "2026Q4") == 2
    assert await count(sqlite_url, RatingAssignment) == 12 * 11 + 9 * 8 + 3 * 2 + 2 * 3
    assert await count(sqlite_url, Outbox) > 0
    assert await rating_round(settings, "status", "2026Q4") == 0
    assert "团区委" in capsys.readouterr().out
    assert await rating_round(settings, "publish", "") == 2  # still open
    assert await rating_round(settings, "close", "") == 0
    assert await rating_round(settings, "publish", "2026Q4", force=True) == 0  # nobody rated, window open
    assert "已发布" in capsys.readouterr().out
