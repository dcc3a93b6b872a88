"""Every lesson: checks pass on right answers and fail with their targeted message on the
catalogued wrong answers; the grader gives full marks to each solution notebook and zero to its
student copy; notebooks/ is exactly what the release command writes."""

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pets_helpers.grading.grader import grade_notebook
from pets_helpers.grading.namespace import LocalNamespace, run_check
from pets_helpers.lessons import MODULES, find_exercise, get_lesson
from pets_helpers.release import release

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted(MODULES)


def catalogue(lesson_id):
    return importlib.import_module(f"catalogue.{lesson_id.lower()}")


def check_with(exercise_id, names):
    return run_check(find_exercise(exercise_id), LocalNamespace(dict(names)))


def right_cases():
    for lesson_id in LESSONS:
        cat = catalogue(lesson_id)
        for exercise_id, names in cat.RIGHT.items():
            yield pytest.param(exercise_id, names, id=exercise_id)
        # other correct ways to answer, which a check must not reject
        for i, (exercise_id, names) in enumerate(getattr(cat, "ALSO_RIGHT", [])):
            yield pytest.param(exercise_id, names, id=f"{exercise_id}-also-{i}")


def wrong_cases():
    for lesson_id in LESSONS:
        for exercise_id, label, names, phrase in catalogue(lesson_id).WRONG:
            yield pytest.param(exercise_id, names, phrase, id=f"{exercise_id}-{label}")


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_catalogue_covers_every_exercise_with_several_wrong_answers(lesson_id):
    cat = catalogue(lesson_id)
    for exercise in get_lesson(lesson_id).exercises:
        assert exercise.id in cat.RIGHT, f"no right answer catalogued for {exercise.id}"
        wrong = [w for w in cat.WRONG if w[0] == exercise.id]
        assert len(wrong) >= 2, f"catalogue at least 2 typical wrong answers for {exercise.id}"


@pytest.mark.parametrize("exercise_id,names", right_cases())
def test_check_passes_on_a_right_answer(exercise_id, names):
    result = check_with(exercise_id, names)
    assert result.passed, result.message


@pytest.mark.parametrize("exercise_id,names,phrase", wrong_cases())
def test_check_fails_wrong_answer_with_targeted_message(exercise_id, names, phrase):
    result = check_with(exercise_id, names)
    assert not result.passed
    assert result.points == 0
    assert phrase.lower() in result.message.lower(), result.message


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_every_check_fails_on_an_empty_namespace(lesson_id):
    for exercise in get_lesson(lesson_id).exercises:
        assert not run_check(exercise, LocalNamespace({})).passed


def notebook_path(folder, lesson_id):
    return ROOT / folder / f"{get_lesson(lesson_id).notebook}.ipynb"


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_solution_notebook_gets_full_marks(lesson_id):
    # Run times are measured by benchmarks/bench_course.py, not asserted here (no timed tests).
    report = grade_notebook(notebook_path("solutions", lesson_id))
    failed = [f"{r.id}: {r.message}" for r in report.results if not r.passed]
    assert not failed and not report.cell_problems, (failed, report.cell_problems)
    assert report.score == report.max_score == get_lesson(lesson_id).max_score


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_student_notebook_scores_zero_via_the_cli(lesson_id):
    out = subprocess.run([sys.executable, "-m", "pets_helpers.grading.cli", "--json", "--no-save",
                          str(notebook_path("notebooks", lesson_id))],
                         capture_output=True, text=True, timeout=600, check=True)
    grade = json.loads(out.stdout)
    assert grade["lesson"] == lesson_id
    assert grade["score"] == 0 and grade["max_score"] == get_lesson(lesson_id).max_score
    assert all(not ex["passed"] and "not done yet" in ex["message"].lower()
               for ex in grade["exercises"]), grade


def test_student_notebooks_are_up_to_date():
    stale = release(ROOT / "solutions", ROOT / "notebooks", check_only=True)
    assert not stale, f"run `make release`: {stale} differ from what solutions/ gives"


def test_student_notebooks_hold_no_solution_text():
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        text = path.read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text, path.name
        assert '"outputs": []' in text or '"cell_type": "code"' not in text
