"""The bot's whole command set, assembled in an explicit order."""

from __future__ import annotations

from handlers import jobs, leave, logs, mentions, notes, reminders, stats, summaries, viewing
from handlers.archive import commands as archive
from handlers.help import add_help
from handlers.rating import commands as rating
from handlers.results import mine, ranking
from handlers.router import Router
from handlers.year import commands as year
from handlers.year import grades as year_grades
from handlers.year import publicity

# Commands other parts of the bot are still building. Until a module registers one, a text
# that is (or nearly is) it is answered "not available yet" and never stored as a log; once
# registered it is simply a command, and near misses point to it.
UPCOMING: tuple[str, ...] = ()  # none at the moment: 排名, 测评, 导出档案 … are all built


def build_router() -> Router:
    router = Router()
    router.reserve(*UPCOMING)
    router.include(logs.router)
    router.include(rating.router)
    router.include(mine.router, after="评分")  # listed where it always was, though it lives with the results
    router.include(summaries.router)
    router.include(viewing.router)
    router.include(notes.router)
    router.include(leave.router)
    router.include(stats.router)
    router.include(reminders.router)
    router.include(mentions.router)
    router.include(year.router)
    router.include(year_grades.router)
    router.include(publicity.router)
    router.include(ranking.router)
    router.include(archive.router)
    router.include(jobs.router)
    add_help(router)
    return router
