"""What the grader's isolation costs: seconds per notebook sandboxed vs not, and a class.

Contenders, one protocol: ``pets-grade`` (the real CLI, one process per notebook) on the same
cheap Lesson 01 notebook (every answer right), ``--sandbox bwrap`` vs ``--sandbox none``;
then a class of 40 such notebooks with ``--jobs 1`` vs ``--jobs 2``. Each measurement is
repeated (one warm-up run first, not counted; the class runs, once each, come after the
single-notebook runs have warmed the caches); we report the median and the spread (min–max) of
wall-clock seconds and of CPU seconds (all processes of the run: grader, workers, kernels,
sandbox), and the machine's load average before and after. On a shared machine CPU time is
the figure to judge the sandbox's overhead by: wall time includes waiting for other users.

    python benchmarks/bench_grading.py            # full run, writes benchmarks/results/grading.*
    python benchmarks/bench_grading.py --quick    # smoke run, writes nothing
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))

from common import machine_info  # noqa: E402
from hostile.notebooks import notebook, right_answers  # noqa: E402


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_cli(*args) -> tuple[float, float]:
    """(wall seconds, CPU seconds of every process it ran) of one pets-grade call."""
    cpu0, t0 = children_cpu(), time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pets_helpers.grading.cli", *map(str, args)],
                          capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, children_cpu() - cpu0
    if done.returncode != 0:
        raise RuntimeError(f"pets-grade {args} failed: {done.stderr[-1500:]}")
    return wall, cpu


def measure(label: str, repeats: int, *args, warm_up: bool = True) -> dict:
    if warm_up:
        run_cli(*args)  # warm-up (file caches, bytecode), not counted
    walls, cpus = zip(*(run_cli(*args) for _ in range(repeats)))
    return {"label": label, "repeats": repeats,
            "wall_median": statistics.median(walls), "wall_min": min(walls),
            "wall_max": max(walls), "cpu_median": statistics.median(cpus),
            "cpu_min": min(cpus), "cpu_max": max(cpus)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 repeat, class of 4; no files")
    args = parser.parse_args(argv)
    repeats, class_size = (1, 4) if args.quick else (5, 40)
    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        one = Path(tmp) / "single" / "01_good.ipynb"
        one.parent.mkdir()
        one.write_bytes(notebook(right_answers()))
        for kind in ("none", "bwrap"):
            rows.append(measure(f"one notebook, --sandbox {kind}", repeats, one,
                                "--sandbox", kind, "--no-save"))
        subs = Path(tmp) / "class"
        subs.mkdir()
        for i in range(class_size):
            (subs / f"student{i:02d}.ipynb").write_bytes(notebook(right_answers()))
        for jobs in (1, 2):
            rows.append(measure(f"class of {class_size}, --jobs {jobs} (sandboxed)", 1, subs,
                                "--lesson", "L01", "--jobs", jobs, "--sandbox", "bwrap",
                                "--report", Path(tmp) / f"out{jobs}", warm_up=False))
    load_after = os.getloadavg()
    overhead = rows[1]["cpu_median"] - rows[0]["cpu_median"]
    speedup = rows[2]["wall_median"] / rows[3]["wall_median"]
    lines = ["| run | repeats | wall s median (min–max) | CPU s median (min–max) |",
             "|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['label']} | {r['repeats']} | {r['wall_median']:.1f} "
                     f"({r['wall_min']:.1f}–{r['wall_max']:.1f}) | {r['cpu_median']:.2f} "
                     f"({r['cpu_min']:.2f}–{r['cpu_max']:.2f}) |")
    summary = (f"Sandbox overhead per notebook: {overhead:+.2f} CPU s (goal ≤ 1 s). "
               f"Class of {class_size}: --jobs 2 is {speedup:.2f}× faster than --jobs 1 in wall "
               f"time. Load average before {load_before[0]:.1f}, after {load_after[0]:.1f} "
               f"(1-minute).")
    table = "\n".join(lines)
    print(table + "\n\n" + summary)
    if not args.quick:
        info = machine_info("jupyter_client", "ipykernel")
        info["bwrap"] = subprocess.run(["bwrap", "--version"], capture_output=True,
                                       text=True).stdout.strip()
        results = HERE / "results"
        (results / "grading.json").write_text(json.dumps(
            {"machine": info, "load_before": load_before, "load_after": load_after,
             "rows": rows, "sandbox_overhead_cpu_s": overhead, "jobs2_speedup": speedup},
            indent=2))
        (results / "grading.md").write_text(
            f"# Grading: sandbox cost and parallel classes\n\nMachine: {info['cpu']}, "
            f"{info['nproc']} cores, {info['date']}; {info['bwrap']}. Protocol: "
            f"{__doc__.split('Contenders, one protocol: ')[1].split(chr(10) + chr(10))[0]}\n\n"
            f"{table}\n\n{summary}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
