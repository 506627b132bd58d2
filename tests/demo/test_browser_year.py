"""Issue 27, the demo: a visitor takes the sample district from a quarter through its year end
with the page alone, in Debian's Chromium driven by Playwright (as tests/demo/test_browser.py).

One demo opens on the Tuesday after 2026Q4's round opened. The tests run in order on it, as
one visitor's afternoon: a wrong link, someone played and reminded day after day as the clock
jumps, handed back to the district, and then the 考核办 closing the year in chat."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlmodel import col, select

from bot.demo.run import Demo
from storage.models import Outbox
from storage.repos import Store
from tests.conftest import at
from tests.demo.conftest import demo_at

CHROMIUM = Path("/usr/bin/chromium")
ENABLE = "apt-get install -y chromium fonts-wqy-microhei fonts-noto-color-emoji"
playwright_api = pytest.importorskip("playwright.async_api", reason=f"browser tests skipped: no playwright ({ENABLE}; pip install playwright)")
if not CHROMIUM.exists():
    pytest.skip(f"browser tests skipped: no Chromium at {CHROMIUM}; to run them: {ENABLE}", allow_module_level=True)

pytestmark = pytest.mark.asyncio(loop_scope="module")
ORIGIN = at("2027-01-05 15:00")  # 2026Q4's round opened yesterday at 09:00
TIMEOUT_MS = 30_000
MOVE_MS = 300_000  # a jump of days lives them through: everyone's logs, ratings, the jobs
ADMIN = "kaohe_admin"
PLAYED = "由您扮演，不自动记日志"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def demo(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Demo]:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('demo-year') / 'demo.db'}"
    async with demo_at(url, ORIGIN) as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--lang=zh-CN"])
        yield chromium
        await chromium.close()


@pytest_asyncio.fixture(loop_scope="module")
async def page(browser: Any) -> AsyncIterator[Any]:
    context = await browser.new_context(viewport={"width": 1100, "height": 860}, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    tab = await context.new_page()
    yield tab
    await context.close()


async def open_as(page: Any, demo: Demo, userid: str) -> None:
    await page.goto(f"{demo.page_url}?as={userid}")
    await page.locator(".person.active").wait_for()


async def move_clock_to(page: Any, when: str) -> None:
    """The clock bar's own picker and 「拨到此时」, as a visitor moves it."""
    await page.fill("#travel-at", when)
    await page.get_by_role("button", name="拨到此时").click()
    day, hour = when.split("T")
    await page.locator("#now", has_text=f"{day}（").wait_for(timeout=MOVE_MS)
    await page.locator("#now", has_text=hour).wait_for(timeout=MOVE_MS)


async def say(page: Any, text: str, answer: str) -> None:
    """Type into the composer, send, and wait for the bot's bubble that contains `answer`."""
    before = await page.locator(".row.bot .bubble", has_text=answer).count()
    await page.fill("#text", text)
    await page.press("#text", "Enter")
    await page.locator(".row.bot .bubble", has_text=answer).nth(before).wait_for(timeout=2 * TIMEOUT_MS)


async def wait_for_push(page: Any, demo: Demo, userid: str, words: str) -> None:
    """Wait for a push in `userid`'s chat; when it never comes, say where it stopped."""
    try:
        await page.locator(".bubble", has_text=words).first.wait_for(timeout=MOVE_MS)
    except playwright_api.TimeoutError:
        async with demo.runtime.sessions() as session:
            rows = (await session.execute(
                select(Outbox).where(col(Outbox.userids).contains(userid)).order_by(col(Outbox.id).desc()).limit(8)
            )).scalars().all()
        seen = [(r.id, r.kind, r.status, r.attempts, str(r.not_before), r.error, r.payload[:80]) for r in rows]
        dropped = dict(demo.page.standin.dropped)
        pytest.fail(f"no 「{words}」 for {userid} at {demo.runtime.clock.now()}; outbox (newest first): {seen}; "
                    f"dropped by the stand-in: {dropped}")


def reminder_days(demo: Demo, userid: str, words: str) -> list[str]:
    return sorted({e["at"][:10] for e in demo.page.book.conversation(userid) if words in (e.get("text") or "")})


