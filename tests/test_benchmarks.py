"""The benchmark scripts still run (a quick smoke run each; they write nothing in this mode)."""

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.mark.parametrize("script", [
    "bench_ldp.py", "bench_dp.py", "bench_he.py", "bench_explorers.py", "bench_fl.py",
    "bench_secagg.py", "bench_synth.py",
])
def test_benchmark_quick_run(script):
    out = subprocess.run([sys.executable, str(BENCHMARKS / script), "--quick"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "| " in out.stdout  # printed its markdown table
