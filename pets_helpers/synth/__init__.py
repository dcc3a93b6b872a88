"""Synthetic tables (Lesson 09): SDV synthesizers, a DP synthesizer, and the attacks that tell
them apart.

- :mod:`.domain`: public column domains (:class:`Categorical`, :class:`Binned`) — a DP
  synthesizer never reads its domain off the data.
- :mod:`.marginals`: exact and ε-DP marginals, mutual information, maximum spanning trees.
- :mod:`.mst`: :class:`DPTreeSynthesizer`, an MST-style ε-DP synthesizer (privacy unit: one
  person) accounted by the course's :class:`~pets_helpers.accounting.PrivacyAccountant`.
- :mod:`.sdv_models`: SDV 2.0 GaussianCopula and CTGAN, SDMetrics reports with every pair scored.
- :mod:`.privacy`: distance to closest record against a real holdout, distance-based membership
  inference, and a copying "synthesizer" that fails both.
- :mod:`.census_table`: Lesson 09's person-level census table and its public domain.
- :mod:`.plots`: column, pair and privacy–utility plots.

SDV and SDMetrics are imported only when their functions are called.
"""

from .domain import Binned, Categorical, check_domain, encode_table
from .marginals import (
    fit_margins,
    marginal_counts,
    maximum_spanning_tree,
    mutual_information,
    noisy_marginal,
    project_to_simplex,
)
from .mst import PRIVACY_UNIT, DPTreeSynthesizer
from .privacy import (
    DCRComparison,
    GowerEncoder,
    MembershipResult,
    closer_to_train_share,
    copy_synthesizer,
    dcr_comparison,
    distance_membership_attack,
    nearest_distances,
)

__all__ = [
    "PRIVACY_UNIT",
    "Binned",
    "Categorical",
    "DCRComparison",
    "DPTreeSynthesizer",
    "GowerEncoder",
    "MembershipResult",
    "check_domain",
    "closer_to_train_share",
    "copy_synthesizer",
    "dcr_comparison",
    "distance_membership_attack",
    "encode_table",
    "fit_margins",
    "marginal_counts",
    "maximum_spanning_tree",
    "mutual_information",
    "nearest_distances",
    "noisy_marginal",
    "project_to_simplex",
]
