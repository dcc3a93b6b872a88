"""Course runtime: every solution notebook executed as a learner's Run All, timed and measured.

    python benchmarks/bench_course.py            # every lesson; writes results/course.{md,json}
    python benchmarks/bench_course.py 01 02      # only these lessons (writes nothing)
    python benchmarks/bench_course.py --quick    # smoke run on lesson 00, writes nothing

Per lesson: wall time of a fresh kernel executing the whole notebook (kernel start included, no
warm-up: this is what a learner waits for), CPU time of the kernel process tree (user + system,
the load-independent figure on a shared machine), and peak memory of the kernel process tree,
sampled every 0.1 s over every process under this one: the summed proportional set size (PSS:
a page shared by k processes counts 1/k to each — the memory the lesson really occupies, judged
against the goal) and the summed resident set size (RSS: shared pages counted per process, an
upper bound). Kernels run headless (explorers draw one plot)
in a temporary folder, exactly as ``make site`` and nbval run them. The load average is
recorded before and after each lesson.

Goals on 2 cores: whole course ≤ 10 min, no lesson over 120 s, none over 1.5 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine_info  # noqa: E402

from pets_helpers.site import kernel_env, lesson_files, title_of  # noqa: E402

COURSE = [f"{n:02d}" for n in range(11)]  # the planned lessons 00–10
GOALS = {"course_s": 600, "lesson_s": 120, "lesson_bytes": 1.5 * 2**30}


class TreeMonitor:
    """Peak summed PSS and RSS and total CPU time of every process below this one, sampled in a
    thread."""

    def __init__(self, interval: float = 0.1):
        self.interval, self.peak_pss, self.peak_rss, self.cpu = interval, 0, 0, {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        pss = rss = 0
        for proc in psutil.Process().children(recursive=True):
            try:
                with proc.oneshot():
                    mem = proc.memory_full_info()
                    pss, rss = pss + mem.pss, rss + mem.rss
                    t = proc.cpu_times()
                    # children's times count once they have been waited for by their parent
                    self.cpu[proc.pid] = t.user + t.system + t.children_user + t.children_system
            except psutil.Error:
                continue
        self.peak_pss, self.peak_rss = max(self.peak_pss, pss), max(self.peak_rss, rss)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @property
    def cpu_seconds(self) -> float:
        return sum(self.cpu.values())


def run_lesson(path: Path, timeout: int) -> dict:
    """Execute one notebook in a fresh kernel; its wall time, CPU time, peak memory, load."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    load_before = os.getloadavg()[0]
    error = None
    with tempfile.TemporaryDirectory(prefix="pets-bench-") as tmp, TreeMonitor() as monitor:
        start = time.perf_counter()
        try:
            NotebookClient(nb, timeout=timeout, kernel_name="python3",
                           resources={"metadata": {"path": tmp}}).execute()
        except Exception as exc:  # a failing lesson is reported, the others still run
            error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1][:200]}"
        wall = time.perf_counter() - start
    return {"lesson": path.name[:2], "notebook": path.name, "title": title_of(path),
            "wall_s": round(wall, 1), "cpu_s": round(monitor.cpu_seconds, 1),
            "peak_pss_mb": round(monitor.peak_pss / 2**20),
            "peak_rss_mb": round(monitor.peak_rss / 2**20), "load_before": round(load_before, 2),
            "load_after": round(os.getloadavg()[0], 2), "error": error}


def markdown(rows: list[dict], summary: dict, info: dict) -> str:
    lines = [f"Course runtime — {info['date']}, {info['cpu']} ({info['nproc']} cores), "
             f"load average {summary['load_min']}–{summary['load_max']} during the run.",
             "",
             "| lesson | wall (s) | kernel CPU (s) | peak memory PSS (MiB) | peak RSS sum (MiB) "
             "| load (1 min) | status |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        status = r["error"] or "ok"
        lines.append(f"| {r['notebook']} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | "
                     f"{r['peak_pss_mb']:,} | {r['peak_rss_mb']:,} | {r['load_before']:.1f}→{r['load_after']:.1f} | "
                     f"{status} |")
    lines.append(f"| **whole course** | **{summary['wall_s']:.1f}** | **{summary['cpu_s']:.1f}** "
                 f"| **{summary['peak_pss_mb']:,}** (max) | {summary['peak_rss_mb']:,} (max) | | |")
    lines += ["", f"Goals (2 cores): course ≤ 600 s — {summary['goal_course']}; no lesson over "
              f"120 s — {summary['goal_lesson_time']}; none over 1.5 GiB — "
              f"{summary['goal_lesson_memory']}.",
              f"Lessons not in the repository at this run: {', '.join(summary['missing']) or 'none'}."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lessons", nargs="*", help="lesson numbers (default: all)")
    parser.add_argument("--quick", action="store_true", help="lesson 00 only, write nothing")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args(argv)
    wanted = ["00"] if args.quick else (args.lessons or None)
    files = lesson_files(ROOT, wanted)
    rows = []
    with kernel_env():
        for path in files:
            print(f"[course] {path.name} …", file=sys.stderr, flush=True)
            rows.append(run_lesson(path, args.timeout))
            print(f"[course] {path.name}: {rows[-1]}", file=sys.stderr, flush=True)
    loads = [r[k] for r in rows for k in ("load_before", "load_after")]
    ok = [r for r in rows if r["error"] is None]
    summary = {
        "wall_s": round(sum(r["wall_s"] for r in rows), 1),
        "cpu_s": round(sum(r["cpu_s"] for r in rows), 1),
        "peak_pss_mb": max(r["peak_pss_mb"] for r in rows),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in rows),
        "load_min": min(loads), "load_max": max(loads),
        "missing": [n for n in COURSE if n not in {p.name[:2] for p in lesson_files(ROOT)}],
        "failed": [r["notebook"] for r in rows if r["error"]],
    }

    def verdict(met: bool) -> str:
        return "met" if met else "MISSED"

    # wall time on a loaded machine overstates the cost; CPU time is the load-independent reading
    complete = len(ok) == len(rows)
    summary["goal_course"] = (f"wall {verdict(complete and summary['wall_s'] <= GOALS['course_s'])}"
                              f", CPU {verdict(complete and summary['cpu_s'] <= GOALS['course_s'])}")
    summary["goal_lesson_time"] = (
        f"wall {verdict(all(r['wall_s'] <= GOALS['lesson_s'] for r in rows))}, "
        f"CPU {verdict(all(r['cpu_s'] <= GOALS['lesson_s'] for r in rows))}")
    summary["goal_lesson_memory"] = verdict(
        all(r["peak_pss_mb"] * 2**20 <= GOALS["lesson_bytes"] for r in rows))
    info = machine_info("nbclient", "ipykernel", "jupyter_client")
    table = markdown(rows, summary, info)
    print(table)
    if not args.quick and not args.lessons:
        out = ROOT / "benchmarks" / "results"
        (out / "course.md").write_text(table)
        (out / "course.json").write_text(json.dumps(
            {"machine": info, "goals": GOALS, "summary": summary, "lessons": rows}, indent=2))
    return 1 if summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
