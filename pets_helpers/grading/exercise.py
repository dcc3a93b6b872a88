"""What an exercise is: an id, points, a check, targeted feedback and a hint ladder.

A *check* is a plain function ``check(ns) -> str | None``. It reads the learner's answers only
through ``ns`` (see :mod:`pets_helpers.grading.namespace`), raises :class:`Mistake` with a
message that teaches when the answer is wrong, and returns an optional praise message when it is
right. The same check runs inside the notebook (check cells) and in the grader, where the
learner's code runs in its own kernel and every comparison happens in the grader's process.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Callable

EXERCISE_ID = re.compile(r"^L\d{2}\.E\d+$")


class Mistake(Exception):
    """Raised by a check: the answer is wrong; the message says what to fix."""


class NotDoneYet(NotImplementedError):
    """Raised by the stub of an exercise the learner has not answered yet."""

    def __init__(self, exercise_id: str):
        self.exercise_id = exercise_id
        super().__init__(
            f"Exercise {exercise_id} is not done yet: replace this line with your answer, "
            f"then run the cell and check({exercise_id!r})."
        )


def shortcut_name(func) -> str:
    """``"module:qualname"`` of a library function (or a string already in that form)."""
    if isinstance(func, str):
        if ":" not in func:
            raise ValueError(f"a shortcut is a library function or 'module:qualname', got {func!r}")
        return func
    module, qualname = getattr(func, "__module__", None), getattr(func, "__qualname__", None)
    if not module or not qualname or "<" in qualname:
        raise ValueError(f"a shortcut must be a named library function, got {func!r}")
    return f"{module}:{qualname}"


@dataclass(frozen=True)
class Exercise:
    """One graded exercise. ``hints`` is the ladder revealed one step per ``hint(id)`` call.

    ``shortcuts`` names the library functions that *are* the answer (e.g. ``ldp.rr_estimate``):
    while grading, learner code that calls them gets "write it yourself" instead.
    """

    id: str
    title: str
    points: int
    check: Callable
    hints: tuple[str, ...]
    shortcuts: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "shortcuts", tuple(shortcut_name(f) for f in self.shortcuts))
        if not EXERCISE_ID.match(self.id):
            raise ValueError(f"exercise id must look like 'L01.E2', got {self.id!r}")
        if self.points <= 0:
            raise ValueError(f"{self.id}: points must be > 0")
        if len(self.hints) < 3:
            raise ValueError(f"{self.id}: give a hint ladder of at least 3 steps")


@dataclass(frozen=True)
class Lesson:
    """A lesson: its id (``L01``), the stem of its notebook file, and its exercises in order.

    ``cell_timeout`` (seconds) is how long one cell of this lesson may run while grading, for
    lessons whose cells legitimately take longer than the grader's default (Ray start-up,
    Flower deployment rounds, CTGAN training); None keeps the default.
    """

    id: str
    title: str
    notebook: str
    exercises: tuple[Exercise, ...] = field(default_factory=tuple)
    cell_timeout: float | None = None

    def __post_init__(self):
        if self.cell_timeout is not None and not (0 < self.cell_timeout <= 3600):
            raise ValueError(f"{self.id}: cell_timeout must be in (0, 3600] seconds, got "
                             f"{self.cell_timeout!r}")
        for ex in self.exercises:
            if not ex.id.startswith(self.id + "."):
                raise ValueError(f"exercise {ex.id} does not belong to lesson {self.id}")

    @property
    def max_score(self) -> int:
        return sum(ex.points for ex in self.exercises)

    @property
    def shortcuts(self) -> tuple[str, ...]:
        """Every exercise's shortcuts, once each, in order."""
        return tuple(dict.fromkeys(s for ex in self.exercises for s in ex.shortcuts))

    def exercise(self, exercise_id: str) -> Exercise:
        for ex in self.exercises:
            if ex.id == exercise_id:
                return ex
        known = ", ".join(ex.id for ex in self.exercises)
        raise KeyError(f"{self.id} has no exercise {exercise_id!r}; its exercises are {known}.")


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one exercise; renders as a pass/fail box (HTML in Jupyter, text elsewhere)."""

    id: str
    title: str
    passed: bool
    points: int
    max_points: int
    message: str

    def as_dict(self) -> dict:
        return {"id": self.id, "points": self.points, "max_points": self.max_points,
                "passed": self.passed, "message": self.message}

    def __str__(self) -> str:
        mark = "PASS" if self.passed else "FAIL"
        head = f"[{mark}] {self.id} {self.title} — {self.points}/{self.max_points} points"
        rule = "-" * min(len(head), 78)
        return f"{rule}\n{head}\n{self.message}\n{rule}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        color, bg, mark = (("#1a7f37", "#e8f6ec", "✔ Passed") if self.passed
                           else ("#b3261e", "#fdecea", "✘ Not yet"))
        message = html.escape(self.message).replace("\n", "<br>")
        return (
            f'<div style="border-left:6px solid {color};background:{bg};padding:8px 12px;'
            f'margin:4px 0;border-radius:4px;font-family:sans-serif">'
            f'<b style="color:{color}">{mark}</b> &nbsp; <b>{html.escape(self.id)}</b> '
            f'{html.escape(self.title)} &nbsp; <span style="float:right">{self.points}/'
            f'{self.max_points} points</span><div style="margin-top:6px">{message}</div></div>'
        )
