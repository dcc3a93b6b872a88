"""Composition, zCDP and privacy-budget accounting (Lesson 03).

- Composition theorems for (ε, δ)-DP: :func:`sequential_composition`,
  :func:`parallel_composition`, :func:`advanced_composition`, :func:`best_composition`.
- zCDP (Bun & Steinke 2016) for Gaussian noise: :func:`gaussian_rho`, :func:`laplace_rho`,
  :func:`compose_rho`, :func:`rho_to_epsilon` (Canonne–Kamath–Steinke 2020),
  :func:`rho_to_epsilon_simple`, :func:`epsilon_to_rho`.
- Accountants that refuse to overspend: :class:`PrivacyAccountant` ((ε, δ), sequential and
  parallel composition) and :class:`ZCDPAccountant` (ρ), raising :class:`BudgetExceeded`.
- Budget design for a dashboard of Laplace queries: :func:`allocate_budget`,
  :func:`laplace_epsilon_for_error`, :func:`laplace_epsilon_for_std`.

ε is in nats throughout, and every guarantee is for the privacy unit of the releases it
composes (e.g. one person).
"""

from .accountant import (
    REL_TOL,
    BudgetExceeded,
    LedgerEntry,
    PrivacyAccountant,
    ZCDPAccountant,
    ZCDPEntry,
)
from .allocation import (
    BudgetAllocation,
    DashboardQuery,
    InfeasibleBudget,
    allocate_budget,
    laplace_epsilon_for_error,
    laplace_epsilon_for_std,
)
from .composition import (
    CompositionBound,
    advanced_composition,
    best_composition,
    parallel_composition,
    sequential_composition,
)
from .zcdp import (
    compose_rho,
    epsilon_to_rho,
    gaussian_rho,
    gaussian_sigma_for_rho,
    laplace_rho,
    rho_to_epsilon,
    rho_to_epsilon_simple,
)

__all__ = [
    "REL_TOL",
    "BudgetAllocation",
    "BudgetExceeded",
    "CompositionBound",
    "DashboardQuery",
    "InfeasibleBudget",
    "LedgerEntry",
    "PrivacyAccountant",
    "ZCDPAccountant",
    "ZCDPEntry",
    "advanced_composition",
    "allocate_budget",
    "best_composition",
    "compose_rho",
    "epsilon_to_rho",
    "gaussian_rho",
    "gaussian_sigma_for_rho",
    "laplace_epsilon_for_error",
    "laplace_epsilon_for_std",
    "laplace_rho",
    "parallel_composition",
    "rho_to_epsilon",
    "rho_to_epsilon_simple",
    "sequential_composition",
]
