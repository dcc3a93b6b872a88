"""A student notebook run top to bottom stops only at the exercises it leaves to the learner:
every demo cell uses the library, so each one runs (and shows its plot) before any answer is
written. The only errors allowed are the `NotDoneYet` stubs of exercise cells."""

import re
from pathlib import Path

import pytest

from pets_helpers.grading.grader import grade_notebook
from pets_helpers.lessons import MODULES, get_lesson

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = re.compile(r"^the cell of L\d{2}\.E\d+: error NotDoneYet ")


@pytest.mark.parametrize("lesson_id", sorted(MODULES))
def test_only_exercise_stubs_fail_in_a_student_notebook(lesson_id):
    path = ROOT / "notebooks" / f"{get_lesson(lesson_id).notebook}.ipynb"
    report = grade_notebook(path, timeout=120)
    stray = [p for p in report.cell_problems if not ALLOWED.match(p)]
    assert not stray, f"{path.name}: cells other than exercise stubs fail: {stray}"
