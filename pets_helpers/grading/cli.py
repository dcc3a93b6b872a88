"""``pets-grade``: grade one notebook, or a folder of submissions into a class report."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tqdm.auto import tqdm

from .grader import DEFAULT_TIMEOUT, grade_notebook
from .report import format_table, write_class_report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="pets-grade",
        description="Run a PETs Lab notebook in a fresh kernel and grade every exercise.")
    parser.add_argument("path", type=Path, help="a notebook (.ipynb) or a folder of notebooks")
    parser.add_argument("--json", action="store_true", help="print the grade as JSON on stdout")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"seconds allowed per cell and per check call "
                             f"(default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--report", type=Path, metavar="OUT",
                        help="with a folder: write OUT/report.csv and OUT/report.html")
    args = parser.parse_args(argv)
    if args.timeout <= 0:
        parser.error(f"--timeout must be > 0 seconds, got {args.timeout:g}")
    if not args.path.exists():
        parser.error(f"{args.path} does not exist")
    if args.path.is_dir():
        notebooks = sorted(p for p in args.path.glob("*.ipynb") if p.is_file())
        if not notebooks:
            parser.error(f"{args.path} holds no .ipynb files")
    else:
        if args.report:
            parser.error("--report needs a folder of notebooks, not a single notebook")
        notebooks = [args.path]
    progress = sys.stderr.isatty()
    reports = []
    for nb in tqdm(notebooks, desc="notebooks", disable=len(notebooks) == 1, file=sys.stderr):
        try:
            reports.append(grade_notebook(nb, timeout=args.timeout, progress=progress))
        except (ValueError, KeyError) as exc:
            print(f"pets-grade: {exc}", file=sys.stderr)
            if len(notebooks) == 1:
                return 2
    if args.json:
        data = [r.as_dict() for r in reports]
        print(json.dumps(data[0] if args.path.is_file() else data, indent=2))
    else:
        for report in reports:
            print(format_table(report) + "\n")
    if args.report:
        csv_path, html_path = write_class_report(reports, args.report)
        print(f"class report: {csv_path} and {html_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
