"""The release command: answers become stubs, outputs are cleared, mistakes are refused."""

import nbformat
import pytest

from pets_helpers.release import main, release, strip_solutions, student_version


def test_code_answer_becomes_an_indented_stub():
    src = ("# Exercise L01.E2 — estimator\ndef f(x):\n    '''doc'''\n    # BEGIN SOLUTION\n"
           "    secret = x + 1\n    return secret\n    # END SOLUTION\nprint('after')")
    out = strip_solutions(src, "L01.E2", "cell")
    assert out == ("# Exercise L01.E2 — estimator\ndef f(x):\n    '''doc'''\n"
                   '    raise NotDoneYet("L01.E2")\nprint(\'after\')')
    assert "secret" not in out


def test_markdown_answer_becomes_a_prompt():
    src = "Why?\n\n<!-- BEGIN SOLUTION -->\nBecause.\n<!-- END SOLUTION -->"
    assert strip_solutions(src, None, "cell") == "Why?\n\n*Write your answer here.*"


@pytest.mark.parametrize("src,problem", [
    ("# BEGIN SOLUTION\nx = 1", "never closed"),
    ("x = 1\n# END SOLUTION", "without BEGIN"),
    ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION", "inside another"),
])
def test_broken_markers_are_refused(src, problem):
    with pytest.raises(ValueError, match=problem):
        strip_solutions(src, "L01.E1", "cell")


def test_code_solution_outside_an_exercise_cell_is_refused():
    with pytest.raises(ValueError, match="Exercise Lnn.En"):
        strip_solutions("# BEGIN SOLUTION\nx = 1\n# END SOLUTION", None, "cell 3")


def make_solution(folder, name="01_demo.ipynb"):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("# Exercise L01.E1\n# BEGIN SOLUTION\nx = 1\n# END SOLUTION")
    cell.outputs = [nbformat.v4.new_output("stream", text="1")]
    cell.execution_count = 3
    nb.cells = [nbformat.v4.new_markdown_cell("# Demo"), cell]
    folder.mkdir(exist_ok=True)
    nbformat.write(nb, folder / name)
    return nb


def test_student_version_clears_outputs_and_leaves_the_source_untouched(tmp_path):
    nb = make_solution(tmp_path)
    student = student_version(nb, "01_demo.ipynb")
    assert student.cells[1].outputs == [] and student.cells[1].execution_count is None
    assert student.cells[1].source == '# Exercise L01.E1\nraise NotDoneYet("L01.E1")'
    assert nb.cells[1].source.endswith("# END SOLUTION")


def test_release_writes_then_reports_up_to_date_and_removes_strays(tmp_path):
    make_solution(tmp_path / "solutions")
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "99_old.ipynb").write_text("{}")
    assert release(tmp_path / "solutions", tmp_path / "notebooks", check_only=True) == [
        "01_demo.ipynb", "99_old.ipynb"]
    assert main(["release", "--root", str(tmp_path), "--check"]) == 1
    assert main(["release", "--root", str(tmp_path)]) == 0
    assert not (tmp_path / "notebooks" / "99_old.ipynb").exists()
    assert main(["release", "--root", str(tmp_path), "--check"]) == 0
    # a hand edit of a student notebook is detected
    path = tmp_path / "notebooks" / "01_demo.ipynb"
    path.write_text(path.read_text().replace("Demo", "Edited"))
    assert release(tmp_path / "solutions", tmp_path / "notebooks", check_only=True) == [
        "01_demo.ipynb"]


def test_release_without_solutions_is_a_clear_error(tmp_path, capsys):
    assert main(["release", "--root", str(tmp_path)]) == 2
    assert "no solution notebooks" in capsys.readouterr().err


def test_release_takes_identity_and_titles_from_the_lesson_module(tmp_path):
    from pets_helpers.lessons import get_lesson

    make_solution(tmp_path / "solutions")  # 01_demo.ipynb: lesson L01 by its file name
    release(tmp_path / "solutions", tmp_path / "notebooks")
    student = nbformat.read(tmp_path / "notebooks" / "01_demo.ipynb", as_version=4)
    assert student.metadata["pets"]["lesson"] == "L01"
    title = get_lesson("L01").exercise("L01.E1").title
    assert student.cells[1].source.split("\n")[0] == f"# Exercise L01.E1 — {title}"


def test_real_notebook_headers_match_the_lesson_titles():
    from pathlib import Path

    from pets_helpers.lessons import get_lesson, lesson_ids, notebook_stem

    root = Path(__file__).resolve().parent.parent
    for lesson_id in lesson_ids():
        path = root / "notebooks" / f"{notebook_stem(lesson_id)}.ipynb"
        nb = nbformat.read(path, as_version=4)
        headers = {c.source.split("\n")[0] for c in nb.cells if c.source.startswith("# Exercise")}
        assert headers == {f"# Exercise {ex.id} — {ex.title}"
                           for ex in get_lesson(lesson_id).exercises}, path.name
        assert nb.metadata["pets"]["lesson"] == lesson_id


def test_no_notebook_imports_a_lesson_module():
    """Lesson modules hold the reference answers: notebooks use the library instead."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    pattern = re.compile(r"(from|import)\s+pets_helpers\.lessons\b|pets_helpers\.lessons\.l\d")
    for path in sorted((root / "notebooks").glob("*.ipynb")) + sorted(
            (root / "solutions").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            assert not pattern.search(cell.source), f"{path.name} imports a lesson module"
