"""Benchmark of the LDP frequency oracles: throughput, accuracy, and pure-ldp side by side.

For Warner's randomized response and each frequency oracle (GRR, OUE, OLH, RAPPOR), at ε = 1
and ε = 4, over a domain of d = 32 items with Zipf(1.1) popularity:

- throughput of perturb + aggregate + estimate for 10^6 users, in users/s, with a seeded numpy
  Generator and with the default cryptographically secure SecureGenerator (best of 3 runs);
- accuracy: the MSE of the estimates over repetitions divided by the theoretical variance
  (mean over items of ``variance(n, true_frequencies)``); the estimators are unbiased, so the
  ratio should be 1 up to its sampling error;
- peers on the same data and ε: a plain vectorized numpy implementation of each oracle (the
  textbook estimators, written here in a few lines each; no RAPPOR), ``multi-freq-ldpy``
  (numba-compiled per-user clients; RR as GRR with k = 2; no RAPPOR) and ``pure-ldp`` (per-user
  Python); the per-user peers are timed on a 2·10^4-user subset; the speed-up is ours over the
  fastest peer.

Every contender is timed with the protocol of benchmarks/common.py (1 warm-up, the same
repeats, median and IQR). Goals: ≥ 2·10^6 users/s, at least as fast as the fastest peer
(≥ 0.8× allows for timing noise), MSE/theory in [0.9, 1.1]. multi-freq-ldpy and pure-ldp are
benchmark-only peers (``pip install -e '.[bench]'``); a missing one is reported, not fatal.

Run from the repository root: ``python benchmarks/bench_ldp.py`` (a few minutes on 2 cores;
``--quick`` for a smoke run). Prints a markdown table and writes benchmarks/results/ldp.md
and ldp.json.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
import types
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

from pets_helpers.ldp import (  # noqa: E402
    ORACLES,
    olh_report_bits,
    randomized_response,
    rr_estimate,
    rr_variance,
)

GOAL_USERS_PER_S = 2e6
GOAL_SPEEDUP = 0.8  # ours ÷ the fastest peer (1 = as fast; below 0.8 is more than timing noise)
CHUNK = 1 << 16  # users per block in the plain-numpy peer (bounds its temporary memory)
NOTES: list[str] = []
GOAL_MSE = (0.9, 1.1)


# --- data ---------------------------------------------------------------------------------
def zipf_values(n: int, d: int, exponent: float, seed: int) -> np.ndarray:
    """n users' items, P[item k] ∝ 1/(k+1)^exponent (fixed for the whole benchmark)."""
    weights = 1.0 / np.arange(1, d + 1) ** exponent
    cdf = np.cumsum(weights / weights.sum())
    u = np.random.default_rng(seed).random(n)
    return np.minimum(np.searchsorted(cdf, u, side="right"), d - 1).astype(np.int64)


# --- our mechanisms -----------------------------------------------------------------------
class WarnerRR:
    """Adapter giving Warner's randomized response the oracle-like interface used below."""

    name = "RR"

    def __init__(self, epsilon):
        self.epsilon = epsilon

    def perturb(self, bits, rng):
        return randomized_response(bits, self.epsilon, rng)

    def estimate(self, reports):
        return np.array([rr_estimate(reports, self.epsilon)])

    def variance(self, n, truth):
        # the data are fixed across repetitions: only the mechanism's randomness counts
        return np.array([rr_variance(n, self.epsilon, float(truth[0]), fixed_data=True)])


def report_bits(name: str, oracle, d: int) -> int:
    return {
        "RR": 1,
        "GRR": math.ceil(math.log2(d)),
        "OUE": d,
        "OLH": olh_report_bits(oracle.epsilon) if name == "OLH" else 0,
        "RAPPOR": getattr(oracle, "num_bits", 0),
    }[name]


def time_ours(oracle, data, rng_factory, repeats: int) -> dict:
    """users/s (median and IQR) of perturb + estimate (estimate includes the aggregation)."""
    timing = measure(lambda rng: oracle.estimate(oracle.perturb(data, rng=rng)), repeats,
                     setup=rng_factory)
    return timing.rate(data.shape[0])


