"""Class reports: per-student scores and per-exercise pass rates, as CSV and HTML."""

from __future__ import annotations

import csv
import html
from pathlib import Path

from .grader import GradeReport


def format_table(report: GradeReport) -> str:
    """A terminal table of one notebook's grade."""
    rows = [(r.id, "pass" if r.passed else "FAIL", f"{r.points}/{r.max_points}",
             r.message.split("\n")[0]) for r in report.results]
    width = [max(len(row[i]) for row in rows + [("exercise", "result", "points", "")])
             for i in range(3)]
    lines = [f"{Path(report.notebook).name} — lesson {report.lesson}",
             f"{'exercise':<{width[0]}}  {'result':<{width[1]}}  {'points':>{width[2]}}  feedback"]
    for ex, result, points, message in rows:
        if len(message) > 90:
            message = message[:87] + "..."
        lines.append(f"{ex:<{width[0]}}  {result:<{width[1]}}  {points:>{width[2]}}  {message}")
    lines.append(f"score: {report.score}/{report.max_score}")
    return "\n".join(lines)


def pass_rates(reports: list[GradeReport]) -> dict[str, float]:
    """Fraction of notebooks that passed each exercise, in first-seen order."""
    seen: dict[str, list[bool]] = {}
    for report in reports:
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
        writer.writerow(["student", "lesson", "score", "max_score", *exercise_ids])
        for report in reports:
            points = {r.id: r.points for r in report.results}
            writer.writerow([_student(report), report.lesson, report.score, report.max_score,
                             *[points.get(ex, "") for ex in exercise_ids]])
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
    mean = sum(r.score for r in reports) / len(reports) if reports else 0
    style = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;"
             "margin-bottom:2em}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>PETs Lab class report"
            f"</title><style>{style}</style></head><body><h1>PETs Lab class report</h1>"
            f"<p>{len(reports)} notebooks graded; mean score {mean:.1f}.</p>"
            f"<h2>Students</h2><table><tr><th>student</th><th>lesson</th><th>score</th>{head}"
            f"</tr>{''.join(body)}</table><h2>Pass rate per exercise</h2><table><tr>"
            f"<th>exercise</th><th>passed</th><th></th></tr>{rate_rows}</table></body></html>")
