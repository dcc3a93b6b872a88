"""The benchmark scripts still run (a quick smoke run each; they write nothing in this mode), and a
missing benchmark-only peer is reported with its reason instead of failing the run."""

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
# benchmark-only peers (pyproject's `bench` extra): import name per script
OPTIONAL_PEERS = {"bench_dp.py": {"pydp": "python-dp"},
                  "bench_ldp.py": {"multi_freq_ldpy": "multi-freq-ldpy", "pure_ldp": "pure-ldp"}}


def run_quick(script: str, hide=()):
    """Run ``script --quick``; modules in ``hide`` cannot be imported (as if not installed)."""
    code = ("import runpy, sys; sys.modules.update(dict.fromkeys(sys.argv[2:])); "
            "path = sys.argv[1]; sys.argv = [path, '--quick']; "
            "runpy.run_path(path, run_name='__main__')")
    return subprocess.run([sys.executable, "-c", code, str(BENCHMARKS / script), *hide],
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("script", [
    "bench_ldp.py", "bench_dp.py", "bench_he.py", "bench_explorers.py", "bench_fl.py",
    "bench_secagg.py", "bench_synth.py", "bench_course.py",
])
def test_benchmark_quick_run(script):
    out = run_quick(script)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "| " in out.stdout  # printed its markdown table (a missing peer is only a note)


@pytest.mark.parametrize("script", sorted(OPTIONAL_PEERS))
def test_missing_benchmark_only_peers_are_skipped_with_a_reason(script):
    peers = OPTIONAL_PEERS[script]
    out = run_quick(script, hide=list(peers))
    assert out.returncode == 0, out.stderr[-2000:]
    for package in peers.values():
        assert f"peer skipped: {package} is not installed" in out.stdout
    assert "| " in out.stdout


def test_plain_numpy_peers_are_unbiased_oracles():
    """The LDP benchmark's plain-numpy peers compute the same estimates as the textbook protocols
    (a fast but wrong peer would make the comparison meaningless): every item's estimate lies
    within 6 standard deviations of the truth (pure-protocol variance; false-fail < 1e-7)."""
    import math

    import numpy as np

    sys.path.insert(0, str(BENCHMARKS))
    import bench_ldp

    n, d, eps = 200_000, 32, 1.0
    values = bench_ldp.zipf_values(n, d, 1.1, seed=5)
    truth = np.bincount(values, minlength=d) / n
    e = math.exp(eps)
    g = int(round(e)) + 1
    supports = {"GRR": (e / (e + d - 1), 1 / (e + d - 1)), "OUE": (0.5, 1 / (e + 1)),
                "OLH": (e / (e + g - 1), 1 / g)}
    for name, (p, q) in supports.items():
        est = bench_ldp.numpy_peer(name, eps, d)(values, np.random.default_rng(11))
        var = q * (1 - q) / (n * (p - q) ** 2) + truth * (1 - p - q) / (n * (p - q))
        assert np.all(np.abs(est - truth) <= 6 * np.sqrt(var)), name
    bits = (values == 0).astype(np.int8)
    p = e / (1 + e)
    est = bench_ldp.numpy_peer("RR", eps, d)(bits, np.random.default_rng(12))[0]
    pi = bits.mean()
    var = (p * (1 - p)) / (n * (2 * p - 1) ** 2)
    assert abs(est - pi) <= 6 * math.sqrt(var)
