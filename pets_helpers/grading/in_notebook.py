"""What learners call in a notebook: ``check("L01.E2")`` and ``hint("L01.E2")``."""

from __future__ import annotations

import html
import inspect

from .discovery import find_exercise
from .exercise import CheckResult
from .namespace import LocalNamespace, run_check

_hints_shown: dict[str, int] = {}


def _user_namespace(depth: int = 2) -> dict:
    try:
        return get_ipython().user_ns  # noqa: F821 — present inside IPython
    except NameError:
        return inspect.stack()[depth].frame.f_globals


def check(exercise_id: str) -> CheckResult:
    """Check your answer to ``exercise_id`` now and show a pass/fail box.

    Only feedback: the grader re-runs every check itself, so this cell can be edited or deleted
    without changing your score.
    """
    return run_check(find_exercise(exercise_id), LocalNamespace(_user_namespace()))


class Hint:
    """One rung of an exercise's hint ladder (HTML in Jupyter, text elsewhere)."""

    def __init__(self, exercise_id: str, step: int, total: int, text: str):
        self.exercise_id, self.step, self.total, self.text = exercise_id, step, total, text

    def __str__(self) -> str:
        return f"Hint {self.step}/{self.total} for {self.exercise_id}: {self.text}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return (f'<div style="border-left:6px solid #8250df;background:#f6f0ff;'
                f'padding:8px 12px;border-radius:4px;font-family:sans-serif">'
                f'<b>Hint {self.step}/{self.total}</b> for {html.escape(self.exercise_id)}: '
                f'{html.escape(self.text)}</div>')


def hint(exercise_id: str) -> Hint:
    """Reveal the next hint for ``exercise_id`` (one more step per call; works offline)."""
    exercise = find_exercise(exercise_id)
    shown = _hints_shown.get(exercise_id, 0)
    total = len(exercise.hints)
    if shown >= total:
        return Hint(exercise_id, total, total, exercise.hints[-1] +
                    " (That was the last hint; all of them are shown above.)")
    _hints_shown[exercise_id] = shown + 1
    return Hint(exercise_id, shown + 1, total, exercise.hints[shown])
