"""Benchmark of the central DP mechanisms: safe-noise throughput against peers, DP-mean accuracy.

1. Throughput of a Laplace release of 10^6 values (Δ = 1, ε = 1), in samples/s:
   - ours, ``pets_helpers.dp.laplace_mechanism`` (exact discrete Laplace on a power-of-two
     lattice), with a seeded numpy Generator and with the default SecureGenerator (AES-CTR);
     once as one vector query where every entry may change (the default: lattice step 2^-40,
     noise scale ≈ 2^40 steps, the block sampler) and once as separate releases
     (``changed_entries=1``: step 2^-20);
   - OpenDP ``make_laplace`` on a sized vector domain (also exact: discrete Laplace on a lattice,
     Rust, OS randomness), with the *matched* lattice ``k`` (2^k = our step) — its default
     (finest) grid is 3–4× slower and is shown too;
   - Google's ``python-dp`` ``LaplaceMechanism.add_noise`` (C++, floating-point-safe
     snapping, secure RNG; one Python call per value);
   - diffprivlib ``Laplace.randomise`` (one Python call per value, floating point, hardened
     against Mironov's attack — not exact), seeded and secure;
   - plain numpy ``x + rng.laplace(0, b, n)``: fast but *not* safe (Mironov 2012) — the floor.
   Peers that are slower than ~10^5 values/s are timed on a subset and scaled linearly.
   Goals: ≥ 5·10^6 samples/s (secure), ≥ 100× the fastest safe peer, ≤ 10× slower than numpy.
2. Same for the Gaussian mechanism (δ = 1e-6): OpenDP ``make_gaussian`` with matched k and our
   σ, python-dp ``GaussianMechanism`` and numpy ``rng.normal`` (no goal).
3. DP mean accuracy: empirical MSE of ``dp_mean`` over many releases divided by the analytical
   (delta-method) ``dp_mean_mse``, for a few (n, ε, bounds). Goal: 0.9–1.1.

Every contender is timed with the one protocol of benchmarks/common.py (warm-up, same repeats,
median and IQR). Run from the repository root: ``python benchmarks/bench_dp.py`` (about two
minutes on 2 cores; ``--quick`` for a smoke run that writes nothing). Prints a markdown table and
writes benchmarks/results/dp.md and dp.json. python-dp is a benchmark-only peer
(``pip install -e '.[bench]'``); without it its column says why it is missing.
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
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import (  # noqa: E402  (benchmarks/common.py)
    finish,
    fmt_rate,
    fmt_rate_iqr,
    machine_info,
    machine_lines,
    measure,
    peer_missing,
)

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
GOAL_PEER = 100.0
GOAL_NUMPY_SLOWDOWN = 10.0
GOAL_MSE = (0.9, 1.1)
NOTES: list[str] = []  # why a peer is missing, printed under the table


def rate(fn, work: int, repeats: int) -> dict:
    return measure(fn, repeats).rate(work)


# --------------------------------------------------------------------------- peers
def opendp_rate(kind: str, n: int, scale: float, k: int | None, repeats: int) -> dict | None:
    """OpenDP make_laplace / make_gaussian on a float vector of n zeros (k=None: its default)."""
    try:
        import opendp.prelude as odp
    except ImportError:
        NOTES.append(peer_missing("opendp", "it is a course dependency: reinstall requirements.txt"))
        return None
    odp.enable_features("contrib")
    metric = odp.l1_distance(T=float) if kind == "laplace" else odp.l2_distance(T=float)
    domain = odp.vector_domain(odp.atom_domain(T=float, nan=False), size=n)
    make = odp.m.make_laplace if kind == "laplace" else odp.m.make_gaussian
    meas = make(domain, metric, scale=scale, k=k)
    data = [0.0] * n
    return rate(lambda: meas(data), n, repeats)


def pydp_rate(kind: str, n: int, epsilon: float, delta: float, repeats: int) -> dict | None:
    """Google's python-dp: one add_noise call per value (its API releases scalars)."""
    try:
        from pydp.algorithms.numerical_mechanisms import GaussianMechanism, LaplaceMechanism
    except ImportError:
        NOTES.append(peer_missing("python-dp"))
        return None
    mech = (LaplaceMechanism(epsilon, 1.0) if kind == "laplace"
            else GaussianMechanism(epsilon, delta, 1.0))
    add = mech.add_noise

    def run():
        for _ in range(n):
            add(0.0)

    return rate(run, n, repeats)


