"""The learner's workspace: own copies of the lessons, progress from saved grades, reset.

Learners never work in ``notebooks/`` (the generated release, rewritten by ``pets-course
release``) but in a git-ignored ``work/`` folder beside it:

- :func:`prepare_workspace` copies every student notebook that ``work/`` does not hold yet —
  it never overwrites a file, so it is safe to run at every start (``make lab`` does);
- :func:`reset_lesson` puts one lesson back to its release version, after moving the learner's
  copy to ``work/backups/NN_name-YYYYmmdd-HHMMSS.ipynb``;
- :func:`progress` reads what ``pets-grade`` saved in ``work/.pets-grades/<stem>.json`` and the
  hints recorded in ``work/.pets-grades/hints.json`` — nothing is re-run.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

WORK = "work"
RELEASE = "notebooks"
GRADES = ".pets-grades"
HINTS = "hints.json"
BACKUPS = "backups"
_NOTEBOOK = re.compile(r"^(\d{2})_[\w-]+\.ipynb$")


def _release_notebooks(root: Path) -> list[Path]:
    folder = Path(root) / RELEASE
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} does not exist: run this from the course repository "
                                "(the folder holding notebooks/ and solutions/).")
    return sorted(p for p in folder.glob("*.ipynb") if _NOTEBOOK.match(p.name))


def prepare_workspace(root) -> list[Path]:
    """Copy each release notebook missing from ``root/work/`` there; return the copies made.

    A notebook already in ``work/`` is never touched, whatever it holds, so running this again
    (or after new lessons are released) only adds the lessons the learner does not have yet.
    """
    root = Path(root)
    sources = _release_notebooks(root)
    work = root / WORK
    work.mkdir(exist_ok=True)
    copied = []
    for src in sources:
        target = work / src.name
        try:
            # exclusive creation: an existing file (even one created a moment ago) is kept
            with target.open("xb") as out:
                out.write(src.read_bytes())
        except FileExistsError:
            continue
        copied.append(target)
    return copied


def _find_release(root: Path, lesson: str) -> Path:
    """The release notebook of ``lesson``: "L01", "01", "1" or a notebook file name."""
    text = str(lesson).strip()
    name = Path(text).name
    match = re.fullmatch(r"[Ll]?(\d{1,2})", text)
    notebooks = _release_notebooks(root)
    if match:
        number = f"{int(match.group(1)):02d}"
        found = [p for p in notebooks if p.name.startswith(number + "_")]
    else:
        found = [p for p in notebooks if p.name == name or p.stem == name]
    if not found:
        known = ", ".join(p.stem for p in notebooks)
        raise ValueError(f"no lesson {lesson!r} in the release; name one of {known} "
                         "(or just its number, e.g. 01).")
    return found[0]


def reset_lesson(root, lesson, now: _dt.datetime | None = None) -> tuple[Path, Path | None]:
    """Restore ``work/NN_name.ipynb`` from the release; return (restored, backup or None).

    The learner's copy is first moved to ``work/backups/NN_name-YYYYmmdd-HHMMSS.ipynb`` (never
    overwriting an earlier backup), so a reset can always be undone by copying it back.
    """
    root = Path(root)
    src = _find_release(root, lesson)
    work = root / WORK
    work.mkdir(exist_ok=True)
    target = work / src.name
    backup = None
    if target.exists():
        stamp = (now or _dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
        folder = work / BACKUPS
        folder.mkdir(exist_ok=True)
        backup = folder / f"{src.stem}-{stamp}.ipynb"
        n = 1
        while backup.exists():
            backup = folder / f"{src.stem}-{stamp}-{n}.ipynb"
            n += 1
        shutil.copy2(target, backup)
    shutil.copyfile(src, target)
    return target, backup


# --- progress ---------------------------------------------------------------------------------
@dataclass
class LessonProgress:
    """Where the learner stands in one lesson, from the last saved grade (if any)."""

    lesson: str
    title: str
    notebook: str
    max_score: int
    score: int | None = None
    graded_at: str | None = None
    left: list[str] = field(default_factory=list)
    hints_used: int = 0

    @property
    def status(self) -> str:
        if self.score is None:
            return "not graded yet"
        if not self.left:
            return "done"
        return "to do: " + ", ".join(self.left)


def read_grade(path) -> dict | None:
    """A grade saved by ``pets-grade`` (``.pets-grades/<stem>.json``), or None if unreadable.

    Accepts the saved fields ``lesson``, ``score`` (or ``total``), ``max_score`` (or ``max``),
    ``timestamp`` and ``exercises`` (each with ``id``, ``points``, ``passed``).
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("exercises"), list):
        return None
    exercises = [e for e in data["exercises"] if isinstance(e, dict) and "id" in e]
    score = data.get("score", data.get("total"))
    if not isinstance(score, (int, float)):
        score = sum(e.get("points", 0) for e in exercises
                    if isinstance(e.get("points", 0), (int, float)))
    return {"lesson": data.get("lesson"), "score": score, "exercises": exercises,
            "timestamp": data.get("timestamp") or data.get("graded_at")}


