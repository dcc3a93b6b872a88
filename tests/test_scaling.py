"""Lesson 02's census release on PipelineDP (``pets_helpers.scaling``), LocalBackend.

PipelineDP's noise comes from Google's C++ samplers and cannot be seeded: every statistical
check below has a false-fail probability ≤ 1e-6 from theory (z = 4.89, Laplace kurtosis ≤ 6).
"""

import math

import numpy as np
import pytest
from scipy import stats

from pets_helpers.datasets import load_course_pums
from pets_helpers.dp import dp_grouped_mean, dp_mean_mse
from pets_helpers.grading.tolerance import FALSE_FAIL, z_score
from pets_helpers.scaling import (PRIVACY_UNIT, area_mean_pipeline, household_records,
                                  pipeline_dp_area_means, pipeline_dp_mean_sd)

pipeline_dp = pytest.importorskip("pipeline_dp", reason="pipeline-dp is in requirements.txt: pip install -r requirements.txt")

Z = z_score()
AREAS = [f"012{i:02d}" for i in range(1, 11)]
LOWER, UPPER = -59_999.0, 300_000.0


@pytest.fixture(scope="module")
def households():
    return load_course_pums().households


def test_records_are_plain_tuples_without_missing_income(households):
    records = household_records(households)
    known = households.dropna(subset=["income_adjusted"])
    assert len(records) == len(known)
    hid, area, income = records[0]
    assert isinstance(hid, str) and isinstance(area, str) and isinstance(income, float)
    assert {r[1] for r in records} <= set(AREAS)


def test_census_release_is_centred_on_the_clipped_means(households):
    eps = 1.0
    release = pipeline_dp_area_means(households, AREAS, LOWER, UPPER, eps)
    assert list(release.index) == AREAS
    assert release.attrs["epsilon"] == eps and release.attrs["delta"] == 0.0
    assert release.attrs["privacy_unit"] == PRIVACY_UNIT
    known = households.dropna(subset=["income_adjusted"])
    for area in AREAS:
        x = known.loc[known["PUMA"] == area, "income_adjusted"].to_numpy()
        m = np.clip(x, LOWER, UPPER).mean()
        sd = pipeline_dp_mean_sd(len(x), m, LOWER, UPPER, eps)
        # z for 1e-6 over the 10 areas together (union bound), plus 2nd-order slack
        z10 = z_score(FALSE_FAIL / len(AREAS))
        assert abs(release.loc[area, "estimate"] - m) <= z10 * sd * 1.05, area
        assert abs(release.loc[area, "noisy_count"] - len(x)) <= -math.log(FALSE_FAIL / 10) * 2 / eps


def _replicated(x, k):
    """k independent copies of the same area (distinct households): k independent releases."""
    return [(f"{j}-{i}", f"a{j:05d}", float(v)) for j in range(k) for i, v in enumerate(x)]


@pytest.fixture(scope="module")
def side_by_side():
    """PipelineDP and the course's dp_grouped_mean, k releases each of one 20-household area."""
    import pandas as pd
    x = np.random.default_rng(5).lognormal(math.log(60_000), 0.9, 20)
    k, eps = 1_500, 8.0  # ε large enough that the count noise is small (delta method holds)
    areas = [f"a{j:05d}" for j in range(k)]
    rows = area_mean_pipeline(_replicated(x, k), pipeline_dp.LocalBackend(), areas, 0.0, UPPER, eps)
    pdp = np.array([m.mean for _, m in sorted(rows)])
    frame = pd.DataFrame(_replicated(x, k), columns=["id", "area", "income"])
    course = dp_grouped_mean(frame, "area", "income", 0.0, UPPER, eps, groups=areas,
                             rng=np.random.default_rng(9))["estimate"].to_numpy()
    m = float(np.clip(x, 0.0, UPPER).mean())
    return dict(x=x, k=k, eps=eps, m=m, pdp=pdp, course=course,
                sd_pdp=pipeline_dp_mean_sd(len(x), m, 0.0, UPPER, eps),
                sd_course=math.sqrt(dp_mean_mse(len(x), m, 0.0, UPPER, eps)))