def diffprivlib_rate(n: int, epsilon: float, repeats: int, seeded: bool) -> dict | None:
    try:
        from diffprivlib.mechanisms import Laplace
    except ImportError:
        NOTES.append(peer_missing("diffprivlib", "a course dependency"))
        return None
    mech = Laplace(epsilon=epsilon, sensitivity=1.0, random_state=1 if seeded else None)

    def run():
        for _ in range(n):
            mech.randomise(0.0)

    return rate(run, n, repeats)


# --------------------------------------------------------------------------- throughput
MODES = (("vector query (all entries may change)", None),
         ("separate releases (changed_entries=1)", 1))


def throughput(cfg: dict) -> list[dict]:
    n, reps, peer_n = cfg["n"], cfg["repeats"], cfg["peer_n"]
    x = np.zeros(n)
    eps, delta = 1.0, 1e-6
    rows = []
    gen = np.random.default_rng(1)
    numpy_laplace = rate(lambda: x + gen.laplace(0.0, 1.0 / eps, n), n, reps)
    pydp_laplace = pydp_rate("laplace", peer_n, eps, delta, reps)
    odp_default = opendp_rate("laplace", peer_n, 1.0 / eps, None, reps)
    dpl = diffprivlib_rate(cfg["dpl_n"], eps, reps, seeded=True)
    dpl_secure = diffprivlib_rate(cfg["dpl_n"], eps, reps, seeded=False)
    for label, changed in MODES:
        plan = laplace_noise_plan(1.0, eps, n if changed is None else 1)
        k = round(math.log2(plan.granularity))
        rows.append({
            "mechanism": "Laplace", "mode": label, "lattice_scale": plan.lattice_scale,
            "granularity": plan.granularity, "k": k,
            "ours_numpy": rate(lambda c=changed: laplace_mechanism(
                x, 1.0, eps, rng=np.random.default_rng(2), changed_entries=c), n, reps),
            "ours_secure": rate(lambda c=changed: laplace_mechanism(
                x, 1.0, eps, rng=SecureGenerator(), changed_entries=c), n, reps),
            "opendp_matched": opendp_rate("laplace", peer_n, plan.scale, k, reps),
            "opendp_default": odp_default, "python_dp": pydp_laplace,
            "diffprivlib": dpl, "diffprivlib_secure": dpl_secure, "plain_numpy": numpy_laplace,
        })
    plan0 = gaussian_noise_plan(1.0, eps, delta, n)
    numpy_normal = rate(lambda: x + gen.normal(0.0, plan0.scale, n), n, reps)
    pydp_gauss = pydp_rate("gaussian", peer_n, eps, delta, reps)
    for label, changed in MODES:
        plan = gaussian_noise_plan(1.0, eps, delta, n if changed is None else 1)
        k = round(math.log2(plan.granularity))
        rows.append({
            "mechanism": "Gaussian", "mode": label, "lattice_scale": plan.lattice_scale,
            "granularity": plan.granularity, "k": k,
            "ours_numpy": rate(lambda c=changed: gaussian_mechanism(
                x, 1.0, eps, delta, rng=np.random.default_rng(3), changed_entries=c), n, reps),
            "ours_secure": rate(lambda c=changed: gaussian_mechanism(
                x, 1.0, eps, delta, rng=SecureGenerator(), changed_entries=c), n, reps),
            "opendp_matched": opendp_rate("gaussian", peer_n, plan.scale, k, reps),
            "opendp_default": None, "python_dp": pydp_gauss,
            "diffprivlib": None, "diffprivlib_secure": None, "plain_numpy": numpy_normal,
        })
    for row in rows:
        safe = {name: row[name] for name in ("opendp_matched", "python_dp") if row[name]}
        row["fastest_safe_peer"] = max(safe, key=lambda m: safe[m]["median"]) if safe else None
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
PEER_NAMES = {"opendp_matched": "OpenDP (matched k)", "python_dp": "python-dp"}


def speedup(row, peer) -> float | None:
    return row["ours_secure"]["median"] / row[peer]["median"] if row.get(peer) else None


def goals_met(row) -> str:
    if row["mechanism"] != "Laplace":
        return "(no goal)"
    missed = []
    if row["ours_secure"]["median"] < GOAL_RATE:
        missed.append("rate")
    fastest = row["fastest_safe_peer"]
    if fastest is not None and speedup(row, fastest) < GOAL_PEER:
        missed.append("vs fastest peer")
    if row["plain_numpy"]["median"] / row["ours_secure"]["median"] > GOAL_NUMPY_SLOWDOWN:
        missed.append("vs numpy")
    return "all" if not missed else "missed: " + ", ".join(missed)


