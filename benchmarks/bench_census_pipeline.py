"""Lesson 02's census release (DP mean income per area) on three engines, side by side.

Contenders, each releasing the ε = 1 DP mean household income of the 10 areas (bounds public,
privacy unit one household):
  - ours, ``pets_helpers.dp.dp_grouped_mean`` (pandas in memory, exact discrete Laplace);
  - PipelineDP 0.3.1, ``LocalBackend`` (``pets_helpers.scaling.pipeline_dp_area_means``);
  - PipelineDP on Apache Spark, local[2] (``--spark``; needs Java and PySpark): the same
    ``area_mean_pipeline`` on ``SparkRDDBackend``; Spark's start-up (~15 s) is reported apart.
Tables: the course's 5,000-household PUMS sample, and the same households resampled to 10^5
(new household ids). Protocol for every contender: one warm-up run (not counted), then
``--repeats`` runs; median and spread (min–max) of wall time and of this process's CPU time
(Spark's executors are other processes: their CPU is not in the CPU column); load average
before and after.

    python benchmarks/bench_census_pipeline.py [--spark]   # writes results/census_pipeline.{json,md}
    python benchmarks/bench_census_pipeline.py --quick     # smoke run, nothing written
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine_info  # noqa: E402

from pets_helpers.datasets import load_course_pums  # noqa: E402
from pets_helpers.dp import dp_grouped_mean  # noqa: E402
from pets_helpers.scaling import (area_mean_pipeline, household_records,  # noqa: E402
                                  pipeline_dp_area_means)

RESULTS = Path(__file__).resolve().parent / "results"
AREAS = [f"012{i:02d}" for i in range(1, 11)]
LOWER, UPPER, EPS = -59_999.0, 300_000.0, 1.0


def resampled(households, n, seed=0):
    known = households.dropna(subset=["income_adjusted"])
    rows = known.iloc[np.random.default_rng(seed).integers(len(known), size=n)].copy()
    rows["SERIALNO"] = [f"R{i:08d}" for i in range(n)]
    return rows.reset_index(drop=True)


def timed(fn, repeats):
    fn()  # warm-up
    wall, cpu = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return {"wall_median": statistics.median(wall), "wall_min": min(wall), "wall_max": max(wall),
            "cpu_median": statistics.median(cpu), "repeats": repeats}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run, nothing written")
    parser.add_argument("--spark", action="store_true", help="also time Spark local[2]")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else args.repeats
    warnings.simplefilter("ignore")
    import pipeline_dp

    base = load_course_pums().households
    tables = {"5,000 households": base.dropna(subset=["income_adjusted"])}
    if not args.quick:
        tables["100,000 households"] = resampled(base, 100_000)
    sc = None
    spark_start = None
    if args.spark:
        import pyspark
        os.environ["PYSPARK_PYTHON"] = os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
        t = time.perf_counter()
        conf = (pyspark.SparkConf().setMaster("local[2]").setAppName("bench")
                .set("spark.ui.enabled", "false").set("spark.ui.showConsoleProgress", "false")
                .set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.driver.host", "127.0.0.1"))
        sc = pyspark.SparkContext.getOrCreate(conf)
        sc.setLogLevel("ERROR")
        sc.parallelize([1, 2]).count()
        spark_start = time.perf_counter() - t
    load_before = os.getloadavg()
    rows = []
    for label, frame in tables.items():
        contenders = {
            "ours: dp_grouped_mean": lambda f=frame: dp_grouped_mean(
                f, "PUMA", "income_adjusted", LOWER, UPPER, EPS, groups=AREAS),
            "PipelineDP LocalBackend": lambda f=frame: pipeline_dp_area_means(
                f, AREAS, LOWER, UPPER, EPS),
        }
        if sc is not None:
            records = household_records(frame)

            def on_spark(records=records):
                rdd = sc.parallelize(records, numSlices=4)
                return area_mean_pipeline(rdd, pipeline_dp.SparkRDDBackend(sc), AREAS, LOWER,
                                          UPPER, EPS).collect()
            contenders["PipelineDP SparkRDDBackend local[2]"] = on_spark
        for name, fn in contenders.items():
            rows.append({"table": label, "engine": name, **timed(fn, repeats)})
    load_after = os.getloadavg()
    if sc is not None:
        sc.stop()
    lines = ["| table | engine | wall median (s) | wall min–max (s) | CPU median (s, this process) |",
             "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['table']} | {r['engine']} | {r['wall_median']:.3f} | "
                     f"{r['wall_min']:.3f}–{r['wall_max']:.3f} | {r['cpu_median']:.3f} |")
    info = machine_info("pipeline-dp", "python-dp", "pyspark", "pandas")
    notes = [f"Load average before {load_before[0]:.1f}, after {load_after[0]:.1f}; warm-up 1 run, "
             f"{repeats} timed runs per contender."]
    if spark_start is not None:
        notes.append(f"Spark start-up (context + first job), not in the table: {spark_start:.1f} s.")
    table = "\n".join(lines + [""] + notes)
    print(table)
    if not args.quick:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "census_pipeline.json").write_text(json.dumps(
            {"machine": info, "load_before": load_before, "load_after": load_after,
             "spark_start_s": spark_start, "rows": rows}, indent=2))
        (RESULTS / "census_pipeline.md").write_text(
            f"# Census release on three engines\n\n{info}\n\n{table}\n")


if __name__ == "__main__":
    main()
