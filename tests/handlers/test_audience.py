"""Who may use which command: the rule over every command the router registers and every kind
of account, on a real database. A command refuses exactly those its declaration leaves out,
in the one wording and before anything is done; 帮助 lists exactly the others."""

from __future__ import annotations

from sqlalchemy import func, select

from handlers.audience import Audience
from handlers.base import Refusal
from handlers.registry import build_router
from storage.models import DailyLog, Leave, Outbox, Summary
from storage.models_ops import AuditEvent
from tests.conftest import at
from tests.handlers.conftest import ADMIN

ACCOUNTS = {
    "chengguan_wuhao": "staff",
    "chengguan_liumin": "leadership",
    "chengguan_zhaojh": "main leader",
    "qw_kongdeming": "superior leader",
    ADMIN: "admin off the roster",
}
MONDAY = at("2026-11-23 10:00")
# What people type after a command: nothing, a year, a period, a name, a number, a log.
ARGUMENTS = ("", "2026", "2026Q4", "吴昊", "1", "11-20 上午走访辖区三户困难群众，下午整理低保申请台账")
TABLES = (DailyLog, Leave, Outbox, Summary, AuditEvent)


async def counts(ctx) -> list[int]:  # type: ignore[no-untyped-def]
    return [(await ctx.store.session.execute(select(func.count()).select_from(t))).scalar_one() for t in TABLES]


async def test_each_command_refuses_everyone_it_is_not_for_in_one_wording_before_doing_anything(open_ctx):
    router = build_router()
    refused: set[str] = set()
    for userid in ACCOUNTS:
        async with open_ctx(userid, MONDAY) as ctx:
            before = await counts(ctx)
            for command in router.commands:
                if command.audience.admits(ctx.person, ctx.is_admin):
                    continue
                expected = command.audience.refusal(f"「{command.keywords[0]}」", ctx.person)
                for keyword in command.keywords:
                    for args in ARGUMENTS[:1] if command.alone else ARGUMENTS:  # alone: with words, a log
                        handler, rest = router.resolve(f"{keyword} {args}")
                        try:
                            await handler(rest, ctx)
                        except Refusal as refusal:
                            assert refusal.text == expected, (ACCOUNTS[userid], keyword, args)
                        else:
                            raise AssertionError(f"{ACCOUNTS[userid]} ran 「{keyword} {args}」")
                        refused.add(userid)
            assert await counts(ctx) == before, ACCOUNTS[userid]
    assert refused == set(ACCOUNTS)  # every kind of account is refused something (the admin: a cadre's)


async def test_help_lists_exactly_the_commands_the_asker_is_let_into(open_ctx):
    router = build_router()
    show_help, _ = router.resolve("帮助")
    for userid in ACCOUNTS:
        async with open_ctx(userid, MONDAY) as ctx:
            text = (await show_help("", ctx)).text
            for command in router.commands:
                line = f"· {command.usage} —— {command.summary}"
                assert (line in text) == command.audience.admits(ctx.person, ctx.is_admin), (ACCOUNTS[userid], line)


def test_every_kind_of_account_is_let_into_something_and_refused_something():
    """No declaration shuts everyone out, and none but `everyone` lets everyone in."""
    from tests.handlers.test_hints import PEOPLE

    for audience in Audience:
        admitted = {who for who, (person, is_admin) in PEOPLE.items() if audience.admits(person, is_admin)}
        assert admitted, audience
        assert (admitted == set(PEOPLE)) == (audience is Audience.everyone), audience
