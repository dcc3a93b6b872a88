"""Benchmark of Lesson 09's DP synthesizer against OpenDP's MST (and AIM) at ε = 1.

Work: the course's census table (:func:`pets_helpers.synth.census_table.census_people`, 8,223
adults × 6 columns), split at random into 4,000 training rows and 4,000 holdout rows. Each
contender fits on the training rows and samples as many rows as it estimates the table to have.

Contenders, all with the same public domain (the categories of the four categorical columns and
the same bin edges for age and income):

- ``pets_helpers.synth.DPTreeSynthesizer`` at ε = 1 (pure ε-DP, privacy unit one person/row);
- OpenDP 0.16's ``dp.mbi.MST()`` through ``Context.compositor(...).contingency_table(...)`` at
  ρ = ε²/2 = 0.5 zCDP, one contribution per person — the zCDP level that ε = 1 pure DP implies,
  so OpenDP gets a guarantee that is *no stronger* than ours (ours is also pure ε-DP);
- with ``--aim``: OpenDP's ``dp.mbi.AIM()`` at the same ρ.

Measured per run: seconds to fit + sample (wall clock and CPU of this process; JAX may use a
second thread), SDMetrics quality with **every** column pair scored (thresholds 0) against the
training rows — on the raw values, and on the binned table (age and income replaced by their
public bins) — and the distance-based membership-inference AUC (members: the training rows,
non-members: the holdout). OpenDP's rows are decoded from its model's bin indices
(``release.model.synthetic_data``) with the same post-processing as ours (numbers uniform inside
the public bins): its own ``synthesize()`` puts every value of the open-ended outer bins at the
cut (all adults under 25 become 25), which would cost it quality for a reason unrelated to the
model.

Protocol, identical for every contender: one warm-up run (imports, JAX compilation) not
counted, then ``--repeats`` runs (default 3) with fresh secure randomness; medians and
[min, max] are reported, with ``os.getloadavg()`` before and after.

Goals: ours fits + samples in ≤ 10 s and its all-pairs quality ≥ OpenDP MST's at the same ε.

Run from the repository root: ``python benchmarks/bench_synth.py`` (≈ 3 minutes on 2 idle
cores; needs ``pip install -e '.[bench]'`` for OpenDP's MST, which brings jax). ``--quick``: a
smoke run on 400 rows without OpenDP that writes nothing. Writes benchmarks/results/synth.md
and synth.json.
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
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import machine_info  # noqa: E402

from pets_helpers.synth import Binned, DPTreeSynthesizer, distance_membership_attack  # noqa: E402
from pets_helpers.synth.domain import decode_column  # noqa: E402
from pets_helpers.synth.census_table import (  # noqa: E402
    CENSUS_DOMAIN,
    census_people,
    split_train_holdout,
)
from pets_helpers.synth.sdv_models import quality_report  # noqa: E402

EPSILON = 1.0
RHO = EPSILON**2 / 2


def binned(table):
    """Numeric columns replaced by the label of their public bin."""
    out = table.copy()
    for column, spec in CENSUS_DOMAIN.items():
        if isinstance(spec, Binned):
            codes = np.searchsorted(spec.edges, out[column].to_numpy(dtype=float), side="right") - 1
            codes = np.clip(codes, 0, spec.size - 1)
            out[column] = np.asarray(spec.labels, dtype=object)[codes]
    return out


def ours(train):
    return DPTreeSynthesizer(EPSILON, CENSUS_DOMAIN).fit(train).sample()


def opendp_algorithm(name):
    def run(train):
        import opendp.prelude as dp
        import polars as pl

        dp.enable_features("contrib")
        keys = {c: list(s.categories) for c, s in CENSUS_DOMAIN.items() if not isinstance(s, Binned)}
        cuts = {c: [int(e) for e in s.edges[1:-1]] for c, s in CENSUS_DOMAIN.items()
                if isinstance(s, Binned)}
        context = dp.Context.compositor(data=pl.from_pandas(train).lazy(),
                                        privacy_unit=dp.unit_of(contributions=1),
                                        privacy_loss=dp.loss_of(rho=RHO))
        algorithm = dp.mbi.MST() if name == "MST" else dp.mbi.AIM()
        release = (context.query(rho=RHO).select(*CENSUS_DOMAIN)
                   .contingency_table(keys=keys, cuts=cuts, algorithm=algorithm).release())
        # The model's own bin indices (not ``synthesize()``, which puts values of the
        # open-ended outer bins at the cut), decoded exactly as ours: categories by their key,
        # numbers uniformly inside the same public bins — the same post-processing for both.
        indices = release.model.synthetic_data(None, "round").df
        gen = np.random.default_rng()
        columns = {}
        for c, spec in CENSUS_DOMAIN.items():
            idx = np.asarray(indices[c].to_numpy(), dtype=np.int64)
            if isinstance(spec, Binned):
                columns[c] = decode_column(idx, spec, gen)
            else:
                columns[c] = np.asarray(list(release.keys[c]), dtype=object)[idx]
        # OpenDP keeps a null category per column for values outside the keys; rows drawn
        # into it are dropped (as ``dropna`` on its own output would).
        return pd.DataFrame(columns).dropna().reset_index(drop=True)
    return run


def measure(fit_sample, train, holdout, repeats):
    fit_sample(train)                                   # warm-up, not counted
    runs = []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        rows = fit_sample(train)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        for column in ("age", "income"):
            rows[column] = rows[column].astype("int64")
        runs.append({
            "seconds": wall, "cpu_seconds": cpu, "rows": len(rows),
            "quality": quality_report(train, rows).get_score(),
            "quality_binned": quality_report(binned(train), binned(rows)).get_score(),
            "mia_auc": distance_membership_attack(rows, train, holdout).auc,
        })
    summary = {}
    for key in runs[0]:
        values = [r[key] for r in runs]
        summary[key] = {"median": statistics.median(values), "min": min(values), "max": max(values)}
    return summary


def fmt(stat, digits=3):
    return f"{stat['median']:.{digits}f} [{stat['min']:.{digits}f}, {stat['max']:.{digits}f}]"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run, writes nothing")
    parser.add_argument("--aim", action="store_true", help="also run OpenDP's AIM")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    people = census_people()
    size, repeats = (400, 1) if args.quick else (4_000, args.repeats)
    train, holdout = split_train_holdout(people, size, seed=2026)
    contenders = {"course DPTreeSynthesizer (ε = 1, pure DP)": ours}
    if not args.quick:
        try:
            import opendp.extras.mbi  # noqa: F401

            contenders["OpenDP 0.16 MST (ρ = 0.5 zCDP)"] = opendp_algorithm("MST")
            if args.aim:
                contenders["OpenDP 0.16 AIM (ρ = 0.5 zCDP)"] = opendp_algorithm("AIM")
        except ImportError:
            print("OpenDP's mbi extra is not installed (pip install -e '.[bench]'): ours only.")

    load_before = os.getloadavg()
    results = {name: measure(fn, train, holdout, repeats) for name, fn in contenders.items()}
    load_after = os.getloadavg()

    lines = [f"Census table: {len(train):,} training rows, {len(holdout):,} holdout rows, "
             f"6 columns; ε = {EPSILON} (ρ = {RHO}); {repeats} runs after 1 warm-up; "
             f"median [min, max].", "",
             "| contender | fit + sample (s) | CPU (s) | quality, all pairs | quality, binned "
             "| MIA AUC |", "|---|---|---|---|---|---|"]
    for name, r in results.items():
        lines.append(f"| {name} | {fmt(r['seconds'], 1)} | {fmt(r['cpu_seconds'], 1)} | "
                     f"{fmt(r['quality'])} | {fmt(r['quality_binned'])} | {fmt(r['mia_auc'])} |")
    ours_result = results["course DPTreeSynthesizer (ε = 1, pure DP)"]
    goals = [f"ours fits + samples in ≤ 10 s: "
             f"{'met' if ours_result['seconds']['median'] <= 10 else 'MISSED'} "
             f"({ours_result['seconds']['median']:.2f} s)"]
    mst = results.get("OpenDP 0.16 MST (ρ = 0.5 zCDP)")
    if mst:
        met = ours_result["quality"]["median"] >= mst["quality"]["median"]
        goals.append(f"ours all-pairs quality ≥ OpenDP MST's: {'met' if met else 'MISSED'} "
                     f"({ours_result['quality']['median']:.3f} vs {mst['quality']['median']:.3f}; "
                     f"binned {ours_result['quality_binned']['median']:.3f} vs "
                     f"{mst['quality_binned']['median']:.3f})")
    lines += ["", "Goals: " + "; ".join(goals) + ".",
              f"Load average before {tuple(round(x, 2) for x in load_before)}, after "
              f"{tuple(round(x, 2) for x in load_after)}."]
    text = "\n".join(lines)
    print(text)
    if args.quick:
        return
    info = machine_info("opendp", "sdmetrics", "jax", "mbi")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "synth.md").write_text(
        "# DP synthesizers at ε = 1 — `bench_synth.py`\n\n"
        + "\n".join(f"- {k}: {v}" for k, v in info.items()) + "\n\n" + text + "\n",
        encoding="utf-8")
    (out / "synth.json").write_text(json.dumps(
        {"machine": info, "load_before": load_before, "load_after": load_after,
         "train_rows": len(train), "epsilon": EPSILON, "rho": RHO, "repeats": repeats,
         "results": results}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
