"""Grade a notebook: run it in a fresh (sandboxed) kernel, then run every check of its lesson.

The notebook's own check cells are skipped (and editing or deleting them changes nothing): the
grader runs the lesson's checks itself, from its own process, against what the learner defined.
A cell that raises fails only the exercises that depend on it; a cell that runs past the timeout
is interrupted and fails its exercise. A cell that kills the kernel costs only what it must: the
kernel is restarted, the cells before it are run again, the fatal cell is skipped and grading
goes on (at most :data:`MAX_RESTARTS` times per notebook).
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from tqdm.auto import tqdm

from .discovery import get_lesson, lesson_ids
from .exercise import CheckResult, Lesson
from .kernel import KernelNamespace, KernelSession, Outcome
from .markers import CHECK_CELL, EXERCISE_CELL, exercise_of_cell
from .namespace import KernelDied, run_check
from .sandbox import Sandbox, make_scratch

DEFAULT_TIMEOUT = 60.0
MAX_RESTARTS = 3
MAX_NOTEBOOK_BYTES = 50 << 20
LESSON_ID = re.compile(r"^L\d{2}$")


class NotGradable(Exception):
    """This file cannot be graded (unreadable, empty, of another lesson…); says why."""


@dataclass
class GradeReport:
    """The grade of one notebook: one :class:`CheckResult` per exercise, in lesson order.

    ``reason`` is set (and ``results`` empty) when the notebook could not be graded at all.
    """

    lesson: str
    notebook: str
    results: list[CheckResult]
    cell_problems: list[str] = field(default_factory=list)
    reason: str = ""
    sandbox: str = ""

    @property
    def graded(self) -> bool:
        return not self.reason

    @property
    def score(self) -> int:
        return sum(r.points for r in self.results)

    @property
    def max_score(self) -> int:
        return sum(r.max_points for r in self.results)

    def as_dict(self) -> dict:
        return {"lesson": self.lesson, "notebook": Path(self.notebook).name,
                "graded": self.graded, "reason": self.reason, "sandbox": self.sandbox,
                "score": self.score, "max_score": self.max_score,
                "exercises": [r.as_dict() for r in self.results],
                "cell_problems": list(self.cell_problems)}

    @classmethod
    def from_dict(cls, data: dict, notebook: str) -> GradeReport:
        results = [CheckResult(e["id"], e.get("title", ""), bool(e["passed"]), int(e["points"]),
                               int(e["max_points"]), str(e["message"]))
                   for e in data["exercises"]]
        return cls(str(data["lesson"]), notebook, results, list(data.get("cell_problems", [])),
                   str(data.get("reason", "")), str(data.get("sandbox", "")))


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """The notebook at ``path``, or :class:`NotGradable` saying what is wrong with the file."""
    try:
        size = path.stat().st_size
        if size == 0:
            raise NotGradable("the file is empty")
        if size > MAX_NOTEBOOK_BYTES:
            raise NotGradable(f"the file is {size >> 20} MiB, larger than a notebook should be")
        return nbformat.read(path, as_version=4)
    except NotGradable:
        raise
    except PermissionError:
        raise NotGradable("the file cannot be read (permission denied)") from None
    except Exception as exc:
        raise NotGradable(f"not a readable Jupyter notebook ({type(exc).__name__}: "
                          f"{str(exc)[:200]})") from None


def lessons_in(notebook: nbformat.NotebookNode) -> tuple[str | None, set[str]]:
    """(the lesson its metadata names, the lessons its exercise cells belong to)."""
    meta = notebook.metadata.get("pets", {})
    claimed = meta.get("lesson") if isinstance(meta, dict) else None
    claimed = claimed if isinstance(claimed, str) and LESSON_ID.match(claimed) else None
    cells = set()
    for cell in notebook.cells:
        if cell.get("cell_type") == "code" and isinstance(cell.get("source"), str):
            match = EXERCISE_CELL.match(cell.source.lstrip("\n").split("\n", 1)[0])
            if match:
                cells.add(match.group(1).split(".")[0])
    return claimed, cells


def identify_lesson(notebook: nbformat.NotebookNode, path: Path,
                    expected: str | None = None) -> str:
    """The lesson to grade ``notebook`` as, cross-checked against its structure.

    Metadata is the learner's to edit, so it is only believed when the exercise cells agree;
    with ``expected`` (``--lesson``) a notebook of any other lesson is refused as foreign.
    """
    claimed, cells = lessons_in(notebook)
    if expected is not None:
        others = sorted((cells | {claimed}) - {expected, None})
        if others:
            raise NotGradable(f"foreign notebook: it is lesson {', '.join(others)}, not "
                              f"{expected} (its metadata or exercise cells say so)")
        return expected
    if len(cells) > 1:
        raise NotGradable(f"its exercise cells mix lessons {', '.join(sorted(cells))}")
    if claimed and cells and cells != {claimed}:
        raise NotGradable(f"its metadata says {claimed} but its exercise cells are "
                          f"{next(iter(cells))}'s; pass --lesson to choose")
    if claimed or cells:
        return claimed or next(iter(cells))
    match = re.match(r"(\d{2})_", path.name)
    if match:
        return f"L{match.group(1)}"
    raise NotGradable("cannot tell which lesson this is (no 'pets.lesson' metadata, no "
                      "exercise cells, and the name does not start with the lesson number, "
                      "e.g. 01_...); pass --lesson")


def lesson_of(notebook: nbformat.NotebookNode, path: Path) -> Lesson:
    """The :class:`Lesson` a notebook belongs to (see :func:`identify_lesson`)."""
    lesson_id = identify_lesson(notebook, path)
    if lesson_id not in lesson_ids():
        raise NotGradable(f"lesson {lesson_id} is not part of this course "
                          f"({', '.join(lesson_ids())})")
    return get_lesson(lesson_id)


def grade_notebook(path, timeout: float | None = None, progress: bool = False,
                   lesson: Lesson | None = None, *, sandbox: Sandbox | None = None,
                   expected_lesson: str | None = None, log_path=None) -> GradeReport:
    """Execute ``path`` in a fresh kernel and grade it.

    ``timeout`` is seconds per cell and per check call (default: the lesson's ``cell_timeout``,
    else :data:`DEFAULT_TIMEOUT`); ``sandbox`` defaults to bubblewrap when it works here.
    Raises :class:`NotGradable` when the file cannot be graded at all.
    """
    path = Path(path)
    if timeout is not None and not timeout > 0:
        raise ValueError(f"timeout must be > 0 seconds, got {timeout}")
    notebook = read_notebook(path)
    if lesson is None:
        if expected_lesson is not None:
            if expected_lesson not in lesson_ids():
                raise ValueError(f"unknown lesson {expected_lesson!r}; the course has "
                                 f"{', '.join(lesson_ids())}")
            identify_lesson(notebook, path, expected_lesson)
            lesson = get_lesson(expected_lesson)
        else:
            lesson = lesson_of(notebook, path)
    timeout = timeout or lesson.cell_timeout or DEFAULT_TIMEOUT
    sandbox = sandbox or Sandbox.choose("auto")
    if sandbox.sandboxed:  # the notebook's own folder (the submissions) is not visible inside
        sandbox = dataclasses.replace(sandbox, hidden=[*sandbox.hidden, str(path.parent.resolve())])
    cells = [c.source for c in notebook.cells
             if c.get("cell_type") == "code" and isinstance(c.get("source"), str)
             and c.source.strip() and not CHECK_CELL.match(c.source)]
    with tempfile.TemporaryDirectory(prefix="pets-scratch-") as scratch_root:
        scratch = Path(scratch_root) / "work"
        make_scratch(path.resolve(), scratch)
        run = _Run(lesson, cells, timeout, sandbox, scratch, log_path)
        bar = tqdm(total=len(cells) + len(lesson.exercises), desc=f"grading {path.name}",
                   unit="step", disable=not progress, leave=False)
        try:
            results = run.grade(bar)
        finally:
            bar.close()
            run.close()
            shutil.rmtree(scratch, ignore_errors=True)
    return GradeReport(lesson.id, str(path), results, run.problems, sandbox=sandbox.kind)


class _Run:
    """One notebook's grading: the kernel, the cells that killed it, and what went wrong."""

    def __init__(self, lesson, cells, timeout, sandbox, scratch, log_path):
        self.lesson, self.cells, self.timeout = lesson, cells, timeout
        self.sandbox, self.scratch, self.log_path = sandbox, scratch, log_path
        self.fatal: dict[int, str] = {}      # cell index → where it was, for messages
        self.outcomes: dict[str, Outcome] = {}
        self.problems: list[str] = []
        self.restarts = 0
        self.gave_up = ""                    # where the kernel died once restarts ran out
        self.session = self._start()

    def _start(self) -> KernelSession:
        return KernelSession(self.scratch, sandbox=self.sandbox, shortcuts=self.lesson.shortcuts,
                             log_path=self.log_path)

    def close(self) -> None:
        if self.session is not None:
            self.session.shutdown()

    def _where(self, index: int) -> str:
        exercise_id = exercise_of_cell(self.cells[index])
        return f"the cell of {exercise_id}" if exercise_id else f"code cell {index + 1}"

    def _restart(self, upto: int) -> bool:
        """A new kernel with every non-fatal cell before ``upto`` run again; False if out of
        restarts (or the replay itself keeps killing the kernel)."""
        while self.restarts < MAX_RESTARTS:
            self.restarts += 1
            self.session.shutdown()
            self.session = self._start()
            for index in range(upto):
                if index in self.fatal:
                    continue
                if self.session.run(self.cells[index], self.timeout).status == "dead":
                    self.fatal[index] = self._where(index)
                    self.problems.append(f"{self._where(index)}: the kernel died again when "
                                         "it was run a second time; skipped")
                    break
            else:
                return True
        return False

    def grade(self, bar) -> list[CheckResult]:
        index = 0
        while index < len(self.cells) and not self.gave_up:
            bar.update()
            source, where = self.cells[index], self._where(index)
            outcome = self.session.run(source, self.timeout)
            exercise_id = exercise_of_cell(source)
            if exercise_id:
                self.outcomes[exercise_id] = outcome
            if outcome.status != "ok":
                self.problems.append(f"{where}: {outcome.status} {outcome.ename} "
                                     f"{outcome.evalue}".strip())
            if outcome.status == "dead":
                self.fatal[index] = where
                if not self._restart(index):
                    self.gave_up = where
            index += 1
        results = []
        for exercise in self.lesson.exercises:
            bar.update()
            results.append(self._verdict(exercise))
        return results

    def _verdict(self, exercise) -> CheckResult:
        outcome = self.outcomes.get(exercise.id)

        def fail(message):
            return CheckResult(exercise.id, exercise.title, False, 0, exercise.points, message)

        if self.gave_up:
            return fail(f"The kernel died while running {self.gave_up} (or it would not stop) "
                        f"and kept dying after {MAX_RESTARTS} restarts, so {exercise.id} could "
                        "not be checked and scores zero. Find what ends the Python process "
                        "there (os._exit, a crash, a loop that ignores interrupts).")
        if outcome is not None and outcome.status == "dead":
            return fail(f"The kernel died while running the cell of {exercise.id} (or it would "
                        "not stop when interrupted), so that cell was skipped and the exercise "
                        "scores zero. Find what ends the Python process there (os._exit, a "
                        "crash, a loop that ignores interrupts).")
        if outcome is not None and outcome.status == "timeout":
            return fail(f"The cell of {exercise.id} was still running at the time limit "
                        f"({self.timeout:g} s), so it was stopped: look for a loop that never "
                        "ends or work that is far too large, and make it finish quickly.")
        result = run_check(exercise, KernelNamespace(self.session, self.timeout,
                                                     closed=exercise.shortcuts))
        if self.session.dead:  # the learner's function killed the kernel while being checked
            self.problems.append(f"checking {exercise.id}: the kernel died")
            if not self._restart(len(self.cells)):
                self.gave_up = f"the check of {exercise.id}"
            return fail(f"The kernel died while {exercise.id} was being checked (your function "
                        "ended the Python process), so it scores zero.")
        if result.passed or outcome is None or outcome.status != "error":
            return result
        if outcome.ename == "NotDoneYet":
            return fail(f"Exercise {exercise.id} is not done yet: replace the "
                        "`raise NotDoneYet(...)` line with your answer and run the cell again.")
        return fail(f"(The cell of {exercise.id} raised {outcome.ename}: {outcome.evalue})\n"
                    f"{result.message}")


__all__ = ["DEFAULT_TIMEOUT", "GradeReport", "KernelDied", "NotGradable", "grade_notebook",
           "identify_lesson", "lesson_of", "read_notebook"]
