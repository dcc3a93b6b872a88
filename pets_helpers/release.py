"""``pets-course release``: write the student notebooks from the solution notebooks.

Each ``solutions/NN_name.ipynb`` becomes ``notebooks/NN_name.ipynb``: every answer between
solution markers is replaced by a stub that raises ``NotDoneYet("L01.E2")`` (markdown answers
by a prompt), outputs and execution counts are cleared, and no solution text is left. The
lesson's identity comes from the file name (``NN`` → lesson ``LNN``, see
:mod:`pets_helpers.grading.discovery`): the notebook's ``pets.lesson`` metadata is stamped from
it, and each exercise cell's header line takes its title from the lesson module
(``# Exercise L01.E2 — <title>``).
``pets-course release --check`` exits 1 when ``notebooks/`` differs from what it would write.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

import nbformat

from .grading.discovery import get_lesson, lesson_ids
from .grading.markers import BEGIN, END, exercise_of_cell
from .workspace import add_commands

MARKDOWN_STUB = "*Write your answer here.*"


def strip_solutions(source: str, exercise_id: str | None, where: str) -> str:
    """Replace every solution block in ``source`` by its stub."""
    out, inside = [], False
    for number, line in enumerate(source.split("\n"), start=1):
        begin, end = BEGIN.match(line), END.match(line)
        if begin:
            if inside:
                raise ValueError(f"{where}, line {number}: BEGIN SOLUTION inside another block")
            inside = True
            indent, kind = begin.group(1), begin.group(2)
            if kind == "#":
                if exercise_id is None:
                    raise ValueError(f"{where}: a solution block in a cell that does not start "
                                     "with '# Exercise Lnn.En'")
                out.append(f'{indent}raise NotDoneYet("{exercise_id}")')
            else:
                out.append(f"{indent}{MARKDOWN_STUB}")
        elif end:
            if not inside:
                raise ValueError(f"{where}, line {number}: END SOLUTION without BEGIN")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{where}: BEGIN SOLUTION is never closed by END SOLUTION")
    return "\n".join(out)


def lesson_for(name: str):
    """The lesson a solution file ``NN_name.ipynb`` is, from its name (None if not a lesson)."""
    match = re.match(r"(\d{2})_", name)
    lesson_id = f"L{match.group(1)}" if match else None
    return get_lesson(lesson_id) if lesson_id in lesson_ids() else None


def with_title(source: str, exercise_id: str, title: str) -> str:
    """``source`` with its first line made ``# Exercise <id> — <title>``."""
    lines = source.lstrip("\n").split("\n")
    lines[0] = f"# Exercise {exercise_id} — {title}"
    return "\n".join(lines)


def student_version(solution: nbformat.NotebookNode, name: str,
                    lesson=None) -> nbformat.NotebookNode:
    """The student notebook for one solution notebook (a new object; input untouched).

    With ``lesson`` (a :class:`~pets_helpers.grading.Lesson`), the metadata names it and each
    exercise header carries the exercise's title from the lesson module.
    """
    nb = copy.deepcopy(solution)
    for index, cell in enumerate(nb.cells):
        where = f"{name}, cell {index + 1}"
        exercise_id = exercise_of_cell(cell.source) if cell.cell_type == "code" else None
        if exercise_id and lesson is not None:
            cell.source = with_title(cell.source, exercise_id, lesson.exercise(exercise_id).title)
        cell.source = strip_solutions(cell.source, exercise_id, where)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    nb.metadata.pop("widgets", None)
    if lesson is not None:
        nb.metadata["pets"] = {**nb.metadata.get("pets", {}), "lesson": lesson.id}
    return nb


def render(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb, version=4) + "\n"


def release(solutions: Path, notebooks: Path, check_only: bool = False) -> list[str]:
    """Write (or with ``check_only`` compare) every student notebook; return stale names."""
    sources = sorted(solutions.glob("[0-9][0-9]_*.ipynb"))
    if not sources:
        raise FileNotFoundError(f"no solution notebooks (NN_name.ipynb) in {solutions}")
    stale = []
    wanted = {src.name for src in sources}
    for src in sources:
        text = render(student_version(nbformat.read(src, as_version=4), src.name,
                                      lesson_for(src.name)))
        target = notebooks / src.name
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            stale.append(src.name)
            if not check_only:
                notebooks.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
    extra = sorted(p.name for p in notebooks.glob("*.ipynb") if p.name not in wanted)
    if extra:
        stale += extra
        if not check_only:
            for name in extra:
                (notebooks / name).unlink()
    return stale


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="pets-course",
                                     description="Maintain the PETs Lab course.")
    sub = parser.add_subparsers(dest="command", required=True)
    rel = sub.add_parser("release", help="write notebooks/ from solutions/")
    rel.add_argument("--root", type=Path, default=Path.cwd(), help="the course repository")
    rel.add_argument("--check", action="store_true",
                     help="write nothing; exit 1 if notebooks/ is out of date")
    add_commands(sub)  # the learner's workspace, progress and reset
    args = parser.parse_args(argv)
    if args.command != "release":
        try:
            return args.run(args)
        except (FileNotFoundError, ValueError) as exc:
            print(f"pets-course: {exc}", file=sys.stderr)
            return 2
    try:
        stale = release(args.root / "solutions", args.root / "notebooks", args.check)
    except (FileNotFoundError, ValueError) as exc:
        print(f"pets-course: {exc}", file=sys.stderr)
        return 2
    if args.check:
        if stale:
            print("out of date: " + ", ".join(stale) + " — run `pets-course release`",
                  file=sys.stderr)
            return 1
        print("notebooks/ is up to date")
    else:
        print(f"wrote {len(stale)} notebook(s)" + (": " + ", ".join(stale) if stale else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
