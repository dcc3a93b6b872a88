"""Class reports: per-student scores and per-exercise pass rates, as CSV and HTML.

Everything a learner controls (file names, error messages from their code) is escaped: no raw
control characters reach the terminal, no cell of the CSV can start a spreadsheet formula, and
the HTML is escaped. Every submitted file has a row; the ones that could not be graded say why.
"""

from __future__ import annotations

import csv
import html
import re
from pathlib import Path

from .grader import GradeReport

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "|", "%")
SANDBOX_NOTE = {"none": "graded WITHOUT a sandbox (the notebooks' code ran as the instructor)"}


def terminal_safe(text: str) -> str:
    """``text`` with control and bidi characters shown as ``\\xNN`` escapes (newlines kept)."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256
                        else f"\\u{ord(m.group()):04x}", str(text))


def csv_safe(value):
    """A CSV cell that no spreadsheet will run as a formula (text starting =, +, -, @ … gets a
    leading apostrophe); numbers are kept as numbers."""
    if isinstance(value, (int, float)):
        return value
    text = terminal_safe(str(value)).replace("\n", " ")
    return "'" + text if text.startswith(FORMULA_START) else text


def format_table(report: GradeReport) -> str:
    """A terminal table of one notebook's grade (learner text escaped)."""
    name = terminal_safe(Path(report.notebook).name)
    if not report.graded:
        return f"{name} — NOT GRADED: {terminal_safe(report.reason)}"
    rows = [(r.id, "pass" if r.passed else "FAIL", f"{r.points}/{r.max_points}",
             terminal_safe(r.message.split("\n")[0])) for r in report.results]
    width = [max(len(row[i]) for row in rows + [("exercise", "result", "points", "")])
             for i in range(3)]
    lines = [f"{name} — lesson {report.lesson}",
             f"{'exercise':<{width[0]}}  {'result':<{width[1]}}  {'points':>{width[2]}}  feedback"]
    for ex, result, points, message in rows:
        if len(message) > 90:
            message = message[:87] + "..."
        lines.append(f"{ex:<{width[0]}}  {result:<{width[1]}}  {points:>{width[2]}}  {message}")
    lines.append(f"score: {report.score}/{report.max_score}")
    if report.sandbox in SANDBOX_NOTE:
        lines.append(f"note: {SANDBOX_NOTE[report.sandbox]}")
    return "\n".join(lines)


def pass_rates(reports: list[GradeReport]) -> dict[str, float]:
    """Fraction of notebooks that passed each exercise, in first-seen order."""
    seen: dict[str, list[bool]] = {}
    for report in reports:
        if not report.graded:
            continue
        for r in report.results:
            seen.setdefault(r.id, []).append(r.passed)
    return {ex: sum(v) / len(v) for ex, v in seen.items()}


def write_class_report(reports: list[GradeReport], out_dir) -> tuple[Path, Path]:
    """Write ``report.csv`` (one row per notebook) and ``report.html`` into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    exercise_ids = list(pass_rates(reports))
    csv_path, html_path = out / "report.csv", out / "report.html"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student", "lesson", "score", "max_score", *exercise_ids,
                         "status", "sandbox"])
        for report in reports:
            points = {r.id: r.points for r in report.results}
            status = "graded" if report.graded else f"NOT GRADED: {report.reason}"
            score = (report.score, report.max_score) if report.graded else ("", "")
            writer.writerow([csv_safe(x) for x in (
                _student(report), report.lesson, *score,
                *[points.get(ex, "") for ex in exercise_ids], status,
                report.sandbox or "")])
    html_path.write_text(_html(reports, exercise_ids), encoding="utf-8")
    return csv_path, html_path


def _student(report: GradeReport) -> str:
    return Path(report.notebook).stem


def _html(reports: list[GradeReport], exercise_ids: list[str]) -> str:
    esc = html.escape
    rates = pass_rates(reports)
    head = "".join(f"<th>{esc(ex)}</th>" for ex in exercise_ids)
    body = []
    for report in reports:
        if not report.graded:
            body.append(f"<tr><td>{esc(_student(report))}</td><td>{esc(report.lesson)}</td>"
                        f"<td colspan='{len(exercise_ids) + 1}' style='background:#fdecea'>"
                        f"<b>not graded</b>: {esc(report.reason)}</td></tr>")
            continue
        by_id = {r.id: r for r in report.results}
        cells = []
        for ex in exercise_ids:
            r = by_id.get(ex)
            if r is None:
                cells.append("<td></td>")
            else:
                color = "#e8f6ec" if r.passed else "#fdecea"
                cells.append(f'<td style="background:{color}" title="{esc(r.message)}">'
                             f"{r.points}/{r.max_points}</td>")
        body.append(f"<tr><td>{esc(_student(report))}</td><td>{esc(report.lesson)}</td>"
                    f"<td><b>{report.score}/{report.max_score}</b></td>{''.join(cells)}</tr>")
    rate_rows = "".join(
        f'<tr><td>{esc(ex)}</td><td>{rate:.0%}</td><td><div style="background:#4c78a8;'
        f'height:12px;width:{200 * rate:.0f}px"></div></td></tr>' for ex, rate in rates.items())
    graded = [r for r in reports if r.graded]
    mean = sum(r.score for r in graded) / len(graded) if graded else 0
    kinds = {r.sandbox for r in reports}
    warning = ("<p style='color:#b3261e;font-weight:bold'>WARNING: "
               f"{esc(SANDBOX_NOTE['none'])}.</p>" if "none" in kinds else "")
    style = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;"
             "margin-bottom:2em}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>PETs Lab class report"
            f"</title><style>{style}</style></head><body><h1>PETs Lab class report</h1>"
            f"{warning}<p>{len(graded)} of {len(reports)} files graded; mean score "
            f"{mean:.1f}.</p>"
            f"<h2>Students</h2><table><tr><th>student</th><th>lesson</th><th>score</th>{head}"
            f"</tr>{''.join(body)}</table><h2>Pass rate per exercise</h2><table><tr>"
            f"<th>exercise</th><th>passed</th><th></th></tr>{rate_rows}</table></body></html>")
