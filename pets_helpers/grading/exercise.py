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


@dataclass(frozen=True)
class Exercise:
    """One graded exercise. ``hints`` is the ladder revealed one step per ``hint(id)`` call."""

    id: str
    title: str
    points: int
    check: Callable
    hints: tuple[str, ...]

    def __post_init__(self):
        if not EXERCISE_ID.match(self.id):
            raise ValueError(f"exercise id must look like 'L01.E2', got {self.id!r}")
        if self.points <= 0:
            raise ValueError(f"{self.id}: points must be > 0")
        if len(self.hints) < 3:
            raise ValueError(f"{self.id}: give a hint ladder of at least 3 steps")


@dataclass(frozen=True)
class Lesson:
    """A lesson: its id (``L01``), the stem of its notebook file, and its exercises in order."""

    id: str
    title: str
    notebook: str
    exercises: tuple[Exercise, ...] = field(default_factory=tuple)

    def __post_init__(self):
        for ex in self.exercises:
            if not ex.id.startswith(self.id + "."):
                raise ValueError(f"exercise {ex.id} does not belong to lesson {self.id}")

    @property
    def max_score(self) -> int:
        return sum(ex.points for ex in self.exercises)

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
