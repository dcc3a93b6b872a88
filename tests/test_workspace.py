"""The learner's workspace: copies never overwrite, reset keeps a backup, progress reads grades."""

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from pets_helpers import workspace
from pets_helpers.lessons import MODULES, get_lesson
from pets_helpers.release import main

ROOT = Path(__file__).resolve().parent.parent


def course(tmp_path, names=("00_welcome.ipynb", "01_randomized_response.ipynb")):
    """A tiny course repository: notebooks/ with the given release notebooks."""
    (tmp_path / "notebooks").mkdir()
    for name in names:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_markdown_cell(f"release of {name}")]
        nbformat.write(nb, tmp_path / "notebooks" / name)
    return tmp_path


def test_workspace_copies_the_lessons_and_never_overwrites_a_learners_file(tmp_path):
    root = course(tmp_path)
    copied = workspace.prepare_workspace(root)
    assert [p.name for p in copied] == ["00_welcome.ipynb", "01_randomized_response.ipynb"]
    mine = root / "work" / "01_randomized_response.ipynb"
    mine.write_text("my answers", encoding="utf-8")
    (root / "work" / "00_welcome.ipynb").unlink()  # a deleted lesson comes back, nothing else
    assert [p.name for p in workspace.prepare_workspace(root)] == ["00_welcome.ipynb"]
    assert mine.read_text(encoding="utf-8") == "my answers"
    # a lesson released later is copied too; the learner's files stay as they are
    nbformat.write(nbformat.v4.new_notebook(), root / "notebooks" / "04_federated.ipynb")
    assert [p.name for p in workspace.prepare_workspace(root)] == ["04_federated.ipynb"]
    assert mine.read_text(encoding="utf-8") == "my answers"
    assert workspace.prepare_workspace(root) == []


def test_make_lab_prepares_the_workspace_before_starting_jupyter():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    lab = re.search(r"^lab:.*?(?=^\S)", makefile, re.S | re.M).group(0)
    assert "pets-course workspace" in lab
    assert "work/00_welcome.ipynb" in lab and "root_dir" in lab
    assert 'PATH="$(abspath $(BIN)):$$PATH"' in lab  # the Jupyter terminal finds pets-grade
    assert re.search(r"^/?work/$", (ROOT / ".gitignore").read_text(encoding="utf-8"), re.M)


def test_workspace_command_through_pets_course(tmp_path, capsys):
    root = course(tmp_path)
    assert main(["workspace", "--root", str(root)]) == 0
    assert "copied 2 lesson(s)" in capsys.readouterr().out
    assert main(["workspace", "--root", str(root)]) == 0
    assert "nothing was changed" in capsys.readouterr().out
    assert main(["workspace", "--root", str(tmp_path / "nowhere")]) == 2
    assert "course repository" in capsys.readouterr().err


def test_reset_restores_the_release_and_keeps_a_timestamped_backup(tmp_path):
    root = course(tmp_path)
    workspace.prepare_workspace(root)
    mine = root / "work" / "01_randomized_response.ipynb"
    mine.write_text("answer one", encoding="utf-8")
    now = dt.datetime(2026, 12, 1, 10, 30, 0)
    restored, backup = workspace.reset_lesson(root, "01", now=now)
    assert restored == mine
    assert mine.read_bytes() == (root / "notebooks" / mine.name).read_bytes()
    assert backup.name == "01_randomized_response-20261201-103000.ipynb"
    assert backup.read_text(encoding="utf-8") == "answer one"
    # a second reset in the same second never overwrites the first backup
    mine.write_text("answer two", encoding="utf-8")
    _, second = workspace.reset_lesson(root, "L01", now=now)
    assert second != backup and second.read_text(encoding="utf-8") == "answer two"
    assert backup.read_text(encoding="utf-8") == "answer one"


def test_reset_names_lessons_flexibly_and_refuses_unknown_ones(tmp_path, capsys):
    root = course(tmp_path)
    for name in ("0", "L00", "00_welcome", "00_welcome.ipynb", "work/00_welcome.ipynb"):
        restored, backup = workspace.reset_lesson(root, name)
        assert restored.name == "00_welcome.ipynb"
    with pytest.raises(ValueError, match="01_randomized_response"):
        workspace.reset_lesson(root, "05")
    assert main(["reset", "7", "--root", str(root)]) == 2
    assert "no lesson '7'" in capsys.readouterr().err
    assert main(["reset", "1", "--root", str(root)]) == 0
    assert "back to the release version" in capsys.readouterr().out


