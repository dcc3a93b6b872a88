"""The hostile catalogue (tests/hostile/), graded in one class run with the real CLI, sandboxed.

For every attack: no point it did not earn, no file outside its scratch folder changed, no
process left behind, a row for every file, and the correct notebook in the same batch keeps
full marks. Then: 20 notebooks graded with --jobs 2 give the same report as with --jobs 1.
"""

import csv
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from hostile.notebooks import (L04_E3_SHORTCUT, L04_E5_WITH_LOCAL_SGD, ORPHAN_SECONDS, catalogue,
                               notebook, right_e6)
from pets_helpers.grading.sandbox import bwrap_path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "pets_helpers"

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the sandbox is Linux-only (bubblewrap)")


def tree_digest(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def survivors() -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if ORPHAN_SECONDS in cmdline and "sleep" in cmdline:
                found.append(f"{entry.name}: {cmdline}")
    return found


def pets_grade(*args, timeout=900):
    return subprocess.run([sys.executable, "-m", "pets_helpers.grading.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def class_run(tmp_path_factory):
    assert bwrap_path(), "bubblewrap must be installed (apt-get install bubblewrap)"
    base = tmp_path_factory.mktemp("hostile")
    ctx = {"subs": base / "subs", "report": base / "report", "outside": base / "outside"}
    for folder in ctx.values():
        folder.mkdir()
    (ctx["outside"] / "sentinel.txt").write_text("must not change")
    for name, content in catalogue(ctx).items():
        (ctx["subs"] / name).write_bytes(content)
    before = {"subs": tree_digest(ctx["subs"]), "outside": tree_digest(ctx["outside"]),
              "package": tree_digest(PACKAGE)}
    done = pets_grade(ctx["subs"], "--lesson", "L01", "--jobs", "2", "--sandbox", "bwrap",
                      "--memory", "1", "--timeout", "30", "--report", ctx["report"], "--json")
    time.sleep(5)  # longer than the late-rewrite attack waits before writing
    grades = {Path(g["notebook"]).name: g for g in json.loads(done.stdout)}
    rows = {r["student"]: r for r in csv.DictReader((ctx["report"] / "report.csv").open())}
    return {"done": done, "grades": grades, "rows": rows, "before": before, **ctx}


def test_every_file_has_a_row_and_the_run_fails_loudly(class_run):
    files = {p.name for p in class_run["subs"].iterdir()}
    assert set(class_run["grades"]) == files
    assert {Path(name).stem for name in files} == set(class_run["rows"])
    assert class_run["done"].returncode == 1  # some files could not be graded
    reasons = {name: g["reason"] for name, g in class_run["grades"].items() if not g["graded"]}
    assert set(reasons) == {"unreadable.ipynb", "empty.ipynb", "notes.txt",
                            "foreign_l00.ipynb"}, reasons
    assert "empty" in reasons["empty.ipynb"]
    assert "not a readable" in reasons["unreadable.ipynb"]
    assert "foreign notebook" in reasons["foreign_l00.ipynb"] and "L00" in reasons[
        "foreign_l00.ipynb"]
    assert "NOT GRADED" in class_run["rows"]["foreign_l00"]["status"]
    assert "could not be graded" in class_run["done"].stderr


def test_the_correct_notebook_keeps_full_marks(class_run):
    good = class_run["grades"]["good.ipynb"]
    assert good["score"] == good["max_score"] == 13, good
    assert class_run["grades"]["fatal_last_cell.ipynb"]["score"] == 13


def test_no_attack_gains_a_point(class_run):
    earned = {"good.ipynb": 13, "fatal_last_cell.ipynb": 13, "classmate.ipynb": 2,
              "killed_parent.ipynb": 2}
    for name, grade in class_run["grades"].items():
        assert grade["score"] <= earned.get(name, 0), (name, grade)
    assert class_run["grades"]["killed_parent.ipynb"]["score"] == 2  # restarted, E6 kept
    assert class_run["grades"]["classmate.ipynb"]["score"] == 2


def test_library_shortcuts_and_lesson_modules_are_closed(class_run):
    messages = {e["id"]: e["message"] for e in
                class_run["grades"]["library_shortcut.ipynb"]["exercises"]}
    for exercise in ("L01.E2", "L01.E3", "L01.E6"):
        assert "write it yourself" in messages[exercise], messages[exercise]
    lesson = class_run["grades"]["lesson_import.ipynb"]
    assert any("reference answers" in p for p in lesson["cell_problems"])
    assert "reference answers" in lesson["exercises"][5]["message"]


def test_no_file_outside_the_scratch_folder_changes(class_run):
    before = class_run["before"]
    assert tree_digest(class_run["subs"]) == before["subs"]
    assert tree_digest(class_run["outside"]) == before["outside"]  # no pickle, no late rewrite
    assert tree_digest(PACKAGE) == before["package"]
    assert next(csv.reader((class_run["report"] / "report.csv").open()))[0] == "student"


def test_no_process_outlives_the_run(class_run):
    assert survivors() == []


def test_the_json_output_and_the_memory_limit_hold(class_run):
    assert "999" not in class_run["done"].stdout
    assert "everything passed" not in class_run["done"].stderr
    bomb = class_run["grades"]["memory_bomb.ipynb"]
    assert sum("MemoryError" in p for p in bomb["cell_problems"]) == 2, bomb["cell_problems"]
    assert all(g["sandbox"] == "bwrap" for g in class_run["grades"].values())


def test_a_shortcut_is_closed_only_while_its_own_exercise_is_checked(tmp_path):
    """L04.E3's answer is local_sgd; L04.E5's train step must call local_sgd."""
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "04_student.ipynb").write_bytes(notebook(
        ["# Exercise L04.E3" + L04_E3_SHORTCUT, "# Exercise L04.E5" + L04_E5_WITH_LOCAL_SGD],
        lesson="L04"))
    done = pets_grade(subs, "--lesson", "L04", "--sandbox", "bwrap", "--timeout", "120",
                      "--report", tmp_path / "report", "--json")
    grade = json.loads(done.stdout)[0]
    results = {e["id"]: e for e in grade["exercises"]}
    assert not results["L04.E3"]["passed"]
    assert "write it yourself" in results["L04.E3"]["message"], results["L04.E3"]
    assert "pets_helpers.fl.task:local_sgd" in results["L04.E3"]["message"]
    assert results["L04.E5"]["passed"], results["L04.E5"]


def test_twenty_notebooks_give_the_same_report_with_two_jobs(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    variants = [right_e6(), "best_oracle = lambda e, d: 'OUE'", "def best_oracle(e, d):\n  1/0",
                "", "raise ValueError('x')"]
    for i in range(20):
        (subs / f"student{i:02d}.ipynb").write_bytes(notebook([variants[i % len(variants)]]))
    reports = []
    for jobs in (1, 2):
        out = tmp_path / f"jobs{jobs}"
        done = pets_grade(subs, "--lesson", "L01", "--jobs", jobs, "--report", out)
        assert done.returncode == 0, done.stderr
        reports.append((out / "report.csv").read_text())
    assert reports[0] == reports[1]
    rows = list(csv.DictReader(reports[0].splitlines()))
    assert len(rows) == 20 and [r["L01.E6"] for r in rows[:5]] == ["2", "0", "0", "0", "0"]


def test_unsandboxed_grading_says_so_loudly(tmp_path):
    path = tmp_path / "01_blank.ipynb"
    path.write_bytes(notebook(["x = 1"]))
    done = pets_grade(path, "--sandbox", "none", "--no-save")
    assert done.returncode == 0
    assert done.stderr.count("WITHOUT a sandbox") >= 2
    assert "WITHOUT a sandbox" in done.stdout
    assert os.path.exists(path)
    assert nbformat.read(path, as_version=4).cells[0].source == "x = 1"
