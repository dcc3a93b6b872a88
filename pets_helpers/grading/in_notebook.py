"""What learners call in a notebook: ``check("L01.E2")`` and ``hint("L01.E2")``."""

from __future__ import annotations

import dataclasses
import html
import inspect
import os
import re
from pathlib import Path

from ..workspace import record_hint
from .discovery import find_exercise
from .exercise import CheckResult
from .namespace import LocalNamespace, run_check

_hints_shown: dict[str, int] = {}

_CODE = re.compile(r"`([^`\n]+)`")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_EM = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])")


def markdown_html(text: str) -> str:
    """The inline markdown of feedback and hints (``code``, **bold**, *emphasis*, line breaks)
    as safe HTML: everything is escaped first, then only these few marks become tags."""
    parts = _CODE.split(html.escape(str(text), quote=False))
    out = []
    for i, part in enumerate(parts):
        if i % 2:  # inside backticks: shown literally
            out.append(f"<code>{part}</code>")
        else:
            part = _BOLD.sub(r"<b>\1</b>", part)
            out.append(_EM.sub(r"<i>\1</i>", part))
    return "".join(out).replace("\n", "<br>")


class Feedback(CheckResult):
    """A :class:`CheckResult` whose box renders the message's markdown in Jupyter."""

    def _repr_html_(self) -> str:
        color, bg, mark = (("#1a7f37", "#e8f6ec", "✔ Passed") if self.passed
                           else ("#b3261e", "#fdecea", "✘ Not yet"))
        return (
            f'<div style="border-left:6px solid {color};background:{bg};padding:8px 12px;'
            f'margin:4px 0;border-radius:4px;font-family:sans-serif">'
            f'<b style="color:{color}">{mark}</b> &nbsp; <b>{html.escape(self.id)}</b> '
            f'{html.escape(self.title)} &nbsp; <span style="float:right">{self.points}/'
            f'{self.max_points} points</span><div style="margin-top:6px">'
            f'{markdown_html(self.message)}</div></div>'
        )


def _user_namespace(depth: int = 2) -> dict:
    try:
        return get_ipython().user_ns  # noqa: F821 — present inside IPython
    except NameError:
        return inspect.stack()[depth].frame.f_globals


def _in_ipython() -> bool:
    """True in a learner's own Jupyter kernel; False outside IPython and under the grader or
    nbval (``PETS_HEADLESS=1``), whose runs of a hint cell are not the learner asking."""
    if os.environ.get("PETS_HEADLESS") == "1":
        return False
    try:
        get_ipython()  # noqa: F821
    except NameError:
        return False
    return True


def check(exercise_id: str) -> CheckResult:
    """Check your answer to ``exercise_id`` now and show a pass/fail box.

    Only feedback: the grader re-runs every check itself, so this cell can be edited or deleted
    without changing your score. Your grade comes from ``pets-grade`` on the saved notebook.
    """
    from . import kernel_side

    exercise = find_exercise(exercise_id)
    namespace = _user_namespace()
    kernel_side.guard_shortcuts(exercise.shortcuts, [namespace])   # as when graded
    with kernel_side.closed(exercise.shortcuts):
        result = run_check(exercise, LocalNamespace(namespace))
    return Feedback(**{f.name: getattr(result, f.name) for f in dataclasses.fields(result)})


class Hint:
    """The hints of an exercise revealed so far (HTML in Jupyter, text elsewhere)."""

    def __init__(self, exercise_id: str, steps: list[str], total: int, last: bool = False):
        self.exercise_id, self.steps, self.total, self.last = exercise_id, steps, total, last

    @property
    def step(self) -> int:
        return len(self.steps)

    @property
    def text(self) -> str:
        return self.steps[-1]

    def __str__(self) -> str:
        lines = [f"Hint {self.step}/{self.total} for {self.exercise_id}: {self.text}"]
        lines += [f"  (earlier hint {i}/{self.total}: {text})"
                  for i, text in enumerate(self.steps[:-1], start=1)]
        if self.last:
            lines.append("(That was the last hint: all of them are listed here.)")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        rows = "".join(f"<div><b>Hint {i}/{self.total}</b>: {markdown_html(text)}</div>"
                       for i, text in enumerate(self.steps, start=1))
        tail = ("<div><i>That was the last hint: all of them are listed here.</i></div>"
                if self.last else "")
        return (f'<div style="border-left:6px solid #8250df;background:#f6f0ff;'
                f'padding:8px 12px;border-radius:4px;font-family:sans-serif">'
                f'<div>Hints for <b>{html.escape(self.exercise_id)}</b></div>{rows}{tail}</div>')


def hint(exercise_id: str) -> Hint:
    """Reveal the next hint for ``exercise_id`` (one more step per call; works offline).

    The box lists every hint revealed so far, so nothing is lost when the cell is re-run. The
    number of hints used is saved in ``.pets-grades/hints.json`` beside the notebook, where
    ``pets-course progress`` reads it.
    """
    exercise = find_exercise(exercise_id)
    total = len(exercise.hints)
    shown = min(_hints_shown.get(exercise_id, 0) + 1, total)
    _hints_shown[exercise_id] = shown
    if _in_ipython():  # a kernel runs in the notebook's folder
        record_hint(Path.cwd(), exercise_id, shown)
    return Hint(exercise_id, list(exercise.hints[:shown]), total, last=shown == total)
