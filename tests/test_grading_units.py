"""Units of the grading engine: verdicts, feedback boxes, hints, tolerances, reports, CLI."""

import csv
import re
import json
import queue

import nbformat
import numpy as np
import pytest
from scipy import stats

from pets_helpers.grading import CheckResult, Exercise, Lesson, Mistake, NotDoneYet, hint
from pets_helpers.grading.cli import main as grade_main
from pets_helpers.grading.grader import GradeReport
from pets_helpers.grading.namespace import LocalNamespace, run_check
from pets_helpers.grading.report import format_table, pass_rates, write_class_report
from pets_helpers.grading.tolerance import binomial_acceptance, normal_tolerance, z_score

H = ("a", "b", "c")


def ex(check):
    return Exercise("L99.E1", "t", 3, check, H)


def test_only_a_check_that_returns_passes():
    assert run_check(ex(lambda ns: "nice"), LocalNamespace({})).passed
    assert run_check(ex(lambda ns: None), LocalNamespace({})).message == "Correct."
    for failing in (lambda ns: (_ for _ in ()).throw(Mistake("no")),
                    lambda ns: ns.get("missing"),
                    lambda ns: 1 / 0):
        result = run_check(ex(failing), LocalNamespace({}))
        assert not result.passed and result.points == 0 and result.max_points == 3


def test_messages_name_the_problem():
    def stub():
        raise NotDoneYet("L99.E1")

    def broken():
        raise KeyError("oops")

    def msg(names, check):
        return run_check(ex(check), LocalNamespace(names)).message

    assert "not done yet" in msg({"f": stub}, lambda ns: ns.call("f"))
    assert "raised KeyError" in msg({"f": broken}, lambda ns: ns.call("f"))
    assert "`f` is not defined" in msg({}, lambda ns: ns.call("f"))
    assert "not a function" in msg({"f": 3}, lambda ns: ns.call("f"))
    assert "checker itself failed" in msg({}, lambda ns: 1 / 0)


def test_local_namespace_hands_out_copies():
    data = {"arr": np.zeros(3)}
    ns = LocalNamespace(data)
    ns.get("arr")[0] = 5
    assert data["arr"][0] == 0
    assert ns.has("arr") and not ns.has("other")


def test_exercise_and_lesson_definitions_are_validated():
    with pytest.raises(ValueError, match="L01.E2"):
        Exercise("E2", "t", 1, None, H)
    with pytest.raises(ValueError, match="hint ladder"):
        Exercise("L99.E1", "t", 1, None, ("only one",))
    with pytest.raises(ValueError, match="does not belong"):
        Lesson("L98", "t", "98_t", (ex(None),))


def test_feedback_box_has_text_and_html_forms():
    result = CheckResult("L99.E1", "title", False, 0, 2, "use <b>p</b>")
    assert "[FAIL] L99.E1" in str(result) and "0/2 points" in str(result)
    assert "&lt;b&gt;p&lt;/b&gt;" in result._repr_html_()
    assert "Passed" in CheckResult("L99.E1", "t", True, 2, 2, "ok")._repr_html_()


def test_hint_ladder_reveals_one_step_per_call():
    texts = [str(hint("L01.E1")) for _ in range(4)]
    assert texts[0].startswith("Hint 1/3") and texts[2].startswith("Hint 3/3")
    assert "last hint" in texts[3]
    assert "Hint 1/3" in hint("L01.E2")._repr_html_()
    with pytest.raises(KeyError):
        hint("L01.E99")
    with pytest.raises(ValueError):
        hint("nonsense")


def test_binomial_acceptance_has_the_stated_false_fail_rate():
    n, p = 10_000, 0.3
    lo, hi = binomial_acceptance(n, p)
    dist = stats.binom(n, p)
    assert dist.cdf(lo - 1) + dist.sf(hi) <= 1e-6
    assert dist.cdf(lo) + dist.sf(hi - 1) > 1e-6 / 2  # not needlessly wide
    assert z_score() == pytest.approx(4.8916, abs=1e-3)
    assert normal_tolerance(2.0) == pytest.approx(2 * z_score())
    with pytest.raises(ValueError):
        normal_tolerance(float("nan"))