def markdown(rows, mean_rows, info, cfg) -> str:
    lines = [
        "# Central DP benchmark",
        "",
        *machine_lines(info),
        f"- python {info['python']}, numpy {info['numpy']}, opendp {info['opendp']}, "
        f"python-dp {info['python_dp']}, diffprivlib {info['diffprivlib']}",
        f"- work: a release of {cfg['n']:,} values (all 0), Δ = 1, ε = 1 (Gaussian: δ = 1e-6), "
        f"single process, samples/s as median (IQR) of {cfg['repeats']} timed runs after 1 "
        "warm-up. 'ours numpy' = seeded numpy Generator, 'ours secure' = default "
        "SecureGenerator (AES-256-CTR). Lattice step 2^k = our granularity.",
        f"- OpenDP `make_laplace` / `make_gaussian` (sized float vector domain, exact discrete "
        f"noise on the lattice 2^k, Rust): with our k ('matched') and, for Laplace, with its "
        f"default finest k; python-dp `LaplaceMechanism` / `GaussianMechanism` `.add_noise` "
        f"(Google's C++ library: secure RNG, floating-point-safe snapping; one call per value); "
        f"both timed on {cfg['peer_n']:,} values (the rate is per value, so it carries over "
        f"to {cfg['n']:,}). diffprivlib `Laplace.randomise` (one Python call per value) on "
        f"{cfg['dpl_n']:,} values, seeded / secure (SystemRandom). Plain numpy = "
        "`x + rng.laplace(0, b, n)` / `rng.normal`: unsafe floating-point noise (Mironov 2012), "
        "shown as the speed floor.",
        f"- headline: ours (secure) ÷ the fastest floating-point-safe peer with a secure RNG "
        f"(OpenDP matched or python-dp). Goals (Laplace, secure): ≥ {GOAL_RATE / 1e6:.0f} M "
        f"samples/s, ≥ {GOAL_PEER:.0f}× the fastest safe peer, ≤ {GOAL_NUMPY_SLOWDOWN:.0f}× "
        "slower than plain numpy.",
        "",
        "| mechanism | mode | lattice step | ours numpy | ours secure | OpenDP matched k | "
        "OpenDP default k | python-dp | diffprivlib (seeded / secure) | plain numpy | "
        "× fastest safe peer | slower than numpy | goals met |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        fastest = r["fastest_safe_peer"]
        vs = (f"{speedup(r, fastest):.0f}× ({PEER_NAMES[fastest]})" if fastest else "—")
        dpl = (f"{fmt_rate(r['diffprivlib']['median'])} / "
               f"{fmt_rate(r['diffprivlib_secure']['median'])}" if r["diffprivlib"] else "—")
        lines.append(
            f"| {r['mechanism']} | {r['mode']} | 2^{r['k']} | {fmt_rate_iqr(r['ours_numpy'])} | "
            f"{fmt_rate_iqr(r['ours_secure'])} | {fmt_rate_iqr(r['opendp_matched'])} | "
            f"{fmt_rate_iqr(r['opendp_default'])} | {fmt_rate_iqr(r['python_dp'])} | {dpl} | "
            f"{fmt_rate_iqr(r['plain_numpy'])} | {vs} | "
            f"{r['plain_numpy']['median'] / r['ours_secure']['median']:.1f}× | {goals_met(r)} |"
        )
    lines += [f"- {note}" for note in dict.fromkeys(NOTES)]
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
    cfg = ({"n": 10**5, "repeats": 1, "peer_n": 2000, "dpl_n": 2000, "mean_reps": 2000}
           if args.quick else
           {"n": 10**6, "repeats": 5, "peer_n": 50_000, "dpl_n": 20_000, "mean_reps": 200_000})
    info = machine_info("opendp", "python-dp", "diffprivlib")
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        rows = throughput(cfg)
    mean_rows = mean_accuracy(cfg["mean_reps"])
    finish(info)
    text = markdown(rows, mean_rows, info, cfg)
    print(text)
    print(f"(total {time.perf_counter() - t0:.0f} s)")
    if not args.quick:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "dp.md").write_text(text)
        payload = {"machine": info, "config": cfg, "goals": {
            "samples_per_s": GOAL_RATE, "vs_fastest_safe_peer": GOAL_PEER,
            "max_slowdown_vs_numpy": GOAL_NUMPY_SLOWDOWN, "mse_ratio": GOAL_MSE},
            "throughput": rows, "dp_mean": mean_rows}
        (args.out / "dp.json").write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
