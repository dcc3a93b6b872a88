"""Local differential privacy: randomized response and frequency oracles, vectorized in numpy.

Every mechanism here is ε-LDP with the privacy unit "one user's one report", draws its
randomness from a cryptographically secure generator unless given a seed (``rng=``), and
comes with unbiased estimators and their exact or literature variances.

- Warner's randomized response for one bit: :func:`randomized_response`, :func:`rr_estimate`,
  :func:`rr_variance`.
- Frequency oracles over {0, …, d-1} (``ORACLES``): :class:`GeneralizedRR`,
  :class:`OptimizedUnaryEncoding`, :class:`OptimizedLocalHashing`, :class:`BloomRAPPOR`;
  :func:`best_oracle` picks one.
- :func:`verify_ldp` / :func:`verify_oracle_ldp` verify ε-LDP exactly on small domains.
"""

from .base import FrequencyOracle
from .grr import GeneralizedRR
from .olh import OLHReports, OptimizedLocalHashing
from .oue import OptimizedUnaryEncoding
from .randomized_response import (
    randomized_response,
    rr_estimate,
    rr_keep_probability,
    rr_report_probability,
    rr_variance,
)
from .rappor import BloomRAPPOR
from .selection import best_oracle, olh_report_bits, oracle_variances
from .verify import LDPVerdict, verify_ldp, verify_oracle_ldp

ORACLES = {
    "GRR": GeneralizedRR,
    "OUE": OptimizedUnaryEncoding,
    "OLH": OptimizedLocalHashing,
    "RAPPOR": BloomRAPPOR,
}

__all__ = [
    "ORACLES",
    "BloomRAPPOR",
    "FrequencyOracle",
    "GeneralizedRR",
    "LDPVerdict",
    "OLHReports",
    "OptimizedLocalHashing",
    "OptimizedUnaryEncoding",
    "best_oracle",
    "verify_ldp",
    "verify_oracle_ldp",
    "olh_report_bits",
    "oracle_variances",
    "randomized_response",
    "rr_estimate",
    "rr_keep_probability",
    "rr_report_probability",
    "rr_variance",
]