def mse_ratio(oracle, data, truth, reps: int, seed: int) -> tuple[float, float]:
    """(measured MSE / theoretical variance, standard error of that ratio)."""
    rng = np.random.default_rng(seed)
    per_rep = np.array([
        np.mean((oracle.estimate(oracle.perturb(data, rng=rng)) - truth) ** 2)
        for _ in range(reps)
    ])
    theory = float(np.mean(oracle.variance(data.shape[0], truth)))
    return float(per_rep.mean() / theory), float(per_rep.std(ddof=1) / math.sqrt(reps) / theory)


# --- plain numpy: the textbook oracles, vectorized ---------------------------------------
def numpy_rr(bits, epsilon, rng):
    p = math.exp(epsilon) / (1 + math.exp(epsilon))
    reports = np.where(rng.random(bits.shape[0]) < p, bits, 1 - bits)
    return np.array([(reports.mean() - (1 - p)) / (2 * p - 1)])


def numpy_grr(values, epsilon, d, rng):
    e = math.exp(epsilon)
    p, q = e / (e + d - 1), 1 / (e + d - 1)
    n = values.shape[0]
    reports = np.where(rng.random(n) < p, values, (values + rng.integers(1, d, n)) % d)
    return (np.bincount(reports, minlength=d) / n - q) / (p - q)


def numpy_oue(values, epsilon, d, rng):
    p, q = 0.5, 1 / (math.exp(epsilon) + 1)
    counts = np.zeros(d)
    for start in range(0, values.shape[0], CHUNK):
        v = values[start:start + CHUNK]
        bits = rng.random((v.shape[0], d)) < q
        bits[np.arange(v.shape[0]), v] = rng.random(v.shape[0]) < p
        counts += bits.sum(axis=0)
    return (counts / values.shape[0] - q) / (p - q)


def numpy_olh(values, epsilon, d, rng):
    e = math.exp(epsilon)
    g = int(round(e)) + 1
    p = e / (e + g - 1)
    prime = (1 << 31) - 1  # universal hashing h(v) = ((a·v + b) mod P) mod g, per user (a, b)
    items = np.arange(d)
    counts = np.zeros(d)
    for start in range(0, values.shape[0], CHUNK):
        v = values[start:start + CHUNK]
        m = v.shape[0]
        a, b = rng.integers(1, prime, m), rng.integers(0, prime, m)
        h = ((a * v + b) % prime) % g
        y = np.where(rng.random(m) < p, h, (h + rng.integers(1, g, m)) % g)
        support = ((a[:, None] * items + b[:, None]) % prime) % g == y[:, None]
        counts += support.sum(axis=0)
    return (counts / values.shape[0] - 1 / g) / (p - 1 / g)


def numpy_peer(name, epsilon, d):
    """f(data, rng) -> estimates, for the oracles with a plain numpy version (None: RAPPOR)."""
    return {
        "RR": lambda x, rng: numpy_rr(x, epsilon, rng),
        "GRR": lambda x, rng: numpy_grr(x, epsilon, d, rng),
        "OUE": lambda x, rng: numpy_oue(x, epsilon, d, rng),
        "OLH": lambda x, rng: numpy_olh(x, epsilon, d, rng),
    }.get(name)


def time_numpy(name, epsilon, d, data, repeats) -> dict | None:
    fn = numpy_peer(name, epsilon, d)
    if fn is None:
        return None
    timing = measure(lambda rng: fn(data, rng), repeats, setup=lambda: np.random.default_rng(1))
    return timing.rate(data.shape[0])


# --- multi-freq-ldpy (numba) ----------------------------------------------------------------
def import_multi_freq_ldpy():
    """multi-freq-ldpy's GRR, UE and LH modules, or None (with a note) if not installed."""
    try:
        import xxhash
        from multi_freq_ldpy.pure_frequency_oracles import GRR, LH, UE
    except ImportError:
        NOTES.append(peer_missing("multi-freq-ldpy"))
        return None
    LH.xxhash = xxhash_str_adapter(xxhash)  # it hashes str; xxhash ≥ 4 wants bytes
    return types.SimpleNamespace(grr=GRR, ue=UE, lh=LH)


