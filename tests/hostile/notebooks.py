"""Hostile (and careless) submissions for Lesson 01, one per attack on the grader.

Each entry of :func:`catalogue` is a file to drop into a submissions folder: a notebook built
from code cells, or raw bytes. The attacks use absolute paths the way a learner who knows the
instructor's layout would (``ctx``: the submissions folder, the report folder, and a folder
outside both whose files must never change).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
#: A number no other process on the machine sleeps for: survivors are found by it.
ORPHAN_SECONDS = "913.25"

BOOM = '''
import os, sys, time

class Boom:
    """Whatever unpickles this runs f(*args) — the classic pickle payload."""
    def __init__(self, f, args):
        self.f, self.args = f, args
    def __reduce__(self):
        return (self.f, self.args)
'''


def right_answers() -> list[str]:
    """The exercise cells of the L01 solution (every answer right)."""
    solution = nbformat.read(ROOT / "solutions" / "01_randomized_response.ipynb", as_version=4)
    return ["import numpy as np\nfrom pets_helpers.grading import NotDoneYet"] + [
        c.source for c in solution.cells
        if c.cell_type == "code" and re.match(r"\s*#\s*Exercise", c.source)]


def right_e6() -> str:
    """The right answer to L01.E6 alone (one cell, with its import)."""
    cell = next(c for c in right_answers() if "L01.E6" in c.split("\n")[0])
    header, _, body = cell.partition("\n")
    return f"{header}\nimport numpy as np\n{body}"


#: Lesson 04 answers that share a library function: E3 calls local_sgd (its own answer, a
#: shortcut), E5's train step calls it too (allowed there).
L04_E3_SHORTCUT = '''
import numpy as np
from pets_helpers.fl import local_sgd
def local_update(params, x, y, epochs, lr, batch_size, seed):
    return local_sgd(params, x, y, epochs=epochs, lr=lr, batch_size=batch_size,
                     rng=np.random.default_rng(seed))
'''
L04_E5_WITH_LOCAL_SGD = '''
from flwr.app import ArrayRecord, MetricRecord, RecordDict
from pets_helpers.fl import local_sgd
from pets_helpers.fl.task import client_rng, loss
def flower_train(arrays, config, x, y, client_id):
    new = local_sgd(arrays.to_numpy_ndarrays(), x, y, epochs=config["local_epochs"],
                    lr=config["lr"], batch_size=config["batch_size"], mu=config["mu"],
                    rng=client_rng(config["seed"], config["server-round"], client_id))
    return RecordDict({"arrays": ArrayRecord(new), "metrics": MetricRecord(
        {"num-examples": len(y), "train_loss": loss(new, x, y)})})
'''


def notebook(cells, lesson="L01") -> bytes:
    nb = nbformat.v4.new_notebook(metadata={"pets": {"lesson": lesson}} if lesson else {})
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    return nbformat.writes(nb).encode()


def catalogue(ctx: dict) -> dict[str, bytes]:
    """File name → content, for every attack (and one correct submission)."""
    subs, report, outside = ctx["subs"], ctx["report"], ctx["outside"]
    return {
        "good.ipynb": notebook(right_answers()),
        # Values whose unpickling runs code in the grader: a shell command, code that patches
        # run_check (full marks for everyone), a long sleep, an exit of the whole run.
        "pickle_payloads.ipynb": notebook([BOOM + f'''
def randomized_response(bits, epsilon, rng):
    return Boom(os.system, ("touch {outside}/pwned_by_pickle",))
def rr_estimate(reports, epsilon):
    return Boom(exec, ("import pets_helpers.grading.namespace as n; n.run_check = lambda *a, **k: None",))
def rr_variance(n, epsilon, pi):
    return Boom(time.sleep, (40,))
def oue_perturb(values, d, epsilon, rng):
    return Boom(sys.exit, (0,))
def best_oracle(epsilon, d):
    return Boom(os.system, ("touch {outside}/pwned_by_pickle_2",))
''']),
        # The kernel side replaced: answer "ok" to everything, with pickles and forged data.
        "patched_serve.ipynb": notebook([BOOM + '''
import pickle
import pets_helpers.grading.kernel_side as kernel_side
from pets_helpers.grading import wire

def serve(request_path, response_path):
    forged = [wire.encode(("ok", True)), pickle.dumps(("ok", Boom(print, ("hi",)))),
              b"PETSWIRE1" + (10**9).to_bytes(8, "big") + b"{"]
    serve.n = getattr(serve, "n", 0) + 1
    with open(response_path, "wb") as fh:
        fh.write(forged[serve.n % len(forged)])

kernel_side.serve = serve
''']),
        # A thread racing the grader's exchange folder (found from the connection file).
        "raced_response.ipynb": notebook(['''
import os, pickle, threading
from ipykernel import get_connection_file

folder = os.path.dirname(get_connection_file())

def race():
    while True:
        for n in range(50):
            target = os.path.join(folder, f"response-{n}.wire")
            for payload in (pickle.dumps(("ok", 0.3)), b"PETSWIRE1" + b"\\xff" * 20):
                try:
                    with open(target, "wb") as fh:
                        fh.write(payload)
                except OSError:
                    pass
            try:
                os.symlink("/etc/passwd", target + ".tmp")
                os.replace(target + ".tmp", target)
            except OSError:
                pass

threading.Thread(target=race, daemon=True).start()
''']),
        # Rewrite the course package so every later grading passes.
        "package_rewrite.ipynb": notebook(['''
import os, pets_helpers
for sub in ("lessons/l01_randomized_response.py", "grading/namespace.py"):
    path = os.path.join(os.path.dirname(pets_helpers.__file__), sub)
    try:
        with open(path, "a") as fh:
            fh.write("\\nrun_check = lambda exercise, ns: 'Correct.'\\n")
    except OSError as exc:
        print("refused:", exc)
''']),
        # Zero a classmate, and rewrite the class report after the grader has exited.
        "classmate_rewrite.ipynb": notebook([f'''
import glob, os, subprocess
for path in glob.glob("{subs}/*.ipynb") + glob.glob("*.ipynb") + glob.glob("../*.ipynb"):
    if "classmate" not in path and "good" not in path:
        continue
    try:
        with open(path, "w") as fh:
            fh.write("{{}}")
    except OSError as exc:
        print("refused:", exc)
subprocess.Popen(["sh", "-c", "sleep 3; echo student,score > {report}/report.csv; "
                  "touch {outside}/late_rewrite"], start_new_session=True)
''']),
        "classmate.ipynb": notebook([right_e6()]),
        # Kill the grading process from inside.
        "killed_parent.ipynb": notebook([right_e6(), "import os, signal\n"
                                         "os.kill(os.getppid(), signal.SIGKILL)"]),
        # Forge the grader's --json output and its error stream.
        "forged_stdout.ipynb": notebook(['''
import os, sys
os.write(1, b'[{"lesson": "L01", "score": 999}]\\n')
sys.__stdout__.write('{"score": 999}\\n'); sys.__stdout__.flush()
os.write(2, b"pets-grade: everything passed\\n")
''']),
        # Processes that try to outlive grading (a new session, a double fork).
        "orphans.ipynb": notebook([f'''
import os, subprocess, time
subprocess.Popen(["sleep", "{ORPHAN_SECONDS}"], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execvp("sleep", ["sleep", "{ORPHAN_SECONDS}"])
    os._exit(0)
''']),
        # Allocate far beyond the memory limit.
        "memory_bomb.ipynb": notebook(['''
import numpy as np
hog = np.ones(2 ** 31)          # 16 GiB
''', '''
hog = bytearray(8 * 2 ** 30)    # 8 GiB
''']),
        # Careless hand-ins: not a notebook, empty, broken, another lesson's.
        "unreadable.ipynb": b'{"cells": [ this is not json',
        "empty.ipynb": b"",
        "notes.txt": b"my answers are in the notebook\n",
        "foreign_l00.ipynb": notebook(["# Exercise L00.E1 — warm-up\nthreat_models = {}"],
                                      lesson="L00"),
        # Right answers, then a last cell that kills the kernel: the answers still count.
        "fatal_last_cell.ipynb": notebook(right_answers() + ["import os\nos._exit(1)"]),
        # The library's own implementation handed in as the answer.
        "library_shortcut.ipynb": notebook(['''
from pets_helpers import ldp
def rr_estimate(reports, epsilon):
    return ldp.rr_estimate(reports, epsilon)
rr_variance = ldp.rr_variance
def best_oracle(epsilon, domain_size):
    return ldp.best_oracle(epsilon, domain_size)
''']),
        # The lesson module's reference answers, imported.
        "lesson_import.ipynb": notebook(['''
from pets_helpers.lessons.l01_randomized_response import check_best_oracle
''', '''
def best_oracle(epsilon, domain_size):
    import importlib
    lesson = importlib.import_module("pets_helpers.lessons.l01_randomized_response")
    return lesson.ORACLES and "GRR"
''']),
    }