async def idle_rater(demo: Demo) -> str:
    """A rater of 2026Q4 who has not touched the round yet (rates later in its first week)."""
    async with demo.runtime.sessions() as session:
        store = Store(session)
        rnd = await store.rating.round_by_quarter("2026Q4")
        assert rnd is not None and rnd.id is not None
        idle = [
            rater for rater in sorted(await store.rating.raters(rnd.id))
            if not await store.rating.drafts(rnd.id, rater) and not await store.rating.has_handed_in(rnd.id, rater)
        ]
    return idle[0]


async def test_a_link_to_nobody_says_so_instead_of_opening_someone_else(demo: Demo, page: Any) -> None:
    await page.goto(f"{demo.page_url}?as=nobody")
    await page.locator(".messages", has_text="没有此人").wait_for()
    assert await page.locator(".person.active").count() == 0
    assert await page.locator("#who").inner_text() == ""
    await page.locator("#now", has_text="2027-01-05").wait_for()  # the demo's time, all the same


async def test_someone_played_is_reminded_each_day_of_a_jump_marked_and_handed_back(demo: Demo, page: Any) -> None:
    rater = await idle_rater(demo)
    name = demo.runtime.directory.current.people[rater].name
    await open_as(page, demo, rater)
    assert await page.locator(".played").count() == 0  # opening someone is not playing them
    await say(page, "帮助", "")
    row = page.locator(f'[data-row="{rater}"]')
    await row.locator(".played", has_text=PLAYED).wait_for()

    # Played, the district leaves them be: they never rate, and are reminded every working day
    # of the jump, not once (the stand-in's duplicate check runs on the demo's clock).
    await move_clock_to(page, "2027-01-08T17:00")
    assert reminder_days(demo, rater, "评分提醒") == ["2027-01-05", "2027-01-06", "2027-01-07", "2027-01-08"]
    await page.locator(".row.bot .bubble", has_text="评分提醒").nth(3).wait_for()
    # Marked across a reload too: the page asks the demo whom the visitor played.
    await page.reload()
    await row.locator(".played", has_text=PLAYED).wait_for()

    await row.get_by_role("button", name="交还").click()
    await page.locator("#toast", has_text=f"已交还{name}").wait_for()
    await row.locator(".played").wait_for(state="detached")
    # Handed back, they live again from the next move of the clock: their round's first week is
    # over, so they rate at the next 11:00, and log that day.
    await move_clock_to(page, "2027-01-11T19:00")
    await page.locator(".row.me .bubble", has_text="评分 ").first.wait_for()
    monday = at("2027-01-11 00:00").date()
    async with demo.runtime.sessions() as session:
        store = Store(session)
        rnd = await store.rating.round_by_quarter("2026Q4")
        assert rnd is not None and rnd.id is not None
        assert await store.rating.drafts(rnd.id, rater) or await store.rating.has_handed_in(rnd.id, rater)
        logged = await store.logs.logged_days_of(None, monday, monday)
    # …and the rest of the district went on logging all along.
    assert len(logged) > 0.8 * len(demo.runtime.directory.current.cadres())
    assert await page.locator(".played").count() == 0


async def test_the_year_end_is_reached_from_the_page_alone(demo: Demo, page: Any) -> None:
    await open_as(page, demo, ADMIN)
    await say(page, "开启测评 2026", "已开启2026年度民主测评")
    # The district evaluates as it rates; the round and the summary windows close meanwhile.
    await move_clock_to(page, "2027-01-18T09:30")
    async with demo.runtime.sessions() as session:
        box = Store(session).year.evaluation
        ev = await box.by_year(2026)
        assert ev is not None and ev.id is not None
        handed_in, evaluators = await box.handed_in(ev.id), await box.raters(ev.id)
    assert len(handed_in) > 0.7 * len(evaluators)
    await say(page, "发布结果 2026Q4", "2026年第4季度")
    await say(page, "单位结果 2026 城关镇 92.5 区发展和改革局 90 团区委 88", "已导入 2026 年单位年度综合考核结果 3 个单位")
    await say(page, "关闭测评 2026", "已关闭")
    await say(page, "发布年度结果 2026", "已发布2026年度考核结果（第 1 版）")
    # Each cadre reads their year: the two quarters since go-live make its quarterly part.
    await open_as(page, demo, "chengguan_wuhao")
    await wait_for_push(page, demo, "chengguan_wuhao", "年度得分")
    await page.locator(".bubble", has_text="第三、四季度").wait_for()
