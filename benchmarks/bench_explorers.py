"""How long one slider step of the Lesson 01 and Lesson 02 explorers takes to redraw.

One redraw = the explorer's draw function (simulate or release, then plot) + rendering the
figure to PNG, which is what JupyterLab's inline backend sends to the browser. The widget's
round trip to the browser is not included. Each contender sweeps the same new slider positions
(so no cache can help), then revisits them (where the cache does). Protocol for every
contender: one warm-up redraw (not counted), then each step timed once; we report the median
and the spread (min–max) of wall time and of process CPU time, with the load average before and
after. Goal (issue 9): ≤ 0.5 s per redraw on 2 cores.

    python benchmarks/bench_explorers.py            # writes benchmarks/results/explorers.{json,md}
    python benchmarks/bench_explorers.py --quick    # fewer steps, nothing written
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine_info  # noqa: E402

from pets_helpers import widgets  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def capture(explorer, *args, **kwargs):
    """The draw function an explorer hands to ``widgets.explore`` (nothing is shown)."""
    seen = {}

    def fake_explore(draw, **controls):
        seen["draw"], seen["controls"] = draw, controls

    real = widgets.explore
    widgets.explore = fake_explore
    try:
        explorer(*args, **kwargs)
    finally:
        widgets.explore = real
    return seen["draw"]


def redraw(draw, **values) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    draw(**values)
    plt.gcf().savefig(io.BytesIO(), format="png")
    plt.close("all")
    return time.perf_counter() - wall, time.process_time() - cpu


def sweep(draw, steps: list[dict]) -> dict:
    redraw(draw, **steps[0])  # warm-up
    first = [redraw(draw, **s) for s in steps[1:]]
    again = [redraw(draw, **s) for s in steps[1:]]

    def summary(runs):
        walls, cpus = [w for w, _ in runs], [c for _, c in runs]
        return {"wall_median_s": statistics.median(walls), "wall_min_s": min(walls),
                "wall_max_s": max(walls), "cpu_median_s": statistics.median(cpus),
                "steps": len(runs)}

    return {"new_positions": summary(first), "revisited": summary(again)}


def log_slider(lo, hi, start, count):
    """Positions of a log slider (step 0.05 in log10), moving up from ``start``."""
    k = np.arange(count) * 0.05 + np.log10(start)
    return [float(v) for v in 10 ** k if lo <= v <= hi]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="few steps, write nothing")
    args = parser.parse_args(argv)
    count = 4 if args.quick else 12

    from pets_helpers.datasets import load_course_pums
    from pets_helpers.ldp.experiments import zipf_population
    from pets_helpers.dp.demos import release_explorer
    from pets_helpers.ldp.demos import frequency_explorer

    load_before = os.getloadavg()
    values = zipf_population(1_000_000, 32, exponent=1.1, rng=np.random.default_rng(2026))
    eps_steps = log_slider(0.1, 10.0, 0.3, count + 1)
    results = {}
    for label, users in (("L01 explorer, 1,000,000 users (before)", 1_000_000),
                         ("L01 explorer, 20,000 users (after)", 20_000)):
        for oracle in ("OUE", "RAPPOR"):
            draw = capture(frequency_explorer, values, 32, users=users)
            results[f"{label}, {oracle}"] = sweep(
                draw, [{"epsilon": e, "oracle": oracle} for e in eps_steps])
    households, _ = load_course_pums()
    pumas = [f"012{i:02d}" for i in range(1, 11)]
    draw = capture(release_explorer, households, pumas, rng=np.random.default_rng(1))
    results["L02 explorer (ε steps)"] = sweep(
        draw, [{"epsilon": e, "upper": 300_000.0} for e in eps_steps])
    results["L02 explorer (bound steps)"] = sweep(
        draw, [{"epsilon": 1.0, "upper": 100_000.0 + 10_000.0 * i} for i in range(count + 1)])
    load_after = os.getloadavg()
    report = {"machine": machine_info("matplotlib"), "load_before": load_before,
              "load_after": load_after, "results": results}
    lines = ["# Explorer redraw time (one slider step: draw + PNG render)", "",
             f"{report['machine']['date']}, {report['machine']['cpu']}, "
             f"{report['machine']['nproc']} cores; load average before "
             f"{', '.join(f'{x:.1f}' for x in load_before)}, after "
             f"{', '.join(f'{x:.1f}' for x in load_after)}.", "",
             "| explorer | new positions: median wall (min–max) | median CPU | revisited: median wall |",
             "|---|---|---|---|"]
    for name, r in results.items():
        n, a = r["new_positions"], r["revisited"]
        lines.append(f"| {name} | {n['wall_median_s']:.3f} s ({n['wall_min_s']:.3f}–"
                     f"{n['wall_max_s']:.3f}) | {n['cpu_median_s']:.3f} s | "
                     f"{a['wall_median_s']:.3f} s |")
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.quick:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "explorers.json").write_text(json.dumps(report, indent=2))
        (RESULTS / "explorers.md").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