def time_multi_freq(lib, name, epsilon, d, data, repeats) -> dict | None:
    """users/s of multi-freq-ldpy: its numba client per user, then its aggregator (MI)."""
    if lib is None or name == "RAPPOR":
        return None
    k = 2 if name == "RR" else d
    if name in ("RR", "GRR"):
        def client(v):
            return lib.grr.GRR_Client(v, k, epsilon)

        def aggregate(r):
            return lib.grr.GRR_Aggregator_MI(np.array(r), k, epsilon)
    elif name == "OUE":
        def client(v):
            return lib.ue.UE_Client(v, k, epsilon, True)

        def aggregate(r):
            return lib.ue.UE_Aggregator_MI(np.array(r), epsilon, True)
    else:  # OLH
        def client(v):
            return lib.lh.LH_Client(v, k, epsilon, True)

        def aggregate(r):
            return lib.lh.LH_Aggregator_MI(r, k, epsilon, True)
    items = data.tolist()
    np.random.seed(0)
    timing = measure(lambda: aggregate([client(v) for v in items]), repeats)
    return timing.rate(len(items))


# --- pure-ldp -----------------------------------------------------------------------------
def xxhash_str_adapter(xxhash):
    """pure-ldp and multi-freq-ldpy hash str objects; xxhash ≥ 4 only accepts bytes (older
    versions encoded str as UTF-8 themselves): a thin adapter that does that encoding."""
    def encoded(fn):
        return lambda data, seed=0: fn(data.encode() if isinstance(data, str) else data, seed=seed)

    return types.SimpleNamespace(xxh32=encoded(xxhash.xxh32), xxh64=encoded(xxhash.xxh64))


def import_pure_ldp():
    """Import pure_ldp's frequency oracles, or return None if it is not installed.

    Its package __init__ imports every oracle, and RAPPOR's server imports statsmodels
    without using it; if statsmodels is missing, an empty stand-in module is registered so
    that the other oracles can be imported.
    """
    try:
        import statsmodels.api  # noqa: F401
    except ImportError:
        stub = types.ModuleType("statsmodels")
        stub.api = types.ModuleType("statsmodels.api")
        sys.modules.setdefault("statsmodels", stub)
        sys.modules.setdefault("statsmodels.api", stub.api)
    try:
        import xxhash
        from pure_ldp.frequency_oracles import direct_encoding, local_hashing, rappor
        from pure_ldp.frequency_oracles import unary_encoding
    except ImportError:
        NOTES.append(peer_missing("pure-ldp"))
        return None
    shim = xxhash_str_adapter(xxhash)
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("pure_ldp") and hasattr(module, "xxhash"):
            module.xxhash = shim
    return types.SimpleNamespace(
        de=direct_encoding, ue=unary_encoding, lh=local_hashing, rappor=rappor
    )


def pure_ldp_pair(lib, name: str, epsilon: float, d: int, ours):
    """(client, server) of pure-ldp for our oracle ``name``, items indexed 0..d-1."""
    ident = lambda x: x  # noqa: E731  (pure-ldp's default maps x ↦ x - 1)
    if name in ("RR", "GRR"):
        k = 2 if name == "RR" else d
        return lib.de.DEClient(epsilon, k, ident), lib.de.DEServer(epsilon, k, ident)
    if name == "OUE":
        return (lib.ue.UEClient(epsilon, d, use_oue=True, index_mapper=ident),
                lib.ue.UEServer(epsilon, d, use_oue=True, index_mapper=ident))
    if name == "OLH":
        return (lib.lh.LHClient(epsilon, d, use_olh=True, index_mapper=ident),
                lib.lh.LHServer(epsilon, d, use_olh=True, index_mapper=ident))
    if name == "RAPPOR":  # same f, m and h as ours; one cohort
        server = lib.rappor.RAPPORServer(ours.f, ours.num_bits, ours.num_hashes, d,
                                         num_of_cohorts=1, index_mapper=ident)
        client = lib.rappor.RAPPORClient(ours.f, ours.num_bits, server.get_hash_funcs(),
                                         num_of_cohorts=1, index_mapper=ident)
        return client, server
    raise KeyError(name)


