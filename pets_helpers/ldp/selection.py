"""Choosing a frequency oracle for given ε and domain size d.

Approximate variances (Wang et al., USENIX Security 2017), per user (multiply by 1/n):
    GRR:       (e^ε + d - 2) / (e^ε - 1)²      — grows with d
    OUE, OLH:  4e^ε / (e^ε - 1)²               — independent of d (OLH: exactly so when e^ε+1
                                                   is an integer, slightly more otherwise)

GRR is smaller exactly when d < 3e^ε + 2. Otherwise OUE and OLH tie (up to OLH's rounding of
g), and the cheaper report wins: OUE sends d bits, OLH a 128-bit hash seed plus ⌈log2 g⌉
bits for the bucket. So:

    best_oracle = "GRR" if d < 3e^ε + 2, else "OUE" if d ≤ 128 + ⌈log2 g⌉, else "OLH".
"""

from __future__ import annotations

import math

from ..validation import check_epsilon, check_positive_int
from .olh import OptimizedLocalHashing

OLH_SEED_BITS = 128


def oracle_variances(epsilon, domain_size) -> dict[str, float]:
    """Approximate per-user variance (n = 1, averaged over items) of GRR, OUE and OLH at (ε, d)."""
    from .grr import GeneralizedRR
    from .oue import OptimizedUnaryEncoding

    oracles = {"GRR": GeneralizedRR, "OUE": OptimizedUnaryEncoding, "OLH": OptimizedLocalHashing}
    return {name: float(cls(epsilon, domain_size).variance(1).mean())
            for name, cls in oracles.items()}


def olh_report_bits(epsilon) -> int:
    """Size of one OLH report in bits: the 128-bit hash seed plus ⌈log2 g⌉ bucket bits."""
    g = OptimizedLocalHashing(epsilon, 2).g
    return OLH_SEED_BITS + math.ceil(math.log2(g))


def best_oracle(epsilon, domain_size) -> str:
    """"GRR", "OUE" or "OLH": smallest approximate variance, ties broken by report size
    (see the module docstring for the rule)."""
    epsilon = check_epsilon(epsilon)
    d = check_positive_int(domain_size, "domain_size", minimum=2)
    if d < 3 * math.exp(epsilon) + 2:
        return "GRR"
    return "OUE" if d <= olh_report_bits(epsilon) else "OLH"
