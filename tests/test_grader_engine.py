"""The grader on small notebooks: errors, timeouts, dead kernels and tampering."""

import time

import nbformat
import pytest

from pets_helpers.grading.grader import grade_notebook
from toy_lesson import LESSON

GOOD = {
    "E1": "# Exercise L99.E1\ndef double(x):\n    return 2 * x",
    "E2": "# Exercise L99.E2\nanswer = 42",
    "E3": "# Exercise L99.E3\ndef slow():\n    return 1",
}


def write(tmp_path, *cells, name="99_toy.ipynb"):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def grade(path, timeout=20):
    return grade_notebook(path, timeout=timeout, lesson=LESSON)


def passed(report):
    return {r.id: r.passed for r in report.results}


def test_correct_notebook_gets_full_marks(tmp_path):
    report = grade(write(tmp_path, GOOD["E1"], GOOD["E2"], GOOD["E3"]))
    assert report.score == report.max_score == 4
    assert report.as_dict()["exercises"][0] == {
        "id": "L99.E1", "points": 2, "max_points": 2, "passed": True, "message": "double works."}


def test_error_in_one_cell_fails_only_that_exercise(tmp_path):
    broken = "# Exercise L99.E1\ndef double(x):\n    return 2 * x\n1 / 0\ndef double(x): return x"
    report = grade(write(tmp_path, broken, GOOD["E2"], GOOD["E3"]))
    # the cell stopped at 1/0, so the first (right) definition is what the learner has:
    assert passed(report) == {"L99.E1": True, "L99.E2": True, "L99.E3": True}
    wrong = "# Exercise L99.E1\n1 / 0\ndef double(x):\n    return 2 * x"
    report = grade(write(tmp_path, wrong, GOOD["E2"], GOOD["E3"]))
    assert passed(report) == {"L99.E1": False, "L99.E2": True, "L99.E3": True}
    assert "ZeroDivisionError" in report.results[0].message


def test_a_cell_after_an_error_always_runs(tmp_path):
    # ipykernel aborts requests that reach it while it handles an error; the grader must not lose
    # the next cell to that race (it once reported a learner's MemoryError cell as "Error").
    from pets_helpers.grading.kernel import KernelSession
    kernel = KernelSession(tmp_path)
    try:
        for i in range(40):
            assert kernel.run("1 / 0", 10).ename == "ZeroDivisionError"
            assert kernel.run(f"ran_{i} = {i}", 10).status == "ok"
        assert kernel.run("assert [ran_0, ran_39] == [0, 39]", 10).status == "ok"
    finally:
        kernel.shutdown()


def test_infinite_loop_fails_its_exercise_and_grading_goes_on(tmp_path):
    loop = "# Exercise L99.E2\nanswer = 42\nwhile True:\n    pass"
    start = time.monotonic()
    report = grade(write(tmp_path, GOOD["E1"], loop, GOOD["E3"]), timeout=3)
    assert time.monotonic() - start < 3 + 15
    assert passed(report) == {"L99.E1": True, "L99.E2": False, "L99.E3": True}
    assert "time limit" in report.results[1].message


def test_function_that_never_returns_fails_within_the_timeout(tmp_path):
    slow = "# Exercise L99.E3\ndef slow():\n    while True:\n        pass"
    report = grade(write(tmp_path, GOOD["E1"], GOOD["E2"], slow), timeout=3)
    assert passed(report) == {"L99.E1": True, "L99.E2": True, "L99.E3": False}
    assert "did not finish in time" in report.results[2].message


def test_loop_that_swallows_interrupts_still_fails_in_bounded_time(tmp_path):
    stubborn = ("# Exercise L99.E2\nanswer = 42\nwhile True:\n    try:\n"
                "        while True: pass\n    except KeyboardInterrupt:\n        pass")
    start = time.monotonic()
    report = grade(write(tmp_path, GOOD["E1"], stubborn, GOOD["E3"]), timeout=2)
    assert time.monotonic() - start < 2 + 15
    assert not report.results[1].passed


def test_a_cell_that_kills_the_kernel_costs_only_what_depends_on_it(tmp_path):
    die = "import os\nos._exit(1)"
    report = grade(write(tmp_path, GOOD["E1"], die, GOOD["E2"], GOOD["E3"]))
    assert report.score == report.max_score  # restarted, cells before re-run, cell 2 skipped
    assert report.cell_problems == ["code cell 2: dead"]
    fatal_exercise = "# Exercise L99.E2\nanswer = 42\nimport os\nos._exit(1)"
    report = grade(write(tmp_path, GOOD["E1"], fatal_exercise, GOOD["E3"]))
    assert passed(report) == {"L99.E1": True, "L99.E2": False, "L99.E3": True}
    assert "kernel died while running the cell of L99.E2" in report.results[1].message


def test_a_function_that_kills_the_kernel_fails_only_its_exercise(tmp_path):
    killer = "# Exercise L99.E1\ndef double(x):\n    import os\n    os._exit(3)"
    report = grade(write(tmp_path, killer, GOOD["E2"], GOOD["E3"]))
    assert passed(report) == {"L99.E1": False, "L99.E2": True, "L99.E3": True}
    assert "being checked" in report.results[0].message


def test_a_kernel_that_keeps_dying_scores_zero_never_passes(tmp_path):
    die = "import os\nos._exit(1)"
    report = grade(write(tmp_path, GOOD["E1"], GOOD["E2"], GOOD["E3"], die, die, die, die))
    assert report.score == 0
    assert all("kept dying" in r.message for r in report.results)


def test_tampering_in_the_learner_namespace_cannot_pass_a_wrong_answer(tmp_path):
    tamper = ("import numpy\nnumpy.isclose = lambda *a, **k: True\n"
              "def check(*a, **k):\n    return 'PASS'\n"
              "import pets_helpers.grading.namespace as n\n"
              "n.run_check = lambda *a, **k: None")
    wrong = "# Exercise L99.E1\ndef double(x):\n    return 3 * x"
    report = grade(write(tmp_path, tamper, wrong, 'check("L99.E1")', GOOD["E2"], GOOD["E3"]))
    assert passed(report) == {"L99.E1": False, "L99.E2": True, "L99.E3": True}
    assert "should be 6" in report.results[0].message


def test_unreadable_return_value_fails_with_advice(tmp_path):
    gen = "# Exercise L99.E1\ndef double(x):\n    return (i for i in range(3))"
    report = grade(write(tmp_path, gen, GOOD["E2"], GOOD["E3"]))
    assert not report.results[0].passed
    assert "double" in report.results[0].message


def test_grading_twice_gives_the_same_result(tmp_path):
    path = write(tmp_path, GOOD["E1"], "# Exercise L99.E2\nanswer = 41", GOOD["E3"])
    assert grade(path).as_dict() == grade(path).as_dict()


def test_bad_timeout_is_refused(tmp_path):
    with pytest.raises(ValueError, match="timeout"):
        grade_notebook(write(tmp_path, GOOD["E1"]), timeout=0, lesson=LESSON)