def time_pure_ldp(lib, name, epsilon, d, ours, data, repeats) -> dict | None:
    """users/s of pure-ldp: privatise every user, aggregate, estimate all items."""
    if lib is None:
        return None
    random.seed(0)
    np.random.seed(0)
    k = 2 if name == "RR" else d
    items = data.tolist()

    def run(pair):
        client, server = pair
        for v in items:
            server.aggregate(client.privatise(v))
        server.estimate_all(range(k), suppress_warnings=True)

    with warnings.catch_warnings():  # sklearn convergence chatter from pure-ldp's RAPPOR
        warnings.simplefilter("ignore")
        timing = measure(run, repeats, setup=lambda: pure_ldp_pair(lib, name, epsilon, d, ours))
    return timing.rate(len(items))


# --- report -------------------------------------------------------------------------------
PEERS = {"numpy_plain": "plain numpy", "multi_freq_ldpy": "multi-freq-ldpy", "pure_ldp": "pure-ldp"}


def markdown(rows, info, cfg) -> str:
    lines = [
        "# LDP benchmark",
        "",
        *machine_lines(info),
        f"- python {info['python']}, numpy {info['numpy']}, multi-freq-ldpy "
        f"{info['multi_freq_ldpy']} (numba {info['numba']}), pure-ldp {info['pure_ldp']}",
        f"- data: {cfg['users']:,} users, d = {cfg['d']} items, Zipf({cfg['zipf']}) popularity "
        f"(RR: the bit \"holds item 0\", π = {cfg['rr_pi']:.3f}); ε ∈ {cfg['epsilons']}",
        f"- throughput: perturb + aggregate + estimate, single process, users/s as median (IQR) "
        f"of {cfg['repeats']} timed runs after 1 warm-up; 'numpy' = seeded numpy Generator "
        "(PCG64), 'secure' = default SecureGenerator (AES-256-CTR)",
        "- peers, same data and ε: **plain numpy** = the textbook oracle vectorized in a few "
        "lines (benchmarks/bench_ldp.py: GRR by `np.where`, OUE by a users × d Bernoulli matrix, "
        "OLH with per-user universal hashing (a·v + b mod 2³¹−1) mod g; seeded PCG64, all users); "
        "**multi-freq-ldpy** = its numba-compiled per-user clients and its MI aggregator "
        "(estimates projected onto the simplex; its OLH hashes with xxhash); **pure-ldp** = its "
        "per-user Python clients and servers (RAPPOR: a non-negative ElasticNet fit). The "
        f"per-user peers run on the first {cfg['pure_users']:,} users. pure-ldp and "
        "multi-freq-ldpy hash `str` objects, which xxhash ≥ 4 refuses: a tiny adapter "
        "UTF-8-encodes them.",
        "- speed-up = ours (numpy) ÷ the fastest peer for that oracle (named). "
        f"Goals: ≥ {GOAL_USERS_PER_S / 1e6:.0f} M users/s, ≥ {GOAL_SPEEDUP}× the fastest peer, "
        f"MSE/theory in [{GOAL_MSE[0]}, {GOAL_MSE[1]}]",
        f"- MSE/theory: MSE over {cfg['reps']} repetitions ({cfg['reps'] * cfg['d']} for RR) "
        f"of all {cfg['users']:,} users (numpy rng) / mean over items of the exact variance "
        "given the true frequencies; ± 2 standard errors of that ratio",
        "",
        "| oracle | ε | report bits | ours numpy | ours secure | plain numpy | multi-freq-ldpy "
        "| pure-ldp | speed-up vs fastest peer | MSE/theory | goals met |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        speed = (f"{r['speedup']:.1f}× ({PEERS[r['fastest_peer']]})" if r["speedup"] else "—")
        lines.append(
            f"| {r['oracle']} | {r['epsilon']:g} | {r['report_bits']} "
            f"| {fmt_rate_iqr(r['ours_numpy'])} | {fmt_rate_iqr(r['ours_secure'])} "
            f"| {fmt_rate_iqr(r['numpy_plain'])} | {fmt_rate_iqr(r['multi_freq_ldpy'])} "
            f"| {fmt_rate_iqr(r['pure_ldp'])} | {speed} "
            f"| {r['mse_ratio']:.3f} ± {2 * r['mse_se']:.3f} | {r['goals']} |"
        )
    lines += [f"- {note}" for note in dict.fromkeys(NOTES)]
    return "\n".join(lines) + "\n"


def goals(row) -> str:
    missed = []
    if row["ours_numpy"]["median"] < GOAL_USERS_PER_S:
        missed.append("speed (numpy)")
    if row["ours_secure"]["median"] < GOAL_USERS_PER_S:
        missed.append("speed (secure)")
    if row["speedup"] is not None and row["speedup"] < GOAL_SPEEDUP:
        missed.append("vs fastest peer")
    if not GOAL_MSE[0] <= row["mse_ratio"] <= GOAL_MSE[1]:
        missed.append("MSE")
    return "all" if not missed else "missed: " + ", ".join(missed)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--domain", type=int, default=32)
    ap.add_argument("--reps", type=int, default=100,
                    help="repetitions for the MSE (×d for RR, which has a single estimate)")
    ap.add_argument("--repeats", type=int, default=5, help="timed runs of every contender")
    ap.add_argument("--pure-users", type=int, default=20_000)
    ap.add_argument("--epsilons", type=float, nargs="+", default=[1.0, 4.0])
    ap.add_argument("--quick", action="store_true", help="small smoke run, writes nothing")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = ap.parse_args(argv)
    if args.quick:
        args.users, args.reps, args.repeats, args.pure_users = 50_000, 5, 1, 1000

    d, zipf = args.domain, 1.1
    values = zipf_values(args.users, d, zipf, seed=2024)
    truth = np.bincount(values, minlength=d) / args.users
    bits = (values == 0).astype(np.int8)
    rr_truth = np.array([bits.mean()])
    pure, mfl = import_pure_ldp(), import_multi_freq_ldpy()
    cfg = {"users": args.users, "d": d, "zipf": zipf, "epsilons": args.epsilons,
           "reps": args.reps, "repeats": args.repeats, "pure_users": args.pure_users,
           "rr_pi": float(rr_truth[0])}
    info = machine_info("pure-ldp", "multi-freq-ldpy", "numba")
    rows = []
    t0 = time.perf_counter()
    for epsilon in args.epsilons:
        for name in ["RR", *ORACLES]:
            oracle = WarnerRR(epsilon) if name == "RR" else ORACLES[name](epsilon, d)
            data, true = (bits, rr_truth) if name == "RR" else (values, truth)
            subset = data[: args.pure_users]
            row = {"oracle": name, "epsilon": epsilon, "report_bits": report_bits(name, oracle, d)}
            row["ours_numpy"] = time_ours(oracle, data, lambda: np.random.default_rng(1),
                                          args.repeats)
            row["ours_secure"] = time_ours(oracle, data, lambda: None, args.repeats)
            row["numpy_plain"] = time_numpy(name, epsilon, d, data, args.repeats)
            row["multi_freq_ldpy"] = time_multi_freq(mfl, name, epsilon, d, subset, args.repeats)
            row["pure_ldp"] = time_pure_ldp(pure, name, epsilon, d, oracle, subset, args.repeats)
            reps = args.reps * d if name == "RR" else args.reps  # RR: 1 estimate, d× cheaper
            row["mse_ratio"], row["mse_se"] = mse_ratio(oracle, data, true, reps, seed=7)
            peers = {p: row[p]["median"] for p in PEERS if row[p] is not None}
            row["fastest_peer"] = max(peers, key=peers.get) if peers else None
            row["speedup"] = (row["ours_numpy"]["median"] / peers[row["fastest_peer"]]
                              if peers else None)
            row["goals"] = goals(row)
            rows.append(row)
            print(f"  {name:6s} ε={epsilon:g}: {fmt_rate(row['ours_numpy']['median'])} users/s "
                  f"numpy, {fmt_rate(row['ours_secure']['median'])} secure, fastest peer "
                  f"{row['fastest_peer']}, MSE/theory {row['mse_ratio']:.3f} "
                  f"[{time.perf_counter() - t0:.0f} s]", file=sys.stderr, flush=True)
    finish(info)
    table = markdown(rows, info, cfg)
    print(table)
    if not args.quick:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "ldp.md").write_text(table)
        payload = {"machine": info, "config": cfg, "goals": {
            "users_per_s": GOAL_USERS_PER_S, "vs_fastest_peer": GOAL_SPEEDUP,
            "mse_ratio": GOAL_MSE}, "rows": rows}
        (args.out / "ldp.json").write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
