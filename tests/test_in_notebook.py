"""What a learner sees in a notebook: feedback boxes render markdown, hints stay listed and are
recorded for ``pets-course progress``."""

import pytest

from pets_helpers.grading import in_notebook
from pets_helpers.grading.in_notebook import Feedback, check, hint, markdown_html
from pets_helpers.workspace import read_hints


def test_markdown_marks_become_tags_and_everything_else_is_escaped():
    out = markdown_html("use *every* report, **not** `x<1 and *y*`\n<script>")
    assert "<i>every</i>" in out and "<b>not</b>" in out
    assert "<code>x&lt;1 and *y*</code>" in out  # code is shown literally
    assert "<br>&lt;script&gt;" in out and "<script>" not in out
    assert markdown_html("2 * 3 * 4 and a*b*c") == "2 * 3 * 4 and a*b*c"


def test_check_returns_a_box_that_renders_markdown():
    result = check("L01.E1")  # nothing defined here: a failing box
    assert isinstance(result, Feedback) and not result.passed
    box = Feedback("L99.E1", "t", False, 0, 1, "count *every* report")
    assert "<i>every</i>" in box._repr_html_() and "*every*" in str(box)


def test_check_in_the_notebook_refuses_library_shortcuts_as_the_grader_does():
    """In a fresh interpreter (guards rebind library names): the exercise's own shortcut fails,
    even when imported before the first check; another exercise may use it; demos may too."""
    import subprocess
    import sys

    from hostile.notebooks import L04_E3_SHORTCUT, L04_E5_WITH_LOCAL_SGD

    code = L04_E3_SHORTCUT + L04_E5_WITH_LOCAL_SGD + '''
from pets_helpers.fl.task import init_params
from pets_helpers.grading import in_notebook

result = in_notebook.check("L04.E3")
assert not result.passed and "write it yourself" in result.message, result.message
assert "pets_helpers.fl.task:local_sgd" in result.message
assert in_notebook.check("L04.E5").passed
x = np.zeros((4, 64)); y = np.array([0, 1, 2, 3])
assert len(local_update(init_params(64, 10), x, y, 1, 0.1, 2, 0)) == 2   # outside a check

# One-line library answers to other lessons' exercises fail the same way.
from pets_helpers.attacks.floating_point import distinguishing_attack
from pets_helpers.he.params import CKKSParams
def guess_input(outputs, scale):
    return distinguishing_attack(outputs, 0.0, 1.0, scale)
def ciphertext_facts(params):
    p = CKKSParams(**params)
    return {"slots": p.slots, "depth": p.depth, "bytes": p.ciphertext_bytes}
from pets_helpers.dp import dp_mean_mse
def clipping_mse(incomes, upper, epsilon):
    return dp_mean_mse(len(incomes), incomes.mean(), 0, upper, epsilon, true_values=incomes)
for exercise in ("L02.E4", "L02.E6", "L07.E4"):
    result = in_notebook.check(exercise)
    assert not result.passed and "write it yourself" in result.message, result.message
print("ok")
'''
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert out.stdout.strip() == "ok", out.stderr[-2000:]


def test_hints_stay_listed_and_the_last_one_says_so(monkeypatch):
    monkeypatch.setattr(in_notebook, "_hints_shown", {})
    boxes = [hint("L02.E1") for _ in range(4)]
    assert [b.step for b in boxes] == [1, 2, 3, 3]
    html = boxes[2]._repr_html_()
    assert "Hint 1/3" in html and "Hint 2/3" in html and "Hint 3/3" in html
    assert "all of them are listed here" in str(boxes[3])
    assert "shown above" not in str(boxes[3])


def test_hints_are_recorded_beside_the_notebook_inside_a_kernel(tmp_path, monkeypatch):
    monkeypatch.setattr(in_notebook, "_hints_shown", {})
    monkeypatch.setattr(in_notebook, "_in_ipython", lambda: True)
    monkeypatch.chdir(tmp_path)
    hint("L03.E1")
    hint("L03.E1")
    assert read_hints(tmp_path) == {"L03.E1": 2}


def test_hints_outside_a_kernel_record_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(in_notebook, "_hints_shown", {})
    monkeypatch.chdir(tmp_path)
    hint("L03.E1")
    assert not (tmp_path / ".pets-grades").exists()


@pytest.mark.parametrize("exercise_id", ["L01.E99"])
def test_unknown_exercise_is_refused(exercise_id):
    with pytest.raises(KeyError):
        hint(exercise_id)
