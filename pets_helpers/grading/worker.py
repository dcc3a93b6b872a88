"""One notebook, one grading process: ``python -m pets_helpers.grading.worker``.

The class command (:mod:`.cli`) starts one worker per notebook, so that nothing a notebook does
to its grading process (killing it, exhausting it) reaches the others or the report. The worker
writes its verdict as JSON to ``--result``; only the parent writes reports.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .grader import GradeReport, NotGradable, grade_notebook
from .sandbox import Sandbox


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="pets-grade-worker")
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--result", type=Path, required=True)
    parser.add_argument("--timeout", type=float)
    parser.add_argument("--lesson")
    parser.add_argument("--sandbox", choices=("bwrap", "none"), default="bwrap")
    parser.add_argument("--memory", type=float)
    parser.add_argument("--hide", action="append", default=[])
    parser.add_argument("--log", type=Path)
    parser.add_argument("--progress", action="store_true")
    args = parser.parse_args(argv)
    limits = {"memory_gb": args.memory} if args.memory else {}
    sandbox = Sandbox(args.sandbox, hidden=args.hide, **limits)
    try:
        report = grade_notebook(args.notebook, args.timeout, progress=args.progress,
                                sandbox=sandbox, expected_lesson=args.lesson,
                                log_path=args.log)
    except NotGradable as exc:
        report = GradeReport(args.lesson or "", str(args.notebook), [], reason=str(exc),
                             sandbox=sandbox.kind)
    except Exception as exc:  # the grader's own failure: a row saying so, never a score
        report = GradeReport(args.lesson or "", str(args.notebook), [], sandbox=sandbox.kind,
                             reason=f"grading failed ({type(exc).__name__}: {str(exc)[:300]})")
    data = report.as_dict()
    for entry, result in zip(data["exercises"], report.results):
        entry["title"] = result.title
    args.result.write_text(json.dumps(data), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