def report(name, points):
    results = [CheckResult(f"L99.E{i + 1}", "t", p > 0, p, 2, "m") for i, p in enumerate(points)]
    return GradeReport("L99", f"/x/{name}.ipynb", results)


def test_class_report_csv_and_html(tmp_path):
    reports = [report("ada", [2, 2]), report("bob", [0, 2])]
    assert pass_rates(reports) == {"L99.E1": 0.5, "L99.E2": 1.0}
    csv_path, html_path = write_class_report(reports, tmp_path / "out")
    rows = list(csv.reader(csv_path.open()))
    assert rows == [["student", "lesson", "score", "max_score", "L99.E1", "L99.E2", "status",
                     "sandbox"],
                    ["ada", "L99", "4", "4", "2", "2", "graded", ""],
                    ["bob", "L99", "2", "4", "0", "2", "graded", ""]]
    page = html_path.read_text()
    assert "ada" in page and "50%" in page and "mean score 3.0" in page
    assert "score: 2/4" in format_table(reports[1])


def test_cli_refuses_bad_input(tmp_path, capsys):
    with pytest.raises(SystemExit):
        grade_main([str(tmp_path / "missing.ipynb")])
    with pytest.raises(SystemExit):
        grade_main([str(tmp_path), "--timeout", "-1"])
    with pytest.raises(SystemExit):
        grade_main([str(tmp_path)])  # an empty folder
    with pytest.raises(SystemExit):
        grade_main([str(tmp_path), "--lesson", "L42"])
    nb = tmp_path / "notes.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), nb)
    assert grade_main([str(nb)]) == 1
    assert "cannot tell which lesson" in capsys.readouterr().err


def test_cli_grades_a_folder_into_a_class_report(tmp_path, capsys):
    subs = tmp_path / "subs"
    subs.mkdir()
    for student, answer in (("ada", "GRR"), ("bob", "nonsense")):
        nb = nbformat.v4.new_notebook(metadata={"pets": {"lesson": "L01"}})
        nb.cells = [nbformat.v4.new_code_cell(
            "# Exercise L01.E6\ndef best_oracle(epsilon, domain_size):\n"
            "    return 'GRR' if domain_size < 3 * 2.718281828 ** epsilon + 2 else 'OUE'"
            if student == "ada" else f"best_oracle = {answer!r}")]
        nbformat.write(nb, subs / f"{student}.ipynb")
    assert grade_main([str(subs), "--report", str(tmp_path / "grades"), "--json",
                       "--jobs", "2"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["score"] for d in data] == [2, 0]
    rows = list(csv.DictReader((tmp_path / "grades" / "report.csv").open()))
    assert [(r["student"], r["L01.E6"]) for r in rows] == [("ada", "2"), ("bob", "0")]


def test_single_notebook_grade_is_saved_for_the_progress_command(tmp_path, capsys):
    nb = nbformat.v4.new_notebook(metadata={"pets": {"lesson": "L01"}})
    nb.cells = [nbformat.v4.new_code_cell("best_oracle = 3")]
    path = tmp_path / "01_mine.ipynb"
    nbformat.write(nb, path)
    assert grade_main([str(path)]) == 0
    saved = json.loads((tmp_path / ".pets-grades" / "01_mine.json").read_text())
    assert saved["lesson"] == "L01" and saved["total"] == saved["score"] == 0
    assert saved["max_score"] == sum(e["max_points"] for e in saved["exercises"])
    assert {"id", "title", "points", "max_points", "passed", "message"} <= set(
        saved["exercises"][0])
    assert saved["timestamp"].endswith("+00:00")
    (tmp_path / ".pets-grades" / "01_mine.json").unlink()
    assert grade_main([str(path), "--no-save"]) == 0
    assert not (tmp_path / ".pets-grades" / "01_mine.json").exists()


def test_learner_text_is_escaped_in_terminal_and_csv(tmp_path):
    from pets_helpers.grading.report import csv_safe, terminal_safe

    assert terminal_safe("a\x1b[2Jb\rc\u202e") == "a\\x1b[2Jb\\x0dc\\u202e"
    assert csv_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)" and csv_safe("-2+3") == "'-2+3"
    assert csv_safe(3) == 3 and csv_safe("ada") == "ada"
    bad = GradeReport("L99", "/x/=cmd|' -C calc'!A0.ipynb",
                      [CheckResult("L99.E1", "t", False, 0, 2, "\x1b]0;pwned\x07")])
    write_class_report([bad, GradeReport("L99", "/x/gone.ipynb", [], reason="the file is empty")],
                       tmp_path)
    rows = list(csv.reader((tmp_path / "report.csv").open()))
    assert rows[1][0].startswith("'=") and "NOT GRADED: the file is empty" in rows[2][-2]
    assert "\x1b" not in format_table(bad) and "\\x1b" in format_table(bad)


