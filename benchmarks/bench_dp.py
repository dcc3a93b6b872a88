"""Benchmark of the central DP mechanisms: safe-noise throughput against peers, DP-mean accuracy.

1. Throughput of a Laplace release of 10^6 values (Δ = 1, ε = 1), in samples/s, best of 3:
   - ours, ``pets_helpers.dp.laplace_mechanism`` (exact discrete Laplace on a power-of-two
     lattice), with a seeded numpy Generator and with the default SecureGenerator (AES-CTR);
     once as one vector query where every entry may change (the default: lattice scale ≈ 2^40,
     the block sampler) and once as separate releases (``changed_entries=1``: scale ≈ 2^20);
   - OpenDP ``make_laplace`` on a vector domain (also exact, discrete Laplace on a lattice,
     Rust bignums): timed on 10^5 values and extrapolated linearly to 10^6 (≈ 50 s otherwise);
   - diffprivlib ``Laplace.randomise`` (one value per call, floating point, four uniforms per
     sample against Mironov's attack — not exact): timed on 2·10^4 values, extrapolated;
   - plain numpy ``x + rng.laplace(0, b, n)``: fast but *not* safe (Mironov 2012) — the floor.
   Goals: ≥ 5·10^6 samples/s (secure), ≥ 100× OpenDP, ≤ 10× slower than plain numpy.
2. Same for the Gaussian mechanism (δ = 1e-6) against numpy ``rng.normal`` (no goal).
3. DP mean accuracy: empirical MSE of ``dp_mean`` over many releases divided by the analytical
   (delta-method) ``dp_mean_mse``, for a few (n, ε, bounds). Goal: 0.9–1.1.

Run from the repository root: ``python benchmarks/bench_dp.py`` (about a minute on 2 cores;
``--quick`` for a smoke run that writes nothing). Prints a markdown table and writes
benchmarks/results/dp.md and dp.json.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from common import fmt_rate, machine_info  # noqa: E402  (benchmarks/common.py)

from pets_helpers.dp import (  # noqa: E402
    dp_mean,
    dp_mean_mse,
    gaussian_mechanism,
    gaussian_noise_plan,
    laplace_mechanism,
    laplace_noise_plan,
)
from pets_helpers.randomness import SecureGenerator  # noqa: E402

GOAL_RATE = 5e6
GOAL_OPENDP = 100.0
GOAL_NUMPY_SLOWDOWN = 10.0
GOAL_MSE = (0.9, 1.1)


def best_time(fn, runs: int) -> float:
    best = math.inf
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


# --------------------------------------------------------------------------- peers
def opendp_rate(n: int, scale: float, runs: int) -> float | None:
    try:
        import opendp.prelude as odp
    except ImportError:
        return None
    odp.enable_features("contrib")
    space = odp.vector_domain(odp.atom_domain(T=float, nan=False)), odp.l1_distance(T=float)
    meas = odp.m.make_laplace(*space, scale=scale)
    data = [0.0] * n
    return n / best_time(lambda: meas(data), runs)


def diffprivlib_rate(n: int, epsilon: float, runs: int, seeded: bool) -> float | None:
    try:
        from diffprivlib.mechanisms import Laplace
    except ImportError:
        return None
    mech = Laplace(epsilon=epsilon, sensitivity=1.0, random_state=1 if seeded else None)

    def run():
        for _ in range(n):
            mech.randomise(0.0)

    return n / best_time(run, runs)


# --------------------------------------------------------------------------- throughput
def throughput(n: int, runs: int, peer_n: int, dpl_n: int) -> list[dict]:
    x = np.zeros(n)
    eps = 1.0
    rows = []
    numpy_rate = n / best_time(
        lambda: x + np.random.default_rng(1).laplace(0.0, 1.0 / eps, n), runs)
    odp = opendp_rate(peer_n, 1.0 / eps, 1)
    dpl = diffprivlib_rate(dpl_n, eps, 1, seeded=True)
    dpl_secure = diffprivlib_rate(dpl_n, eps, 1, seeded=False)
    for label, changed in (("vector query (all entries may change)", None),
                           ("separate releases (changed_entries=1)", 1)):
        plan = laplace_noise_plan(1.0, eps, n if changed is None else 1)
        seeded = n / best_time(lambda changed=changed: laplace_mechanism(
            x, 1.0, eps, rng=np.random.default_rng(2), changed_entries=changed), runs)
        secure = n / best_time(lambda changed=changed: laplace_mechanism(
            x, 1.0, eps, rng=SecureGenerator(), changed_entries=changed), runs)
        rows.append({
            "mechanism": "Laplace", "mode": label, "lattice_scale": plan.lattice_scale,
            "granularity": plan.granularity, "ours_numpy": seeded, "ours_secure": secure,
            "opendp": odp, "diffprivlib": dpl, "diffprivlib_secure": dpl_secure,
            "plain_numpy": numpy_rate,
        })
    numpy_normal = n / best_time(lambda: x + np.random.default_rng(1).normal(0.0, 4.8, n), runs)
    for label, changed in (("vector query (all entries may change)", None),
                           ("separate releases (changed_entries=1)", 1)):
        plan = gaussian_noise_plan(1.0, eps, 1e-6, n if changed is None else 1)
        seeded = n / best_time(lambda changed=changed: gaussian_mechanism(
            x, 1.0, eps, 1e-6, rng=np.random.default_rng(3), changed_entries=changed), runs)
        secure = n / best_time(lambda changed=changed: gaussian_mechanism(
            x, 1.0, eps, 1e-6, rng=SecureGenerator(), changed_entries=changed), runs)
        rows.append({
            "mechanism": "Gaussian", "mode": label, "lattice_scale": plan.lattice_scale,
            "granularity": plan.granularity, "ours_numpy": seeded, "ours_secure": secure,
            "opendp": None, "diffprivlib": None, "diffprivlib_secure": None,
            "plain_numpy": numpy_normal,
        })
    return rows


# --------------------------------------------------------------------------- accuracy
MEAN_CASES = [
    # (label, n, epsilon, lower, upper, data generator)
    ("ages 0–100, N(40, 15²)", 1000, 1.0, 0.0, 100.0, lambda r, n: r.normal(40, 15, n)),
    ("incomes 0–200k, Gamma(2, 25k)", 5000, 0.1, 0.0, 200_000.0,
     lambda r, n: r.gamma(2.0, 25_000.0, n)),
    ("scores −5–20, N(3, 6²)", 300, 0.5, -5.0, 20.0, lambda r, n: r.normal(3, 6, n)),
    ("small n: 40 records in 0–10", 40, 1.0, 0.0, 10.0, lambda r, n: r.uniform(0, 10, n)),
]


def mean_accuracy(reps: int) -> list[dict]:
    rows = []
    for i, (label, n, eps, lo, hi, gen) in enumerate(MEAN_CASES):
        rng = np.random.default_rng(100 + i)
        values = gen(rng, n)
        truth = float(values.mean())
        res = dp_mean(values, lo, hi, eps, rng=rng, repeats=reps)
        sq = (res.estimate - truth) ** 2
        theory = dp_mean_mse(n, truth, lo, hi, eps, true_values=values)
        ratio = float(sq.mean() / theory)
        se = float(sq.std(ddof=1) / math.sqrt(reps) / theory)
        rows.append({"case": label, "n": n, "epsilon": eps, "bounds": [lo, hi],
                     "mse": float(sq.mean()), "theory": theory, "ratio": ratio,
                     "ratio_2se": 2 * se, "repetitions": reps})
    return rows


# --------------------------------------------------------------------------- report
def goals_met(row) -> str:
    if row["mechanism"] != "Laplace":
        return "(no goal)"
    missed = []
    if row["ours_secure"] < GOAL_RATE:
        missed.append("rate")
    if row["opendp"] is not None and row["ours_secure"] / row["opendp"] < GOAL_OPENDP:
        missed.append("vs OpenDP")
    if row["plain_numpy"] / row["ours_secure"] > GOAL_NUMPY_SLOWDOWN:
        missed.append("vs numpy")
    return "all" if not missed else "missed: " + ", ".join(missed)


def markdown(rows, mean_rows, info, cfg) -> str:
    lines = [
        "# Central DP benchmark",
        "",
        f"- date: {info['date']}",
        f"- machine: {info['cpu']}, nproc = {info['nproc']}, {info['platform']}",
        f"- python {info['python']}, numpy {info['numpy']}, opendp {info['opendp']}, "
        f"diffprivlib {info['diffprivlib']}",
        f"- throughput: a release of {cfg['n']:,} values (all 0), Δ = 1, ε = 1 (Gaussian: "
        f"δ = 1e-6), best of {cfg['runs']} runs, single process, samples/s. 'ours numpy' = "
        "seeded numpy Generator, 'ours secure' = default SecureGenerator (AES-256-CTR). "
        "Lattice scale = noise scale in lattice steps (default granularity).",
        f"- OpenDP `make_laplace` (vector domain, float, scale 1; exact discrete Laplace on a "
        f"lattice in Rust) timed on {cfg['peer_n']:,} values and extrapolated linearly (its cost "
        f"is per element; 10^6 would take ≈ {cfg['n'] / max(rows[0]['opendp'] or 1, 1):.0f} s). "
        f"diffprivlib `Laplace.randomise` (one Python call per value) timed on "
        f"{cfg['dpl_n']:,} values: seeded (random_state=1) and secure (random_state=None, "
        "SystemRandom). Plain numpy = `x + rng.laplace(0, b, n)` / `rng.normal`: unsafe "
        "floating-point noise (Mironov 2012), shown as the speed floor.",
        f"- goals (Laplace, secure generator): ≥ {GOAL_RATE / 1e6:.0f} M samples/s, "
        f"≥ {GOAL_OPENDP:.0f}× OpenDP, ≤ {GOAL_NUMPY_SLOWDOWN:.0f}× slower than plain numpy.",
        "",
        "| mechanism | mode | lattice scale | ours numpy | ours secure | OpenDP | "
        "diffprivlib (seeded / secure) | plain numpy | × OpenDP | slower than numpy | "
        "goals met |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        vs_odp = f"{r['ours_secure'] / r['opendp']:.0f}×" if r["opendp"] else "—"
        dpl = (f"{fmt_rate(r['diffprivlib'])} / {fmt_rate(r['diffprivlib_secure'])}"
               if r["diffprivlib"] else "—")
        lines.append(
            f"| {r['mechanism']} | {r['mode']} | 2^{math.log2(r['lattice_scale']):.1f} | "
            f"{fmt_rate(r['ours_numpy'])} | {fmt_rate(r['ours_secure'])} | "
            f"{fmt_rate(r['opendp'])} | {dpl} | {fmt_rate(r['plain_numpy'])} | {vs_odp} | "
            f"{r['plain_numpy'] / r['ours_secure']:.1f}× | {goals_met(r)} |"
        )
    lines += [
        "",
        "## DP mean: empirical MSE / analytical MSE",
        "",
        f"`dp_mean` (sum_fraction 0.5) released {cfg['mean_reps']:,} times per case (seeded "
        "numpy), squared error around the true (unclipped) mean, divided by `dp_mean_mse` "
        "(first-order delta method + squared clipping bias). ± = 2 standard errors of the "
        f"ratio. Goal: {GOAL_MSE[0]}–{GOAL_MSE[1]}.",
        "",
        "| case | n | ε | bounds | MSE | analytical | ratio | goal met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in mean_rows:
        ok = GOAL_MSE[0] <= r["ratio"] <= GOAL_MSE[1]
        lines.append(
            f"| {r['case']} | {r['n']:,} | {r['epsilon']} | [{r['bounds'][0]:g}, "
            f"{r['bounds'][1]:g}] | {r['mse']:.4g} | {r['theory']:.4g} | "
            f"{r['ratio']:.3f} ± {r['ratio_2se']:.3f} | {'yes' if ok else 'no'} |"
        )
    lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run, writes nothing")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args(argv)
    cfg = ({"n": 10**5, "runs": 1, "peer_n": 2000, "dpl_n": 2000, "mean_reps": 2000}
           if args.quick else
           {"n": 10**6, "runs": 3, "peer_n": 10**5, "dpl_n": 20_000, "mean_reps": 200_000})
    info = machine_info("opendp", "diffprivlib")
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        rows = throughput(cfg["n"], cfg["runs"], cfg["peer_n"], cfg["dpl_n"])
    mean_rows = mean_accuracy(cfg["mean_reps"])
    text = markdown(rows, mean_rows, info, cfg)
    print(text)
    print(f"(total {time.perf_counter() - t0:.0f} s)")
    if not args.quick:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "dp.md").write_text(text)
        payload = {"machine": info, "config": cfg, "goals": {
            "samples_per_s": GOAL_RATE, "vs_opendp": GOAL_OPENDP,
            "max_slowdown_vs_numpy": GOAL_NUMPY_SLOWDOWN, "mse_ratio": GOAL_MSE},
            "throughput": rows, "dp_mean": mean_rows}
        (args.out / "dp.json").write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
