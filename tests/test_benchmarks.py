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


@pytest.mark.parametrize("script", ["bench_ldp.py", "bench_dp.py", "bench_he.py"])
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