def test_answer_coercions_accept_right_shapes_and_explain_wrong_ones():
    from pets_helpers.grading.answers import as_array, as_bits, as_float

    assert as_float(np.float32(2.5), "f") == 2.5
    assert as_array([1, 2], (2,), "f").dtype == float
    assert as_bits([True, False], (2,), "f").tolist() == [1, 0]
    for call, phrase in [
        (lambda: as_float([1, 2], "f"), "one number"),
        (lambda: as_float(float("nan"), "f"), "finite"),
        (lambda: as_array([1, 2, 3], (2,), "f", "one per item"), "one per item: shape (2,)"),
        (lambda: as_array(["a", "b"], (2,), "f"), "array of numbers"),
        (lambda: as_array([1, np.inf], (2,), "f"), "non-finite"),
        (lambda: as_bits([0, 2], (2,), "f"), "only 0s and 1s"),
    ]:
        with pytest.raises(Mistake, match=re.escape(phrase)):
            call()


# --- the wire format: only plain data crosses, and the decoder trusts nothing ---------------

def test_wire_round_trips_plain_data_exactly():
    import datetime as dt

    import pandas as pd

    from pets_helpers.accounting import PrivacyAccountant
    from pets_helpers.grading.wire import roundtrip

    frame = pd.DataFrame({"id": [1, 2], "name": ["a", None], "when": pd.to_datetime(
        ["2020-01-01", "2021-02-03"]), "cat": pd.Categorical(["x", "y"])}, index=[5, 7])
    acc = PrivacyAccountant(1.0)
    acc.spend(0.3, label="q")
    rng = np.random.default_rng(3)
    value = {"n": 3, "x": 2.5, "nan": float("nan"), 1: (True, None, b"\x00k"), "big": 2 ** 80,
             "arr": np.arange(6).reshape(2, 3), "s": np.float32(1.5), "set": {1, 2},
             "frame": frame, "series": frame["name"], "day": dt.date(2020, 1, 2)}
    got = roundtrip(value)
    assert got["n"] == 3 and got[1] == (True, None, b"\x00k") and got["big"] == 2 ** 80
    assert np.isnan(got["nan"]) and got["set"] == {1, 2} and got["day"] == dt.date(2020, 1, 2)
    assert got["arr"].tolist() == value["arr"].tolist() and got["s"].dtype == np.float32
    pd.testing.assert_frame_equal(got["frame"], frame)
    pd.testing.assert_series_equal(got["series"], frame["name"])
    copy = roundtrip(acc)
    assert isinstance(copy, PrivacyAccountant) and copy.ledger == acc.ledger
    assert roundtrip(rng).random() == np.random.default_rng(3).random()


@pytest.mark.parametrize("value,phrase", [
    ((i for i in range(3)), "generator"),
    (np.array([object()]), "dtype object"),
    (type("Evil", (), {"__reduce__": lambda self: (print, ("x",))})(), "Evil"),
])
def test_wire_refuses_what_is_not_plain_data(value, phrase):
    from pets_helpers.grading.wire import WireError, encode

    with pytest.raises(WireError, match=phrase):
        encode(value)


def test_wire_decoder_rejects_forged_and_malformed_messages():
    import pickle

    from pets_helpers.grading import wire

    good = wire.encode({"a": np.zeros(3)})
    forged = [
        pickle.dumps(("ok", 1)), b"", good[:-3], good + b"x",
        wire.MAGIC + (10 ** 9).to_bytes(8, "big") + b"{}",
        wire.MAGIC + (2).to_bytes(8, "big") + b"[]",
        _message('{"tree": {"$": "lib", "type": "os.system", "v": 1}, "blobs": []}'),
        _message('{"tree": {"$": "ndarray", "blob": 3}, "blobs": []}'),
        _message('{"tree": {"$": "Generator", "state": {"bit_generator": "MT19937"}}, '
                 '"blobs": []}'),
        _message('{"tree": ' + "[" * 100 + "]" * 100 + ', "blobs": []}'),
    ]
    for data in forged:
        with pytest.raises(wire.WireError):
            wire.decode(data)
    # an .npy holding pickled objects is refused (allow_pickle=False)
    import io
    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    blob = buf.getvalue()
    head = '{"tree": {"$": "ndarray", "blob": 0}, "blobs": [%d]}' % len(blob)
    with pytest.raises(wire.WireError):
        wire.decode(_message(head) + blob)


