"""[notice] names grades by scoring.grades.AnnualGrade's values; the two lists stay one."""

from __future__ import annotations

from typing import get_args

import pytest
from pydantic import ValidationError

from scoring.grades import AnnualGrade
from scoring.rule_settings import GradeValue, NoticeSettings


def test_the_settings_know_every_annual_grade_and_no_other() -> None:
    assert set(get_args(GradeValue)) == {grade.value for grade in AnnualGrade}


def test_an_unknown_grade_is_refused_at_start_up() -> None:
    assert NoticeSettings(review_grades=("incompetent", "basically_competent")).review_grades[1] == "basically_competent"
    with pytest.raises(ValidationError):
        NoticeSettings(review_grades=("不称职",))  # type: ignore[arg-type]
