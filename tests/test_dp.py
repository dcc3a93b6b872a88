"""Tests of pets_helpers.dp: lattice mechanisms, calibration, DP mean / grouped mean / histogram,
and validation. (Samplers: test_dp_samplers.py; statistical DP tests: test_dp_privacy.py.)

Seeded; every statistical tolerance is derived from theory so that a correct implementation
fails an assertion with probability ≤ 1e-6 (ALPHA).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from pets_helpers import dp
from pets_helpers.dp import (
    DPMeanResult,
    analytic_gaussian_sigma,
    classic_gaussian_sigma,
    clipped_sum_sensitivity,
    discrete_laplace_variance,
    dp_grouped_mean,
    dp_histogram,
    dp_mean,
    dp_mean_mse,
    dp_mean_plan,
    gaussian_delta,
    gaussian_mechanism,
    gaussian_mse,
    gaussian_noise_plan,
    laplace_mechanism,
    laplace_mse,
    laplace_noise_plan,
)

ALPHA = 1e-6


def z_bound(k: int = 1) -> float:
    return float(stats.norm.isf(ALPHA / (2 * k)))


def mean_sq_within(errors: np.ndarray, expected: float, extra: float = 0.0, k: int = 1) -> bool:
    """Is mean(errors²) within a CLT bound (sd of errors² estimated) of ``expected``?"""
    sq = errors**2
    half = z_bound(k) * sq.std(ddof=1) / math.sqrt(sq.size) * 1.05 + extra
    return abs(sq.mean() - expected) <= half


# --------------------------------------------------------------------------- lattice
def test_outputs_lie_exactly_on_the_lattice_for_neighbouring_inputs():
    g = 2.0**-10
    rng = np.random.default_rng(1)
    for x in (0.0, 1.0, 0.1234567, -3.3):  # 0 and 1 = Δ are neighbours; others off-lattice
        out = laplace_mechanism(np.full(5000, x), 1.0, 1.0, rng=rng, granularity=g,
                                changed_entries=1)
        steps = out / g  # exact: division by a power of two
        assert np.array_equal(steps, np.round(steps))
        out = gaussian_mechanism(np.full(5000, x), 1.0, 1.0, 1e-6, rng=rng, granularity=g,
                                 changed_entries=1)
        assert np.array_equal(out / g, np.round(out / g))


def test_default_lattice_and_neighbours_share_the_support():
    # the support of both inputs is the whole lattice gℤ: the outputs of x = 0 and x' = Δ
    # have the same residues modulo any power of two up to the noise scale
    rng = np.random.default_rng(2)
    plan = laplace_noise_plan(1.0, 1.0, 1)
    g = plan.granularity
    a = laplace_mechanism(np.zeros(20000), 1.0, 1.0, rng=rng, changed_entries=1)
    b = laplace_mechanism(np.ones(20000), 1.0, 1.0, rng=rng, changed_entries=1)
    for out in (a, b):
        steps = out / g
        assert np.array_equal(steps, np.round(steps))
        residues = np.bincount((steps % 64).astype(int), minlength=64)
        lo, hi = stats.binom.ppf(ALPHA / 256, out.size, 1 / 64), \
            stats.binom.isf(ALPHA / 256, out.size, 1 / 64)
        assert residues.min() >= lo and residues.max() <= hi  # every residue, uniformly


def test_huge_values_stay_on_the_lattice():
    g = 2.0**-12
    out = laplace_mechanism(np.full(100, 2.0**70), 1.0, 1.0, rng=3, granularity=g,
                            changed_entries=1)
    assert np.array_equal(out / g, np.round(out / g))


def test_scalar_in_scalar_out_and_shapes():
    out = laplace_mechanism(3.0, 1.0, 1.0, rng=4)
    assert isinstance(out, float)
    assert isinstance(gaussian_mechanism(np.float64(3.0), 1.0, 1.0, 1e-6, rng=4), float)
    arr = laplace_mechanism(np.zeros((3, 4)), 1.0, 1.0, rng=4)
    assert arr.shape == (3, 4) and arr.dtype == np.float64
    assert laplace_mechanism([], 1.0, 1.0, rng=4).shape == (0,)


def test_seeded_runs_reproduce_and_default_is_secure():
    a = laplace_mechanism(np.zeros(10), 1.0, 1.0, rng=5)
    assert np.array_equal(a, laplace_mechanism(np.zeros(10), 1.0, 1.0, rng=5))
    secure = laplace_mechanism(np.zeros(1000), 1.0, 1.0)
    assert np.unique(secure).size == 1000
    assert isinstance(gaussian_mechanism(1.0, 1.0, 0.5, 1e-6), float)


def test_effective_sensitivity_accounts_for_rounding():
    plan = laplace_noise_plan(1.0, 1.0, changed_entries=1, granularity=0.25)
    assert plan.effective_sensitivity == 1.25  # ⌊1/0.25⌋ + 1 steps
    assert plan.lattice_scale == 5.0 and plan.scale == 1.25
    plan = laplace_noise_plan(1.0, 2.0, changed_entries=10, granularity=0.25)
    assert plan.effective_sensitivity == 0.25 * (4 + 10)
    assert plan.lattice_scale * 2.0 >= 14
    # default: 2^-20 relative per changed entry, whatever the number of entries
    for m in (1, 1000, 10**6):
        p = laplace_noise_plan(3.0, 0.5, changed_entries=m)
        assert 1.0 <= p.effective_sensitivity / 3.0 <= 1.0 + 2.0**-19
        assert p.variance == pytest.approx(laplace_mse(3.0, 0.5), rel=1e-5)
    g = gaussian_noise_plan(1.0, 1.0, 1e-5, changed_entries=100, granularity=2.0**-6)
    assert g.effective_sensitivity >= 1.0 + 10 * 2.0**-6
    assert g.scale == pytest.approx(analytic_gaussian_sigma(g.effective_sensitivity, 1.0, 1e-5))


def test_coarse_granularity_warns():
    with pytest.warns(UserWarning, match="effective sensitivity"):
        laplace_mechanism(np.zeros(1000), 1.0, 1.0, rng=6, granularity=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        laplace_mechanism(np.zeros(1000), 1.0, 1.0, rng=6, granularity=2.0**-20,
                          changed_entries=1)


@pytest.mark.parametrize("mechanism", ["laplace", "gaussian"])
def test_release_is_unbiased_with_the_plan_variance(mechanism):
    n, x = 200_000, 17.3
    rng = np.random.default_rng(7)
    if mechanism == "laplace":
        plan = laplace_noise_plan(2.0, 0.7, 1)
        out = laplace_mechanism(np.full(n, x), 2.0, 0.7, rng=rng, changed_entries=1)
        fourth = 6.0 * plan.variance**2  # Laplace kurtosis 6 (discrete: same to 1e-12)
    else:
        plan = gaussian_noise_plan(2.0, 0.7, 1e-6, 1)
        out = gaussian_mechanism(np.full(n, x), 2.0, 0.7, 1e-6, rng=rng, changed_entries=1)
        fourth = 3.0 * plan.variance**2
    rounded = round(x / plan.granularity) * plan.granularity
    err = out - rounded
    zb = z_bound(2)
    assert abs(err.mean()) <= zb * math.sqrt(plan.variance / n)
    assert abs((err**2).mean() - plan.variance) <= zb * math.sqrt((fourth - plan.variance**2) / n)


# --------------------------------------------------------------------------- calibration
def _independent_sigma(sens, eps, delta):
    """Balle–Wang condition with plain normal CDFs, solved by brentq (independent code)."""
    def excess(sigma):
        a = sens / (2 * sigma) - eps * sigma / sens
        b = -sens / (2 * sigma) - eps * sigma / sens
        return stats.norm.cdf(a) - math.exp(eps) * stats.norm.cdf(b) - delta
    hi = 1.0
    while excess(hi) > 0:
        hi *= 2
    lo = hi / 2
    while excess(lo) < 0:
        lo /= 2
    return optimize.brentq(excess, lo, hi, xtol=1e-14, rtol=1e-14)


EPSILONS = [1e-3, 0.01, 0.1, 0.5, 0.99, 1.0, 2.0, 5.0, 10.0, 50.0]


@pytest.mark.parametrize("delta", [1e-3, 1e-6, 1e-10])
def test_analytic_sigma_meets_the_balle_wang_condition(delta):
    for eps in EPSILONS:
        for sens in (1.0, 37.5):
            sigma = analytic_gaussian_sigma(sens, eps, delta)
            assert abs(gaussian_delta(sigma, sens, eps) - delta) <= 1e-9 * delta
            assert gaussian_delta(sigma, sens, eps) <= delta * (1 + 1e-12)
            if eps < 1:
                assert sigma <= classic_gaussian_sigma(sens, eps, delta)
            assert sigma == pytest.approx(sens * analytic_gaussian_sigma(1.0, eps, delta),
                                          rel=1e-12)


def test_analytic_sigma_matches_an_independent_solver():
    for eps in [1e-3, 0.1, 1.0, 3.0, 10.0]:
        for delta in [1e-3, 1e-5, 1e-8]:
            assert analytic_gaussian_sigma(1.0, eps, delta) == pytest.approx(
                _independent_sigma(1.0, eps, delta), rel=1e-8)


def test_analytic_sigma_matches_dp_accounting():
    from dp_accounting.pld import common, privacy_loss_mechanism as plm

    for eps, delta in [(0.1, 1e-5), (1.0, 1e-5), (4.0, 1e-7), (20.0, 1e-6)]:
        ours = analytic_gaussian_sigma(2.0, eps, delta)
        # their δ at our σ: their exact hockey-stick divergence of the Gaussian mechanism
        theirs = plm.GaussianPrivacyLoss(ours, sensitivity=2.0).get_delta_for_epsilon(eps)
        assert theirs == pytest.approx(delta, rel=1e-6)
        calibrated = plm.GaussianPrivacyLoss.from_privacy_guarantee(
            common.DifferentialPrivacyParameters(eps, delta), sensitivity=2.0
        ).standard_deviation
        assert calibrated == pytest.approx(ours, rel=1e-5)


def test_classic_sigma_formula_and_its_limits():
    assert classic_gaussian_sigma(2.0, 0.5, 1e-5) == pytest.approx(
        2.0 * math.sqrt(2 * math.log(1.25e5)) / 0.5)
    for eps in (1.0, 3.0):
        with pytest.raises(ValueError, match="analytic"):
            classic_gaussian_sigma(1.0, eps, 1e-5)
        with pytest.raises(ValueError, match="analytic"):
            gaussian_mechanism(0.0, 1.0, eps, 1e-5, analytic=False)
    plan = gaussian_noise_plan(1.0, 0.5, 1e-5, analytic=False)
    assert plan.scale == pytest.approx(classic_gaussian_sigma(1.0, 0.5, 1e-5), rel=1e-5)


def test_discrete_gaussian_delta_matches_the_target():
    # exact (ε, δ) of the *discrete* Gaussian on the integer lattice (sum of the hockey-stick
    # divergence over the support), for a lattice coarse enough to sum: close to the target,
    # with a relative gap shrinking like 1/σ² (negligible on the default lattice, σ ≥ 2^20)
    gaps = []
    for g in (2.0**-6, 2.0**-9):
        plan = gaussian_noise_plan(1.0, 1.0, 1e-5, granularity=g)
        shift = math.floor(1.0 / g) + 1
        sigma = plan.lattice_scale
        k = np.arange(-int(45 * sigma), int(45 * sigma) + shift + 1)
        p = dp.discrete_gaussian_pmf(k, sigma)
        q = dp.discrete_gaussian_pmf(k - shift, sigma)
        delta = np.maximum(p - math.e * q, 0.0).sum()
        gaps.append(abs(delta / 1e-5 - 1))
    assert gaps[0] < 1e-3 and gaps[1] < gaps[0] / 20


def test_error_helpers():
    assert laplace_mse(2.0, 0.5) == 32.0
    assert gaussian_mse(1.0, 1.0, 1e-5) == pytest.approx(analytic_gaussian_sigma(1, 1, 1e-5) ** 2)
    assert clipped_sum_sensitivity(-3.0, 2.0) == 3.0
    assert clipped_sum_sensitivity(10.0, 50.0) == 50.0
    assert clipped_sum_sensitivity(10.0, 50.0, neighbouring="replace") == 40.0
    with pytest.raises(ValueError, match="neighbouring"):
        clipped_sum_sensitivity(0.0, 1.0, neighbouring="swap")


# --------------------------------------------------------------------------- DP mean
def test_dp_mean_result_and_budget_split():
    values = np.random.default_rng(8).uniform(0, 100, 500)
    res = dp_mean(values, 0, 100, 1.0, sum_fraction=0.3, rng=8)
    assert isinstance(res, DPMeanResult)
    assert res.epsilon_sum == pytest.approx(0.3) and res.epsilon_sum + res.epsilon_count <= 1.0
    assert isinstance(res.noisy_count, int) and isinstance(res.noisy_sum, float)
    assert res.estimate == res.noisy_sum / max(res.noisy_count, 1)
    plan = dp_mean_plan(0, 100, 1.0, 0.3)
    assert plan.sensitivity == 100.0
    assert plan.sum_variance == pytest.approx(laplace_mse(100.0, 0.3), rel=1e-5)
    assert plan.count_scale * plan.epsilon_count >= 1.0  # scale 1/ε_count, rounded up
    assert plan.count_variance == discrete_laplace_variance(plan.count_scale)


def test_dp_mean_unbiased_up_to_the_ratio_bias_and_clipping():
    rng = np.random.default_rng(9)
    values = np.concatenate([rng.uniform(0, 10, 190), np.full(10, 25.0)])  # 10 get clipped
    lower, upper, eps, reps = 0.0, 10.0, 1.0, 200_000
    res = dp_mean(values, lower, upper, eps, rng=rng, repeats=reps)
    plan = dp_mean_plan(lower, upper, eps)
    clipped = np.clip(values, lower, upper).mean()
    n = values.size
    ratio_bias = clipped * plan.count_variance / n**2  # second-order delta method
    sd = math.sqrt((plan.sum_variance + clipped**2 * plan.count_variance) / n**2)
    # neglected third-order terms are < 1e-5 here
    assert abs(res.estimate.mean() - (clipped + ratio_bias)) <= z_bound(2) * sd / math.sqrt(reps) + 1e-5
    # the count is unbiased
    assert abs(res.noisy_count.mean() - n) <= z_bound(2) * math.sqrt(plan.count_variance / reps)


@pytest.mark.parametrize("n, eps, bounds", [(1000, 1.0, (0.0, 100.0)), (300, 0.3, (-5.0, 20.0))])
def test_dp_mean_mse_matches_the_delta_method(n, eps, bounds):
    rng = np.random.default_rng(10)
    values = rng.normal(40.0, 30.0, n) if bounds[1] == 100.0 else rng.normal(3.0, 6.0, n)
    truth = values.mean()
    res = dp_mean(values, *bounds, eps, rng=rng, repeats=200_000)
    theory = dp_mean_mse(n, truth, *bounds, eps, true_values=values)
    plan = dp_mean_plan(*bounds, eps)
    # neglected terms have relative size ≈ a few σ_C²/n²
    extra = theory * 10 * plan.count_variance / n**2
    assert mean_sq_within(res.estimate - truth, theory, extra)


def test_dp_mean_mse_without_values_and_its_checks():
    plan = dp_mean_plan(0, 10, 1.0)
    assert dp_mean_mse(100, 5.0, 0, 10, 1.0) == pytest.approx(
        (plan.sum_variance + 25 * plan.count_variance) / 100**2)
    with pytest.raises(ValueError, match="true_values"):
        dp_mean_mse(100, 12.0, 0, 10, 1.0)
    with pytest.raises(ValueError, match="n=3"):
        dp_mean_mse(3, 1.0, 0, 10, 1.0, true_values=[1.0, 2.0])
    # clipping bias enters squared
    vals = np.array([0.0, 20.0])
    assert dp_mean_mse(2, 10.0, 0, 10, 1.0, true_values=vals) > 25.0


def test_dp_mean_on_empty_data_is_still_a_release_and_warns_the_curator():
    from pets_helpers.dp import EmptyDataWarning

    with pytest.warns(EmptyDataWarning, match="no records"):
        res = dp_mean([], 0, 1, 1.0, rng=11)
    assert math.isfinite(res.estimate)
    empty = pd.DataFrame({"g": pd.Series([], dtype=object), "x": pd.Series([], dtype=float)})
    with pytest.warns(EmptyDataWarning, match="frame is empty"):
        table = dp_grouped_mean(empty, "g", "x", 0, 1, 1.0, rng=11, groups=["a", "b"])
    assert list(table.index) == ["a", "b"] and np.isfinite(table["estimate"]).all()


# --------------------------------------------------------------------------- grouped mean
@pytest.fixture()
def census():
    rng = np.random.default_rng(12)
    return pd.DataFrame({
        "area": rng.choice(["north", "south", "east"], 3000),
        "income": rng.gamma(2.0, 20000.0, 3000),
    })


def test_grouped_mean_releases_every_public_group(census):
    groups = ["north", "south", "east", "west"]  # "west" has no rows
    out = dp_grouped_mean(census, "area", "income", 0, 150000, 1.0, rng=13, groups=groups)
    assert list(out.index) == groups and out.index.name == "area"
    assert list(out.columns) == ["estimate", "noisy_sum", "noisy_count"]
    assert out.attrs["epsilon"] == 1.0 and "parallel" in out.attrs["privacy_unit"]
    assert np.isfinite(out["estimate"]).all()
    west = out.loc["west"]
    # an empty group's count is pure noise: |noise| ≤ quantile of DLap(2) at ALPHA
    assert abs(west["noisy_count"]) <= 2 * math.log(1 / ALPHA)
    truth = census.groupby("area")["income"].apply(lambda s: s.clip(0, 150000).mean())
    for g in ["north", "south", "east"]:
        assert out.loc[g, "estimate"] == pytest.approx(truth[g], rel=0.05)


def test_grouped_mean_changes_only_the_group_of_the_changed_row(census):
    groups = ["north", "south", "east", "west"]
    extra = pd.concat([census, pd.DataFrame({"area": ["south"], "income": [90000.0]})])
    a = dp_grouped_mean(census, "area", "income", 0, 150000, 1.0, rng=14, groups=groups)
    b = dp_grouped_mean(extra, "area", "income", 0, 150000, 1.0, rng=14, groups=groups)
    differs = (a != b).any(axis=1)
    assert list(differs[differs].index) == ["south"]  # same noise elsewhere: parallel comp.
    assert b.loc["south", "noisy_count"] - a.loc["south", "noisy_count"] == 1


def test_grouped_mean_group_sources(census):
    with pytest.warns(UserWarning, match="groups"):
        out = dp_grouped_mean(census, "area", "income", 0, 150000, 1.0, rng=15)
    assert sorted(out.index) == ["east", "north", "south"]
    cat = census.assign(area=pd.Categorical(census["area"],
                                            categories=["north", "south", "east", "west"]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = dp_grouped_mean(cat, "area", "income", 0, 150000, 1.0, rng=15)
    assert list(out.index) == ["north", "south", "east", "west"]
    # rows of unlisted groups are ignored
    out = dp_grouped_mean(census, "area", "income", 0, 150000, 1.0, rng=15, groups=["north"])
    assert list(out.index) == ["north"]
    with pytest.warns(UserWarning, match="no row"):
        dp_grouped_mean(census, "area", "income", 0, 150000, 1.0, rng=15, groups=["North"])


def test_grouped_mean_validation(census):
    with pytest.raises(KeyError, match="salary"):
        dp_grouped_mean(census, "area", "salary", 0, 1, 1.0, groups=["north"])
    with pytest.raises(ValueError, match="more than once"):
        dp_grouped_mean(census, "area", "income", 0, 1, 1.0, groups=["north", "north"])
    with pytest.raises(ValueError, match="empty"):
        dp_grouped_mean(census, "area", "income", 0, 1, 1.0, groups=[])
    bad = census.copy()
    bad.loc[5, "income"] = np.nan
    with pytest.raises(ValueError, match="nan at position 5"):
        dp_grouped_mean(bad, "area", "income", 0, 1, 1.0, groups=["north"])
    with pytest.raises(TypeError, match="DataFrame"):
        dp_grouped_mean(census.to_dict(), "area", "income", 0, 1, 1.0, groups=["north"])


# --------------------------------------------------------------------------- histogram
def test_histogram_counts_and_noise():
    cats = ["a", "b", "c", "d"]
    values = np.array(["a"] * 500 + ["b"] * 300 + ["c"] * 200)
    h = dp_histogram(values, cats, 1.0, rng=16)
    assert list(h.index) == cats and h.dtype == np.int64 and h.name == "noisy_count"
    truth = np.array([500, 300, 200, 0])
    assert np.all(np.abs(h.to_numpy() - truth) <= math.log(4 / ALPHA))  # DLap(1) tails
    # many releases: the noise has the exact discrete Laplace variance 2e^-ε/(1-e^-ε)²
    reps = np.array([dp_histogram(values, cats, 2.0, rng=s).to_numpy() for s in range(300)])
    assert np.all(np.abs(reps.mean(0) - truth) <= z_bound(4) * math.sqrt(
        discrete_laplace_variance(0.5) / 300))


def test_histogram_validation():
    with pytest.raises(ValueError, match="'z' is not one of the categories"):
        dp_histogram(["a", "z"], ["a", "b"], 1.0)
    with pytest.raises(ValueError, match="missing value at position 1"):
        dp_histogram(["a", None], ["a", "b"], 1.0)
    with pytest.raises(ValueError, match="missing value at position 0"):
        dp_histogram([np.nan, 1.0], [1.0, 2.0], 1.0)
    with pytest.raises(ValueError, match="more than once"):
        dp_histogram(["a"], ["a", "a"], 1.0)
    with pytest.raises(ValueError, match="1-D"):
        dp_histogram(np.zeros((2, 2)), [0.0], 1.0)
    with pytest.raises(TypeError, match="categories"):
        dp_histogram(["a"], "abc", 1.0)


# --------------------------------------------------------------------------- validation
BAD_EPSILONS = [0, -1.0, float("nan"), float("inf")]


@pytest.mark.parametrize("eps", BAD_EPSILONS)
def test_bad_epsilon_everywhere(eps):
    calls = [
        lambda: laplace_mechanism(1.0, 1.0, eps),
        lambda: gaussian_mechanism(1.0, 1.0, eps, 1e-6),
        lambda: analytic_gaussian_sigma(1.0, eps, 1e-6),
        lambda: dp_mean([1.0], 0, 1, eps),
        lambda: dp_histogram(["a"], ["a"], eps),
        lambda: dp_grouped_mean(pd.DataFrame({"g": ["a"], "v": [1.0]}), "g", "v", 0, 1, eps,
                                groups=["a"]),
        lambda: laplace_mse(1.0, eps),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="epsilon"):
            call()


@pytest.mark.parametrize("delta", [-0.1, 1.0, 1.5, float("nan"), 0.0])
def test_bad_delta_for_gaussian(delta):
    with pytest.raises(ValueError, match="delta"):
        gaussian_mechanism(1.0, 1.0, 1.0, delta)
    with pytest.raises(ValueError, match="delta"):
        analytic_gaussian_sigma(1.0, 1.0, delta)


@pytest.mark.parametrize("sens", [0, -2.0, float("nan"), float("inf")])
def test_bad_sensitivity(sens):
    with pytest.raises(ValueError, match="sensitivity"):
        laplace_mechanism(1.0, sens, 1.0)
    with pytest.raises(ValueError, match="sensitivity"):
        gaussian_mechanism(1.0, sens, 1.0, 1e-6)


@pytest.mark.parametrize("g", [0.3, 3.0, 0.0, -0.25, float("nan")])
def test_granularity_must_be_a_power_of_two(g):
    with pytest.raises(ValueError, match="granularity"):
        laplace_mechanism(1.0, 1.0, 1.0, granularity=g)
    with pytest.raises(ValueError, match="granularity"):
        gaussian_mechanism(1.0, 1.0, 1.0, 1e-6, granularity=g)


def test_nan_and_reversed_bounds():
    with pytest.raises(ValueError, match="nan at position 2"):
        laplace_mechanism([1.0, 2.0, np.nan], 1.0, 1.0)
    with pytest.raises(ValueError, match="inf"):
        gaussian_mechanism([np.inf], 1.0, 1.0, 1e-6)
    with pytest.raises(ValueError, match="nan at position 1"):
        dp_mean([1.0, np.nan], 0, 1, 1.0)
    with pytest.raises(ValueError, match="swap"):
        dp_mean([1.0], 5, 1, 1.0)
    with pytest.raises(ValueError, match="empty"):
        dp_mean([1.0], 1, 1, 1.0)
    with pytest.raises(ValueError, match="swap"):
        clipped_sum_sensitivity(2.0, -2.0)
    with pytest.raises(TypeError, match="numbers"):
        laplace_mechanism(np.array(["a"], dtype=object), 1.0, 1.0)
    for frac in (0, 1, 1.5, -0.2):
        with pytest.raises(ValueError, match="sum_fraction"):
            dp_mean([1.0], 0, 1, 1.0, sum_fraction=frac)
    with pytest.raises(ValueError, match="changed_entries"):
        laplace_mechanism([1.0], 1.0, 1.0, changed_entries=0)