def _message(head: str) -> bytes:
    from pets_helpers.grading.wire import MAGIC

    data = head.encode()
    return MAGIC + len(data).to_bytes(8, "big") + data


def test_kernel_namespace_fails_forged_answers():
    from pets_helpers.grading.kernel import KernelNamespace
    from pets_helpers.grading.namespace import LearnerError

    class Forger:
        def __init__(self, answer):
            self.answer = answer

        def request(self, request, timeout):
            return self.answer

    for answer in [("ok",), ("maybe", 1), ["ok", 1], ("error", 1, 2), 42, ("ok", 1, 2)]:
        with pytest.raises(LearnerError, match="not understood"):
            KernelNamespace(Forger(answer), 1).get("x")
    with pytest.raises(LearnerError, match="not understood"):
        KernelNamespace(Forger(("ok", "yes")), 1).has("x")


def test_a_request_the_kernel_aborted_is_sent_once_more():
    from pets_helpers.grading.kernel import KernelSession

    class Client:
        def __init__(self, statuses):
            self.statuses, self.sent = list(statuses), []

        def execute(self, code, **options):
            assert options["stop_on_error"] is False
            self.sent.append(code)
            return f"id{len(self.sent)}"

        def get_shell_msg(self, timeout):
            return {"parent_header": {"msg_id": f"id{len(self.sent)}"},
                    "content": {"status": self.statuses.pop(0)}}

        def get_iopub_msg(self, timeout):
            raise queue.Empty

    for statuses, expected, sent in [(["aborted", "ok"], "ok", 2),
                                     (["aborted", "aborted"], "error", 2), (["ok"], "ok", 1)]:
        session = KernelSession.__new__(KernelSession)
        session.dead, session._kc = False, Client(statuses)
        assert session.run("x = 1", 5).status == expected
        assert session._kc.sent == ["x = 1"] * sent


# --- lessons: discovery, identity, timeouts, shortcuts -----------------------------------------

def test_lessons_are_discovered_from_their_file_names():
    from pets_helpers.grading.discovery import discover, get_lesson, notebook_stem

    found = discover()
    assert list(found) == sorted(found) and "L01" in found
    for lesson_id, module in found.items():
        lesson = get_lesson(lesson_id)
        assert (lesson.id, lesson.notebook) == (lesson_id, module[1:]) == (
            lesson_id, notebook_stem(lesson_id))
    with pytest.raises(KeyError, match="unknown lesson"):
        get_lesson("L42")


def test_every_lesson_shortcut_names_a_real_library_function():
    import importlib

    from pets_helpers.grading.discovery import get_lesson, lesson_ids

    for lesson_id in lesson_ids():
        for spec in get_lesson(lesson_id).shortcuts:
            module, _, qualname = spec.partition(":")
            assert not module.startswith("pets_helpers.lessons"), spec
            owner = importlib.import_module(module)
            *path, attr = qualname.split(".")
            for part in path:
                owner = getattr(owner, part)
            target = vars(owner).get(attr) if isinstance(owner, type) else None
            target = target.fget if isinstance(target, property) else getattr(owner, attr)
            assert callable(target), spec


def test_lesson_timeout_and_shortcuts_are_validated():
    from pets_helpers.grading.exercise import shortcut_name

    assert Lesson("L98", "t", "98_t", (), cell_timeout=300).cell_timeout == 300
    with pytest.raises(ValueError, match="cell_timeout"):
        Lesson("L98", "t", "98_t", (), cell_timeout=0)
    assert shortcut_name(np.mean) == "numpy:mean"
    with pytest.raises(ValueError, match="module:qualname"):
        shortcut_name("mean")
    with pytest.raises(ValueError, match="named library function"):
        shortcut_name(lambda x: x)
    assert Exercise("L99.E1", "t", 1, None, H, shortcuts=(np.mean,)).shortcuts == ("numpy:mean",)