def saved_grade(folder, lesson_id, passed, timestamp="2026-12-01T10:00:00"):
    """A grade as ``pets-grade`` saves it (.pets-grades/<stem>.json)."""
    lesson = get_lesson(lesson_id)
    exercises = [{"id": ex.id, "points": ex.points if ex.id in passed else 0,
                  "max_points": ex.points, "passed": ex.id in passed,
                  "message": "ok" if ex.id in passed else "not yet"} for ex in lesson.exercises]
    data = {"lesson": lesson_id, "notebook": f"work/{lesson.notebook}.ipynb",
            "exercises": exercises, "score": sum(e["points"] for e in exercises),
            "max_score": lesson.max_score, "timestamp": timestamp}
    (folder / ".pets-grades").mkdir(exist_ok=True)
    (folder / ".pets-grades" / f"{lesson.notebook}.json").write_text(json.dumps(data))
    return data


def test_progress_reads_saved_grades_and_hints(tmp_path):
    l01 = get_lesson("L01")
    first = l01.exercises[0]
    saved_grade(tmp_path, "L01", {first.id})
    saved_grade(tmp_path, "L00", {ex.id for ex in get_lesson("L00").exercises})
    workspace.record_hint(tmp_path, "L01.E2", 1)
    workspace.record_hint(tmp_path, "L01.E2", 3)
    workspace.record_hint(tmp_path, "L01.E2", 2)  # the highest step is kept
    workspace.record_hint(tmp_path, "L00.E1", 1)
    rows = {r.lesson: r for r in workspace.progress(tmp_path)}
    assert set(rows) == set(MODULES)  # every lesson of the course, graded or not
    assert rows["L00"].status == "done" and rows["L00"].score == get_lesson("L00").max_score
    assert rows["L00"].hints_used == 1
    assert rows["L01"].score == first.points and rows["L01"].hints_used == 3
    assert rows["L01"].left == [ex.id for ex in l01.exercises[1:]]
    assert rows["L01"].graded_at == "2026-12-01T10:00:00"
    assert rows["L02"].score is None and rows["L02"].status == "not graded yet"
    text = workspace.format_progress(list(rows.values()))
    assert f"{first.points}/{l01.max_score}" in text and "to do: L01.E2" in text
    html = workspace.show_progress(tmp_path)._repr_html_()
    assert "not graded yet" in html and "hints used" in html


def test_progress_ignores_broken_or_foreign_grade_files(tmp_path):
    (tmp_path / ".pets-grades").mkdir()
    (tmp_path / ".pets-grades" / f"{get_lesson('L02').notebook}.json").write_text("{not json")
    data = saved_grade(tmp_path, "L01", set())
    data["lesson"] = "L03"  # a grade of another lesson saved under L01's name
    (tmp_path / ".pets-grades" / f"{get_lesson('L01').notebook}.json").write_text(json.dumps(data))
    (tmp_path / ".pets-grades" / "hints.json").write_text('["not", "a", "dict"]')
    rows = {r.lesson: r for r in workspace.progress(tmp_path)}
    assert rows["L01"].score is None and rows["L02"].score is None
    assert all(r.hints_used == 0 for r in rows.values())


def test_progress_command_finds_work_from_the_repository_root(tmp_path, capsys, monkeypatch):
    root = course(tmp_path)
    workspace.prepare_workspace(root)
    saved_grade(root / "work", "L00", {"L00.E1"})
    monkeypatch.chdir(root)
    assert main(["progress"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"L00 .* \d+/\d+ .*to do: L00\.E2", out), out


def test_hint_records_only_inside_a_kernel_and_read_only_folders_are_fine(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    os.chmod(folder, 0o500)
    try:
        workspace.record_hint(folder, "L01.E1", 1)  # no error, nothing recorded
        assert workspace.read_hints(folder) == {} or os.geteuid() == 0
    finally:
        os.chmod(folder, 0o700)


def test_pets_course_help_lists_the_learner_commands():
    out = subprocess.run([sys.executable, "-m", "pets_helpers.release", "--help"], cwd=ROOT,
                         capture_output=True, text=True, env=dict(os.environ)).stdout
    for command in ("workspace", "progress", "reset"):
        assert command in out
