"""``pets-grade``: grade one notebook, or a folder of submissions into a class report.

Each notebook is graded in its own process (:mod:`.worker`) with its kernel in a sandbox
(:mod:`.sandbox`); ``--jobs`` run at once. Only this parent process writes output and reports.
Every file in a folder gets a row; the exit code is 1 when any file could not be graded.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import datetime, timezone
from pathlib import Path

from tqdm.auto import tqdm

from .discovery import lesson_ids
from .grader import DEFAULT_TIMEOUT, GradeReport, NotGradable, identify_lesson, read_notebook
from .report import format_table, terminal_safe, write_class_report
from .sandbox import UNSANDBOXED_WARNING, Sandbox

GRADES_FOLDER = ".pets-grades"
#: Wall-clock allowance of one grading process, in per-cell timeouts (plus start-up).
WORKER_TIMEOUTS = 40


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="pets-grade",
        description="Run PETs Lab notebooks in fresh, sandboxed kernels and grade every exercise.")
    parser.add_argument("path", type=Path, help="a notebook (.ipynb) or a folder of notebooks")
    parser.add_argument("--json", action="store_true", help="print the grades as JSON on stdout")
    parser.add_argument("--timeout", type=float,
                        help=f"seconds allowed per cell and per check call (default: the "
                             f"lesson's own, else {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--report", type=Path, metavar="OUT",
                        help="with a folder: write OUT/report.csv and OUT/report.html")
    parser.add_argument("--lesson", metavar="LNN",
                        help="the lesson every notebook must be (a folder of one class); "
                             "notebooks of another lesson are flagged, not graded")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="notebooks graded at once (default: the number of cores)")
    parser.add_argument("--sandbox", choices=("auto", "bwrap", "none"), default="auto",
                        help="run kernels in a bubblewrap sandbox (auto: when available)")
    parser.add_argument("--memory", type=float, metavar="GB",
                        help="memory limit of each notebook's kernel (default 4)")
    parser.add_argument("--no-save", action="store_true",
                        help=f"single notebook: do not save the grade in {GRADES_FOLDER}/")
    args = parser.parse_args(argv)
    if args.timeout is not None and not args.timeout > 0:
        parser.error(f"--timeout must be > 0 seconds, got {args.timeout:g}")
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    if args.lesson is not None and args.lesson not in lesson_ids():
        parser.error(f"--lesson {args.lesson!r} is not a lesson of this course "
                     f"({', '.join(lesson_ids())})")
    if not args.path.exists():
        parser.error(f"{args.path} does not exist")
    folder_mode = args.path.is_dir()
    if folder_mode:
        files = sorted(p for p in args.path.iterdir()
                       if not p.name.startswith(".") and not p.is_dir()
                       and (args.report is None or p.resolve().parent != args.report.resolve()))
        if not files:
            parser.error(f"{args.path} holds no files to grade")
    else:
        if args.report:
            parser.error("--report needs a folder of notebooks, not a single notebook")
        files = [args.path]
    try:
        sandbox = Sandbox.choose(args.sandbox, **({"memory_gb": args.memory} if args.memory
                                                  else {}))
    except (RuntimeError, ValueError) as exc:
        parser.error(str(exc))
    if not sandbox.sandboxed:
        print(UNSANDBOXED_WARNING, file=sys.stderr)
    lesson = args.lesson
    if folder_mode and lesson is None:
        lesson = _class_lesson(files)
        if lesson:
            print(f"pets-grade: grading the folder as lesson {lesson} (the lesson of most "
                  "notebooks in it; --lesson chooses another)", file=sys.stderr)
    hidden = [str(args.path.resolve() if folder_mode else args.path.resolve().parent)]
    if args.report:
        hidden.append(str(args.report.resolve()))
    reports = grade_files(files, sandbox=sandbox, lesson=lesson, timeout=args.timeout,
                          jobs=args.jobs, hidden=hidden,
                          logs=args.report / "logs" if args.report else None,
                          progress=not args.json or folder_mode)
    if args.json:
        data = [_public(r) for r in reports]
        print(json.dumps(data if folder_mode else data[0], indent=2))
    else:
        for report in reports:
            print(format_table(report) + "\n")
    if not folder_mode and not args.no_save and reports[0].graded:
        saved = save_grade(reports[0])
        print(f"grade saved in {terminal_safe(str(saved))}", file=sys.stderr)
    if args.report:
        csv_path, html_path = write_class_report(reports, args.report)
        print(f"class report: {csv_path} and {html_path}", file=sys.stderr)
    failed = [r for r in reports if not r.graded]
    if failed:
        print(f"pets-grade: {len(failed)} of {len(reports)} file(s) could not be graded:",
              file=sys.stderr)
        for r in failed:
            print(f"  {terminal_safe(Path(r.notebook).name)}: {terminal_safe(r.reason)}",
                  file=sys.stderr)
    if not sandbox.sandboxed:
        print(UNSANDBOXED_WARNING, file=sys.stderr)
    return 1 if failed else 0


def _class_lesson(files: list[Path]) -> str | None:
    """The lesson most notebooks of a folder belong to (None if none can be told)."""
    votes = collections.Counter()
    for path in files:
        if path.suffix != ".ipynb":
            continue
        try:
            votes[identify_lesson(read_notebook(path), path)] += 1
        except NotGradable:
            continue
    known = [(n, lesson) for lesson, n in votes.items() if lesson in lesson_ids()]
    return max(known)[1] if known else None


def grade_files(files, *, sandbox: Sandbox, lesson=None, timeout=None, jobs=1, hidden=(),
                logs=None, progress=True) -> list[GradeReport]:
    """Grade each file in its own process, ``jobs`` at once; one report per file, in order."""
    if logs is not None:
        Path(logs).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pets-grade-results-") as tmp:
        def one(index_path):
            index, path = index_path
            if path.suffix != ".ipynb":
                return GradeReport(lesson or "", str(path), [], sandbox=sandbox.kind,
                                   reason="not a notebook (.ipynb)")
            result = Path(tmp) / f"{index}.json"
            command = [sys.executable, "-m", "pets_helpers.grading.worker", str(path),
                       "--result", str(result), "--sandbox", sandbox.kind,
                       "--memory", str(sandbox.memory_gb)]
            command += ["--lesson", lesson] if lesson else []
            command += ["--timeout", str(timeout)] if timeout else []
            for folder in hidden:
                command += ["--hide", folder]
            if logs is not None:
                command += ["--log", str(Path(logs) / f"{index:03d}-{path.stem[:60]}.log")]
            limit = 120 + WORKER_TIMEOUTS * (timeout or 300)
            done = None
            try:
                done = subprocess.run(command, stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                      timeout=limit)
                data = json.loads(result.read_text(encoding="utf-8"))
                return GradeReport.from_dict(data, str(path))
            except subprocess.TimeoutExpired:
                reason = f"grading took longer than {limit:g} s and was stopped"
            except (OSError, ValueError, KeyError, TypeError):
                tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] \
                    if done else []
                reason = (f"the grading process ended without a result (exit code "
                          f"{done.returncode if done else '?'}"
                          f"{': ' + tail[0][:200] if tail else ''})")
            return GradeReport(lesson or "", str(path), [], sandbox=sandbox.kind, reason=reason)

        reports: list[GradeReport | None] = [None] * len(files)
        bar = tqdm(total=len(files), desc="notebooks", unit="nb", file=sys.stderr,
                   disable=not progress or len(files) == 1)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(one, item): item[0] for item in enumerate(files)}
            for future in as_completed(futures):
                reports[futures[future]] = future.result()
                bar.update()
        bar.close()
    return reports


def _public(report: GradeReport) -> dict:
    data = report.as_dict()
    data["notebook"] = str(report.notebook)
    return data


def save_grade(report: GradeReport) -> Path:
    """Save one notebook's grade as ``<its folder>/.pets-grades/<its stem>.json``.

    Keys: lesson, notebook, score (= total), max_score, exercises (id, title, points,
    max_points, passed, message), timestamp (UTC, ISO 8601), sandbox.
    """
    path = Path(report.notebook)
    folder = path.parent / GRADES_FOLDER
    folder.mkdir(exist_ok=True)
    data = report.as_dict()
    for entry, result in zip(data["exercises"], report.results):
        entry["title"] = result.title
    data.update(total=report.score, timestamp=datetime.now(timezone.utc).isoformat(
        timespec="seconds"))
    target = folder / f"{path.stem}.json"
    tmp = folder / f".{path.stem}.json.tmp{os.getpid()}{time.monotonic_ns()}"
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, target)
    return target


__all__ = ["grade_files", "main", "save_grade"]


if __name__ == "__main__":
    sys.exit(main())