def test_lesson_identity_is_cross_checked_against_the_notebook(tmp_path):
    from pets_helpers.grading.grader import NotGradable, identify_lesson

    def nb(lesson, *headers):
        book = nbformat.v4.new_notebook(metadata={"pets": {"lesson": lesson}} if lesson else {})
        book.cells = [nbformat.v4.new_code_cell(f"# Exercise {h}\nx = 1") for h in headers]
        return book

    path = tmp_path / "x.ipynb"
    assert identify_lesson(nb("L01", "L01.E1"), path) == "L01"
    assert identify_lesson(nb(None, "L03.E2"), path) == "L03"
    assert identify_lesson(nb(None), tmp_path / "02_x.ipynb") == "L02"
    for book, expected, phrase in [(nb("L01", "L00.E1"), None, "metadata says L01"),
                                   (nb("L00", "L00.E1"), "L01", "foreign notebook"),
                                   (nb("L01", "L00.E1"), "L01", "foreign notebook"),
                                   (nb(None, "L00.E1", "L01.E2"), None, "mix lessons"),
                                   (nb(None), None, "cannot tell")]:
        with pytest.raises(NotGradable, match=phrase):
            identify_lesson(book, path, expected)


def test_scratch_copy_leaves_out_classmates_and_hidden_files(tmp_path):
    from pets_helpers.grading.sandbox import make_scratch

    subs = tmp_path / "subs"
    (subs / "data").mkdir(parents=True)
    (subs / "data" / "table.csv").write_text("a\n1\n")
    for name in ("me.ipynb", "classmate.ipynb", ".secret"):
        (subs / name).write_text("{}")
    copy = make_scratch(subs / "me.ipynb", tmp_path / "scratch")
    assert copy.exists() and (tmp_path / "scratch" / "data" / "table.csv").exists()
    assert not (tmp_path / "scratch" / "classmate.ipynb").exists()
    assert not (tmp_path / "scratch" / ".secret").exists()


def test_closed_shortcuts_refuse_learner_calls_only_while_their_exercise_is_checked(tmp_path):
    """In a fresh interpreter (closing mutates the library): functions, methods, properties."""
    import subprocess
    import sys

    code = '''
import numpy as np
from pets_helpers.grading import kernel_side
from pets_helpers import ldp
from pets_helpers.he.scoring import ScoringModel
missing = kernel_side.close_shortcuts(["pets_helpers.ldp:rr_estimate",
    "pets_helpers.ldp:OptimizedUnaryEncoding.perturb",
    "pets_helpers.he.scoring:ScoringModel.poly_threshold", "pets_helpers.ldp:nope"])
assert missing == ["pets_helpers.ldp:nope"], missing
reports = np.array([1, 0, 1, 1])
assert ldp.rr_estimate(reports, 1.0) is not None       # not checking: demos may use it
kernel_side._closed = frozenset(["pets_helpers.ldp:OptimizedUnaryEncoding.perturb"])
assert ldp.rr_estimate(reports, 1.0) is not None       # another exercise's shortcut: open
kernel_side._closed = frozenset(["pets_helpers.ldp:rr_estimate",
    "pets_helpers.ldp:OptimizedUnaryEncoding.perturb",
    "pets_helpers.he.scoring:ScoringModel.poly_threshold"])
for call in (lambda: ldp.rr_estimate(reports, 1.0),
             lambda: ldp.OptimizedUnaryEncoding(1.0, 4).perturb(np.array([1, 2])),
             lambda: ScoringModel.poly_threshold.fget(None)):
    try:
        call()
    except kernel_side.ShortcutClosed as exc:
        assert "write it yourself" in str(exc)
    else:
        raise AssertionError("a closed shortcut ran")
try:
    import pets_helpers.lessons.l01_randomized_response
except ImportError as exc:
    assert "reference answers" in str(exc)
else:
    raise AssertionError("a lesson module was imported")
from pets_helpers.grading.discovery import get_lesson
assert get_lesson("L01").id == "L01"                     # the course's own code may load it
print("ok")
'''
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert out.stdout.strip() == "ok", out.stderr[-2000:]
