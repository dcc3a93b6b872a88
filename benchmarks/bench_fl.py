"""Benchmark of Lessons 04–05: the numpy FedAvg loop vs Flower, and the real deployment.

1. **Round cost, same work.** FedAvg on the digits, 10 IID clients, the lesson's settings
   (logistic regression, local SGD, batches of 16), with 1 and with 5 local epochs per round:
   the from-scratch numpy loop (``run_fedavg``) and Flower's simulation engine
   (``simulate_digits``: Ray backend, one CPU per actor). Both run ``ROUNDS`` rounds; round 1 is
   the warm-up (for Flower it contains Ray's start-up, reported apart); the steady round is the
   median of rounds 2…ROUNDS, with min and max. One protocol for both contenders.
2. **Deployment (Lesson 05).** A real SuperLink and three SuperNodes on localhost
   (``LocalFederation``), with TLS + SuperNode authentication and without (``--insecure``),
   the lesson's settings (20 local epochs; only server-side evaluation, no federated
   evaluation round) for DEPLOYMENT_ROUNDS = 3 rounds (the lesson itself runs 2): start-up, seconds per round (median, min, max), teardown.
   Flower 1.41 exposes no poll interval for the deployment engine (its sleeps are hard-coded);
   the tuned settings are few rounds and no client-side evaluation.
3. **Lessons end to end** (``--lessons``): each solution notebook executed headless
   (``jupyter nbconvert --execute``, ``PETS_HEADLESS=1``): wall time and the CPU time of the
   executing process tree (user + sys of every reaped child: kernel, Ray, Flower processes).

The machine is shared: ``os.getloadavg()`` is recorded before and after, and CPU time is the
figure to judge the goals by. Goals (2 cores): numpy round ≥ 20× faster than a steady Flower
simulation round; Lesson 04 ≤ 90 s and Lesson 05 ≤ 120 s end to end.

Run from the repository root: ``python benchmarks/bench_fl.py [--lessons]`` (≈ 4 min, + 4 min
with ``--lessons``); ``--quick`` is a smoke run of the numpy part that writes nothing.
Prints a markdown table, writes benchmarks/results/fl.md and fl.json.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import machine_info  # noqa: E402

from pets_helpers.fl import TrainSettings, iid_partition, load_digits_split, run_fedavg  # noqa: E402

ROUNDS = 11
#: Deployment rounds measured (the lesson runs HOSPITAL_SETTINGS.rounds = 2).
DEPLOYMENT_ROUNDS = 3


def _stats(seconds) -> dict:
    later = list(seconds[1:]) or list(seconds)
    return {"first": seconds[0], "median": statistics.median(later), "min": min(later),
            "max": max(later)}


def numpy_rounds(epochs: int, rounds: int = ROUNDS) -> dict:
    data = load_digits_split()
    parts = iid_partition(len(data.y_train), 10, seed=0)
    clients = [(data.x_train[p], data.y_train[p]) for p in parts]
    cpu = time.process_time()
    h = run_fedavg(clients, data.x_test, data.y_test,
                   TrainSettings(rounds=rounds, local_epochs=epochs))
    return {**_stats(h.seconds), "cpu": time.process_time() - cpu, "accuracy": h.accuracy[-1]}


def flower_rounds(epochs: int, rounds: int = ROUNDS) -> dict:
    from pets_helpers.fl.simulation import simulate_digits

    h, timing = simulate_digits(TrainSettings(rounds=rounds, local_epochs=epochs),
                                n_clients=10, progress=False)
    return {**_stats(h.seconds), "total": timing.total, "accuracy": h.accuracy[-1]}


def deployment(tls: bool) -> dict:
    from pets_helpers.datasets.hospitals import write_hospital_silos
    from pets_helpers.fl.deployment import LocalFederation
    from pets_helpers.fl.hospital_app import write_app

    with tempfile.TemporaryDirectory(prefix="bench-fl-") as tmp:
        dirs = write_hospital_silos(Path(tmp) / "data")
        bench = dirs.pop("benchmark")
        app = write_app(Path(tmp) / "app", bench, n_nodes=len(dirs))
        start = time.perf_counter()
        fed = LocalFederation(app, dirs, Path(tmp) / "run", tls=tls)
        with fed:
            up = time.perf_counter() - start
            h = fed.run({"rounds": DEPLOYMENT_ROUNDS}, progress=False)
            ran = time.perf_counter() - start
        down = time.perf_counter() - start - ran
        return {**_stats(h.seconds), "startup": up, "teardown": down,
                "total": time.perf_counter() - start, "accuracy": h.accuracy[-1],
                "left": len(fed.processes())}


def lesson(notebook: str) -> dict:
    env = {**os.environ, "PETS_HEADLESS": "1", "MPLBACKEND": "Agg",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook",
                              "--execute", "--ExecutePreprocessor.timeout=600",
                              str(ROOT / "solutions" / notebook), "--output-dir", tmp],
                             capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "ok": out.returncode == 0}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="numpy part only; write nothing")
    parser.add_argument("--lessons", action="store_true", help="also time the two notebooks")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    result = {"machine": machine_info("flwr", "ray", "cryptography"),
              "load_before": load_before, "rounds": ROUNDS}
    rows = []
    for epochs in (1, 5):
        n = numpy_rounds(epochs, rounds=3 if args.quick else ROUNDS)
        result[f"numpy_E{epochs}"] = n
        rows.append(f"| numpy loop, E={epochs} | {n['median'] * 1e3:.1f} ms "
                    f"({n['min'] * 1e3:.1f}–{n['max'] * 1e3:.1f}) | — | {n['accuracy']:.4f} |")
        if args.quick:
            continue
        try:
            f = flower_rounds(epochs)
        except RuntimeError as exc:  # Ray could not start on this (loaded) machine
            result[f"flower_E{epochs}"] = {"error": str(exc)[:300], "load": os.getloadavg()}
            rows.append(f"| Flower simulation, E={epochs} | not measured: {str(exc)[:90]} "
                        f"(load {os.getloadavg()[0]:.1f}) | — | — |")
            continue
        result[f"flower_E{epochs}"] = f
        ratio = f["median"] / n["median"]
        result[f"ratio_E{epochs}"] = ratio
        rows.append(f"| Flower simulation, E={epochs} | {f['median'] * 1e3:.0f} ms "
                    f"({f['min'] * 1e3:.0f}–{f['max'] * 1e3:.0f}); ×{ratio:.1f} the numpy round "
                    f"| round 1 (Ray start-up) {f['first']:.1f} s, run {f['total']:.1f} s "
                    f"| {f['accuracy']:.4f} |")
    if not args.quick:
        for tls in (True, False):
            d = deployment(tls)
            result[f"deployment_{'tls' if tls else 'insecure'}"] = d
            rows.append(f"| deployment, 3 hospitals, {DEPLOYMENT_ROUNDS} rounds, {'TLS + node auth' if tls else 'insecure'} "
                        f"| {d['median']:.1f} s ({d['min']:.1f}–{d['max']:.1f}); round 1 "
                        f"{d['first']:.1f} s | start-up {d['startup']:.1f} s, teardown "
                        f"{d['teardown']:.1f} s, total {d['total']:.1f} s, processes left "
                        f"{d['left']} | {d['accuracy']:.4f} |")
    if args.lessons and not args.quick:
        for nb in ("04_federated_averaging.ipynb", "05_cross_silo.ipynb"):
            r = lesson(nb)
            result[f"lesson_{nb[:2]}"] = r
            rows.append(f"| solutions/{nb} headless | wall {r['wall']:.0f} s | CPU {r['cpu']:.0f} s "
                        f"(process tree) | {'ok' if r['ok'] else 'FAILED'} |")
    result["load_after"] = os.getloadavg()
    table = ["| contender | per round (median, min–max of rounds 2…) | other | final accuracy |",
             "|---|---|---|---|", *rows]
    text = "\n".join(table)
    info = result["machine"]
    header = (f"# Federated learning benchmark (Lessons 04–05)\n\n{info['date']}; {info['cpu']}, "
              f"{info['nproc']} cores; flwr {info['flwr']}, ray {info['ray']}; load average "
              f"before {load_before[0]:.1f}, after {result['load_after'][0]:.1f} (1 min).\n\n")
    print(header + text)
    if not args.quick:
        out = ROOT / "benchmarks" / "results"
        (out / "fl.md").write_text(header + text + "\n")
        (out / "fl.json").write_text(json.dumps(result, indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