@pytest.mark.parametrize("engine", ["pdp", "course"])
def test_each_engine_is_unbiased_with_the_spread_theory_gives(side_by_side, engine):
    s = side_by_side
    est, sd, k = s[engine], s[f"sd_{engine}"], s["k"]
    # ratio bias |m − centre|·σ_C²/n² is < 0.1 % of sd here: a 2 % slack covers it
    assert abs(est.mean() - s["m"]) <= Z * sd / math.sqrt(k) + 0.02 * sd
    # sample variance: sd(s²)/σ² ≈ √((κ − 1)/k) with kurtosis κ ≤ 6 (Laplace)
    ratio = est.var(ddof=1) / sd**2
    assert abs(ratio - 1) <= Z * math.sqrt(5 / k) + 0.02, ratio


def test_the_two_engines_agree_in_distribution(side_by_side):
    """Standardized errors (estimate − clipped mean)/sd of both engines: same law (two-sample KS)."""
    s = side_by_side
    a = (s["pdp"] - s["m"]) / s["sd_pdp"]
    b = (s["course"] - s["m"]) / s["sd_course"]
    assert stats.ks_2samp(a, b).pvalue > FALSE_FAIL
    # and a wrong configuration (half the ε) is told apart
    wrong = (s["pdp"] - s["m"]) / (s["sd_pdp"] / 2)
    assert stats.ks_2samp(wrong, b).pvalue < 1e-6


def test_pipeline_dp_bounds_a_households_contribution():
    """One household with 500 rows in two areas counts once, in one area (privacy unit)."""
    records = [("H1", "a", 100.0)] * 250 + [("H1", "b", 100.0)] * 250
    records += [(f"h{i}", "a", 100.0) for i in range(50)]
    eps = 2.0
    rows = dict(area_mean_pipeline(records, pipeline_dp.LocalBackend(), ["a", "b"], 0.0, 1_000.0, eps))
    slack = -math.log(FALSE_FAIL / 2) / (eps / 2)  # Laplace(2/ε) tail at 1e-6 / 2 areas
    total = rows["a"].count + rows["b"].count
    assert abs(total - 51) <= 2 * slack


@pytest.mark.parametrize("kwargs, exc", [
    (dict(epsilon=0.0), ValueError), (dict(epsilon=float("nan")), ValueError),
    (dict(lower=10.0, upper=1.0), ValueError), (dict(areas=[]), ValueError),
    (dict(areas="01201"), TypeError), (dict(areas=["a", "a"]), ValueError),
    (dict(epsilon="1"), TypeError),
])
def test_bad_input_is_refused(kwargs, exc):
    args = dict(areas=["a"], lower=0.0, upper=1.0, epsilon=1.0) | kwargs
    with pytest.raises(exc):
        area_mean_pipeline([("h", "a", 0.5)], pipeline_dp.LocalBackend(), **args)


def test_theory_helper_validates():
    with pytest.raises(ValueError):
        pipeline_dp_mean_sd(10, 5.0, 0.0, 1.0, 1.0)  # clipped mean outside the bounds
    assert pipeline_dp_mean_sd(100, 0.5, 0.0, 1.0, 2.0) == pytest.approx(math.sqrt(2 * 0.5**2) / 100)


def test_the_census_benchmark_runs():
    """benchmarks/bench_census_pipeline.py --quick: a smoke run that writes nothing."""
    import subprocess
    import sys
    from pathlib import Path
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_census_pipeline.py"
    out = subprocess.run([sys.executable, str(script), "--quick"], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "| PipelineDP LocalBackend |" in out.stdout and "| ours: dp_grouped_mean |" in out.stdout
