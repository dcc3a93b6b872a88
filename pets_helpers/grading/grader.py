"""Grade a notebook: run it in a fresh kernel, then run every check of its lesson.

The notebook's own check cells are skipped (and editing or deleting them changes nothing): the
grader runs the lesson's checks itself, from its own process, against what the learner defined.
A cell that raises fails only the exercises that depend on it; a cell that runs past the timeout
is interrupted and fails its exercise; a dead kernel fails every exercise not yet checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from tqdm.auto import tqdm

from ..lessons import get_lesson
from .exercise import CheckResult, Lesson
from .kernel import KernelNamespace, KernelSession, Outcome
from .markers import CHECK_CELL, exercise_of_cell
from .namespace import run_check

DEFAULT_TIMEOUT = 60.0


@dataclass
class GradeReport:
    """The grade of one notebook: one :class:`CheckResult` per exercise, in lesson order."""

    lesson: str
    notebook: str
    results: list[CheckResult]
    cell_problems: list[str] = field(default_factory=list)

    @property
    def score(self) -> int:
        return sum(r.points for r in self.results)

    @property
    def max_score(self) -> int:
        return sum(r.max_points for r in self.results)

    def as_dict(self) -> dict:
        return {"lesson": self.lesson, "score": self.score, "max_score": self.max_score,
                "exercises": [r.as_dict() for r in self.results]}


def lesson_of(notebook: nbformat.NotebookNode, path: Path) -> Lesson:
    """The lesson a notebook belongs to: its ``pets.lesson`` metadata, else its file name."""
    lesson_id = notebook.metadata.get("pets", {}).get("lesson")
    if not lesson_id:
        match = re.match(r"(\d{2})_", path.name)
        if not match:
            raise ValueError(f"{path.name}: cannot tell which lesson this is (no 'pets.lesson' "
                             "metadata and the name does not start with the lesson number, "
                             "e.g. 01_...).")
        lesson_id = f"L{match.group(1)}"
    return get_lesson(lesson_id)


def grade_notebook(path, timeout: float = DEFAULT_TIMEOUT, progress: bool = False,
                   lesson: Lesson | None = None) -> GradeReport:
    """Execute ``path`` in a fresh kernel (``timeout`` seconds per cell) and grade it."""
    path = Path(path)
    if timeout <= 0:
        raise ValueError(f"timeout must be > 0 seconds, got {timeout}")
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception as exc:
        raise ValueError(f"{path}: not a readable Jupyter notebook ({exc})") from exc
    lesson = lesson or lesson_of(notebook, path)
    cells = [c for c in notebook.cells
             if c.cell_type == "code" and c.source.strip() and not CHECK_CELL.match(c.source)]
    bar = tqdm(total=len(cells) + len(lesson.exercises), desc=f"grading {path.name}",
               unit="step", disable=not progress, leave=False)
    cell_outcomes: dict[str, Outcome] = {}
    problems: list[str] = []
    died_in = None
    session = KernelSession(path.parent.resolve())
    try:
        for index, cell in enumerate(cells):
            bar.update()
            outcome = session.run(cell.source, timeout)
            exercise_id = exercise_of_cell(cell.source)
            where = f"the cell of {exercise_id}" if exercise_id else f"code cell {index + 1}"
            if exercise_id:
                cell_outcomes[exercise_id] = outcome
            if outcome.status != "ok":
                problems.append(f"{where}: {outcome.status} {outcome.ename} {outcome.evalue}"
                                .strip())
            if outcome.status == "dead":
                died_in = where
                break
        namespace = KernelNamespace(session, timeout)
        results = []
        for exercise in lesson.exercises:
            bar.update()
            if died_in:
                results.append(CheckResult(
                    exercise.id, exercise.title, False, 0, exercise.points,
                    f"The kernel died while running {died_in} (or it would not stop), so "
                    f"{exercise.id} could not be checked and scores zero. Find what ends the "
                    "Python process there (os._exit, a crash, a loop that ignores interrupts)."))
            else:
                results.append(_verdict(exercise, namespace, cell_outcomes.get(exercise.id)))
    finally:
        bar.close()
        session.shutdown()
    return GradeReport(lesson.id, str(path), results, problems)


def _verdict(exercise, namespace, cell_outcome: Outcome | None) -> CheckResult:
    if cell_outcome is not None and cell_outcome.status == "timeout":
        return CheckResult(exercise.id, exercise.title, False, 0, exercise.points,
                           f"The cell of {exercise.id} was still running at the time limit, so "
                           "it was stopped: look for a loop that never ends or work that is far "
                           "too large, and make it finish quickly.")
    result = run_check(exercise, namespace)
    if result.passed or cell_outcome is None or cell_outcome.status != "error":
        return result
    if cell_outcome.ename == "NotDoneYet":
        message = (f"Exercise {exercise.id} is not done yet: replace the "
                   "`raise NotDoneYet(...)` line with your answer and run the cell again.")
    else:
        message = (f"(The cell of {exercise.id} raised {cell_outcome.ename}: "
                   f"{cell_outcome.evalue})\n{result.message}")
    return CheckResult(result.id, result.title, False, 0, result.max_points, message)