def read_hints(folder) -> dict[str, int]:
    """Hints revealed per exercise id, as recorded by ``hint()`` in ``folder/.pets-grades``."""
    try:
        data = json.loads((Path(folder) / GRADES / HINTS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: int(v) for k, v in data.items()
            if isinstance(k, str) and isinstance(v, int) and v > 0}


def record_hint(folder, exercise_id: str, step: int) -> None:
    """Remember that hint ``step`` of ``exercise_id`` was shown (keeps the highest step).

    Best effort: a read-only folder (e.g. under the sandboxed grader) records nothing.
    """
    path = Path(folder) / GRADES / HINTS
    hints = read_hints(folder)
    if hints.get(exercise_id, 0) >= step:
        return
    hints[exercise_id] = step
    try:
        path.parent.mkdir(exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(hints, indent=1, sort_keys=True), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass


def default_folder() -> Path:
    """The folder holding the learner's notebooks: ``./work`` from the repository, else ``.``."""
    here = Path.cwd()
    if (here / WORK).is_dir() and (here / RELEASE).is_dir():
        return here / WORK
    return here


def progress(folder=None) -> list[LessonProgress]:
    """Every lesson of the course with the learner's last grade, hints used and what is left."""
    from .lessons import MODULES, get_lesson

    folder = Path(folder) if folder is not None else default_folder()
    hints = read_hints(folder)
    rows = []
    for lesson_id in sorted(MODULES):
        lesson = get_lesson(lesson_id)
        row = LessonProgress(lesson.id, lesson.title, lesson.notebook, lesson.max_score,
                             hints_used=sum(n for ex, n in hints.items()
                                            if ex.startswith(lesson.id + ".")))
        grade = read_grade(folder / GRADES / f"{lesson.notebook}.json")
        if grade is not None and grade["lesson"] in (None, lesson.id):
            passed = {e["id"] for e in grade["exercises"] if e.get("passed") is True}
            row.score = grade["score"]
            row.graded_at = grade["timestamp"]
            row.left = [ex.id for ex in lesson.exercises if ex.id not in passed]
        else:
            row.left = [ex.id for ex in lesson.exercises]
        rows.append(row)
    return rows


def format_progress(rows: list[LessonProgress]) -> str:
    """A terminal table of :func:`progress`."""
    lines = [f"{'lesson':<6}  {'notebook':<26}  {'score':>7}  {'hints':>5}  status"]
    for r in rows:
        score = "-" if r.score is None else f"{r.score:g}/{r.max_score}"
        lines.append(f"{r.lesson:<6}  {r.notebook:<26}  {score:>7}  {r.hints_used:>5}  {r.status}")
    done = sum(1 for r in rows if r.score is not None and not r.left)
    total = sum(r.score or 0 for r in rows)
    lines.append(f"{done} of {len(rows)} lessons complete; {total:g} of "
                 f"{sum(r.max_score for r in rows)} points.")
    lines.append("Scores come from your last `pets-grade work/NN_….ipynb` (save the notebook "
                 "first); grade again after changing an answer.")
    return "\n".join(lines)


class ProgressTable:
    """:func:`progress` for a notebook cell (HTML in Jupyter, text elsewhere)."""

    def __init__(self, rows: list[LessonProgress]):
        self.rows = rows

    def __str__(self) -> str:
        return format_progress(self.rows)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        esc = html.escape
        body = []
        for r in self.rows:
            score = "—" if r.score is None else f"{r.score:g}/{r.max_score}"
            color = ("#e8f6ec" if r.score is not None and not r.left else
                     "#fff8e1" if r.score is not None else "#ffffff")
            when = esc(str(r.graded_at or ""))
            body.append(f'<tr style="background:{color}"><td>{esc(r.lesson)}</td>'
                        f"<td>{esc(r.notebook)}</td><td>{score}</td><td>{r.hints_used}</td>"
                        f"<td>{esc(r.status)}</td><td>{when}</td></tr>")
        return ('<table style="font-family:sans-serif"><tr><th>lesson</th><th>notebook</th>'
                "<th>last score</th><th>hints used</th><th>status</th><th>graded</th></tr>"
                + "".join(body) + "</table>")


def show_progress(folder=None) -> ProgressTable:
    """The progress table for a notebook cell: ``show_progress()`` in a notebook of ``work/``."""
    return ProgressTable(progress(folder))


# --- command line (``pets-course workspace|progress|reset``) ----------------------------------
def add_commands(sub) -> None:
    """Add the learner's subcommands to ``pets-course``'s argument parser."""
    ws = sub.add_parser("workspace", help="copy lessons missing from work/ (never overwrites)")
    ws.add_argument("--root", type=Path, default=Path.cwd(), help="the course repository")
    ws.set_defaults(run=_cmd_workspace)
    pr = sub.add_parser("progress", help="every lesson with your last score, hints and what is left")
    pr.add_argument("--folder", type=Path, default=None,
                    help="the folder of your notebooks (default: ./work, else .)")
    pr.set_defaults(run=_cmd_progress)
    rs = sub.add_parser("reset", help="restore one lesson in work/ from the release (keeps a backup)")
    rs.add_argument("lesson", help="the lesson: 01, L01 or 01_randomized_response")
    rs.add_argument("--root", type=Path, default=Path.cwd(), help="the course repository")
    rs.set_defaults(run=_cmd_reset)


def _cmd_workspace(args) -> int:
    copied = prepare_workspace(args.root)
    if copied:
        print(f"copied {len(copied)} lesson(s) into {WORK}/: " + ", ".join(p.name for p in copied))
    else:
        print(f"{WORK}/ already holds every lesson; nothing was changed.")
    return 0


def _cmd_progress(args) -> int:
    print(format_progress(progress(args.folder)))
    return 0


def _cmd_reset(args) -> int:
    restored, backup = reset_lesson(args.root, args.lesson)
    if backup:
        print(f"your previous copy is saved as {backup.relative_to(args.root)}")
    print(f"{restored.relative_to(args.root)} is back to the release version")
    return 0
