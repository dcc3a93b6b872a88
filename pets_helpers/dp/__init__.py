"""Central differential privacy: Laplace and Gaussian mechanisms, DP mean, grouped mean, histogram.

Every release here is safe on a real computer, not only on paper: noise is an *exact* integer
draw (discrete Laplace, discrete Gaussian; :mod:`.samplers`) added to a value rounded to a
power-of-two lattice, so the outputs lie exactly on the lattice and their distribution is the
one the privacy proof is about (no floating-point attack à la Mironov 2012). Randomness is
cryptographically secure unless a seed or numpy Generator is passed (``rng=``).

Privacy unit: one record, with add/remove-one neighbouring datasets, unless stated otherwise.

- Samplers: :func:`discrete_laplace`, :func:`discrete_gaussian` and their exact variances.
- Calibration: :func:`clipped_sum_sensitivity`, :func:`analytic_gaussian_sigma`
  (Balle & Wang 2018), :func:`classic_gaussian_sigma`, :func:`gaussian_delta`,
  :func:`laplace_mse`, :func:`gaussian_mse`.
- Mechanisms: :func:`laplace_mechanism` (ε-DP, L1 sensitivity), :func:`gaussian_mechanism`
  ((ε, δ)-DP, L2 sensitivity); :func:`laplace_noise_plan` / :func:`gaussian_noise_plan` show
  the lattice, effective sensitivity and exact noise variance they use.
- Statistics: :func:`dp_mean` (noisy clipped sum / noisy count, explicit budget split),
  :func:`dp_mean_mse` (delta method), :func:`dp_grouped_mean` (parallel composition over
  public groups), :func:`dp_histogram` (public categories).
"""

from .calibration import (
    analytic_gaussian_sigma,
    classic_gaussian_sigma,
    clipped_sum_sensitivity,
    gaussian_calibration,
    gaussian_delta,
    gaussian_mse,
    gaussian_sigma,
    laplace_mse,
)
from .mechanisms import (
    LatticeNoise,
    check_granularity,
    gaussian_mechanism,
    gaussian_noise_plan,
    laplace_mechanism,
    laplace_noise_plan,
)
from .samplers import (
    discrete_gaussian,
    discrete_gaussian_pmf,
    discrete_gaussian_variance,
    discrete_laplace,
    discrete_laplace_pmf,
    discrete_laplace_variance,
)
from .statistics import (
    DPMeanPlan,
    DPMeanResult,
    EmptyDataWarning,
    dp_grouped_mean,
    dp_histogram,
    dp_mean,
    dp_mean_mse,
    dp_mean_plan,
)

__all__ = [
    "DPMeanPlan",
    "DPMeanResult",
    "EmptyDataWarning",
    "LatticeNoise",
    "analytic_gaussian_sigma",
    "check_granularity",
    "classic_gaussian_sigma",
    "clipped_sum_sensitivity",
    "discrete_gaussian",
    "discrete_gaussian_pmf",
    "discrete_gaussian_variance",
    "discrete_laplace",
    "discrete_laplace_pmf",
    "discrete_laplace_variance",
    "dp_grouped_mean",
    "dp_histogram",
    "dp_mean",
    "dp_mean_mse",
    "dp_mean_plan",
    "gaussian_calibration",
    "gaussian_delta",
    "gaussian_mechanism",
    "gaussian_mse",
    "gaussian_noise_plan",
    "gaussian_sigma",
    "laplace_mechanism",
    "laplace_mse",
    "laplace_noise_plan",
]
