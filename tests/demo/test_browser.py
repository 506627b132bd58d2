"""The demo page in a real headless browser: Debian's Chromium driven by Playwright.

One demo (SQLite, as `make demo` runs it) opens on the Monday the fourth quarter's round opened,
so a leader has a leave card to decide and raters have their cards. Every step goes through the
page as a person would use it. `SHIJI_SCREENSHOTS=docs make test` refreshes README's pictures.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.demo.run import Demo
from storage.repos import Store
from tests.conftest import at
from tests.demo.conftest import demo_at

CHROMIUM = Path("/usr/bin/chromium")
ENABLE = "apt-get install -y chromium fonts-wqy-microhei fonts-noto-color-emoji"  # as .ci/run does
playwright_api = pytest.importorskip("playwright.async_api", reason=f"browser tests skipped: no playwright ({ENABLE}; pip install playwright)")
if not CHROMIUM.exists():
    pytest.skip(f"browser tests skipped: no Chromium at {CHROMIUM}; to run them: {ENABLE}", allow_module_level=True)

pytestmark = pytest.mark.asyncio(loop_scope="module")
ORIGIN = at("2027-01-04 15:00")  # the first working day after 2026Q4: its round opened at 09:00
DOCS = Path(__file__).resolve().parents[2] / "docs"
TIMEOUT_MS = 15_000


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def demo(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Demo]:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
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


async def screenshot(page: Any, name: str, tmp_path: Path) -> None:
    folder = DOCS if os.environ.get("SHIJI_SCREENSHOTS") == "docs" else tmp_path
    folder.mkdir(exist_ok=True)
    await page.screenshot(path=str(folder / name))


async def logged_today(demo: Demo) -> set[str]:
    async with demo.runtime.sessions() as session:
        return set(await Store(session).logs.on_day(demo.runtime.clock.now().date()))


async def test_a_cadre_logs_a_day_and_sees_the_reply(demo: Demo, page: Any) -> None:
    done = await logged_today(demo)
    cadre = next(
        p for p in demo.runtime.directory.current.people.values()
        if p.unit.name == "城关镇" and p.role.value == "staff" and p.userid not in done
    )
    await open_as(page, demo, cadre.userid)
    await page.fill("#text", "上午到东关村走访低保户核对收入，下午整理救助台账并报送民政办")
    await page.press("#text", "Enter")
    await page.locator(".row.bot .bubble", has_text="已记录 1月4日（周一）的工作日志").wait_for()
    assert cadre.userid in await logged_today(demo)


async def test_a_push_that_arrives_while_the_page_opens_a_person_is_shown(demo: Demo, page: Any) -> None:
    # The page reads the conversation, then follows it: a push that reaches the phone between
    # the two (as 发布年度结果's did, to the person opened right after) must not be lost.
    async def push_then_follow(route: Any) -> None:
        await demo.runtime.client.send_text(["chengguan_liumin"], "📣 打开页面这一刻到达的推送")
        await route.continue_()

    await page.route("**/demo/api/events*", push_then_follow)
    await open_as(page, demo, "chengguan_liumin")
    await page.locator(".row.bot .bubble", has_text="打开页面这一刻到达的推送").wait_for()
    await page.unroute("**/demo/api/events*")


async def test_a_leader_approves_leave_on_the_card_and_the_applicant_is_told(
    demo: Demo, page: Any, tmp_path: Path
) -> None:
    await open_as(page, demo, "chengguan_zhaojh")
    card = page.locator(".card", has_text="请假审批")
    await card.locator("text=郑丽（城关镇）").wait_for()
    await card.get_by_role("button", name="批准").click()
    await card.locator(".decided", has_text="已由赵建华批准").wait_for()
    assert await card.get_by_role("button").count() == 0  # answered: no buttons left
    await screenshot(page, "demo-leave-card.png", tmp_path)
    await open_as(page, demo, "chengguan_zhengli")
    await page.locator(".bubble", has_text="您的请假申请（1月5日至1月6日）已被批准").wait_for()


async def test_a_rater_answers_two_cards_from_the_drop_down_and_the_90_slots_update(
    demo: Demo, page: Any, tmp_path: Path
) -> None:
    async with demo.runtime.sessions() as session:
        store = Store(session)
        rnd = await store.rating.round_by_quarter("2026Q4")
        assert rnd is not None and rnd.id is not None
        idle = [
            rater for rater in sorted(await store.rating.raters(rnd.id))
            if demo.runtime.directory.current.people[rater].unit.name == "城关镇"
            and not await store.rating.drafts(rnd.id, rater)
            and not await store.rating.has_handed_in(rnd.id, rater)
        ]
    await open_as(page, demo, idle[0])
    cards = page.locator(".card", has_text="当前分数")
    await cards.first.wait_for()
    cap = 3  # 城关镇 has 12 cadres: 30 % of them may get 90 or more on one ballot
    for index, score in enumerate(("95", "92")):
        card = cards.nth(index)
        await card.locator("select").select_option(score)
        await card.get_by_role("button", name="确定").click()
        await card.locator(".kv", has_text=f"{score} 分").wait_for()
        await card.locator(".kv", has_text=f"本单位还可给 {cap - index - 1} 人（共 {cap} 人）").wait_for()
        assert await card.locator("select").input_value() == score
    await cards.nth(1).scroll_into_view_if_needed()
    await screenshot(page, "demo-rating-cards.png", tmp_path)


async def test_at_1730_exactly_those_who_have_not_logged_are_reminded(
    demo: Demo, page: Any, tmp_path: Path
) -> None:
    await open_as(page, demo, "chengguan_wuhao")
    await page.get_by_role("button", name="到 17:30").click()
    await page.locator("#now", has_text="17:30").wait_for()
    done = await logged_today(demo)
    people = demo.runtime.directory.current.people.values()
    reminded = {
        p.userid for p in people
        if any("还没有记载工作日志" in (e.get("text") or "") for e in demo.page.book.conversation(p.userid))
    }
    assert reminded == {p.userid for p in people if not p.is_superior} - done
    # The others kept working while the clock moved: most logged before 17:30.
    assert len(reminded) < len(done)
    await open_as(page, demo, sorted(reminded)[0])
    await page.locator(".bubble", has_text="还没有记载工作日志").wait_for()
    await screenshot(page, "demo-reminder.png", tmp_path)
