"""The district's go-live date as the rules see it (scoring.golive): the setting, else the
first roster import that the directory snapshot carries."""

from __future__ import annotations

from datetime import date

from scoring.golive import go_live
from scoring.rule_settings import RuleSettings
from storage.directory import Directory


def go_live_date(settings: RuleSettings, directory: Directory) -> date | None:
    return go_live(settings.logs.start_date, directory.first_import)
