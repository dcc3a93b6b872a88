"""DP-FedAvg (McMahan et al., ICLR 2018) with central Gaussian noise and zCDP accounting.

Each round every client's model update Δ_k = (local model − global model) is clipped to L2 norm
≤ C (``clip_norm``); the server adds Gaussian noise of standard deviation σ = z·C (z, the
``noise_multiplier``) to the *sum* of the clipped updates and divides by the (public) number of
clients n. Noise is drawn with the course's exact discrete Gaussian on a power-of-two lattice
(:mod:`pets_helpers.dp`), so the release is safe on a real computer; rounding to the lattice
raises the sensitivity to C + g·√m (m parameters, g the lattice step ≈ 2^-20·C/√m), which the
accounting includes.

Privacy unit: **one client** (a whole hospital) under add/remove-one-client neighbouring: the sum
of clipped updates changes by at most C in L2 when one client's data is added or removed, so
every round is ρ = C_eff²/(2σ²)-zCDP, and T rounds with every client taking part compose to
T·ρ (no subsampling amplification is claimed). :func:`dp_fedavg_epsilon` converts to (ε, δ) with
the Canonne–Kamath–Steinke conversion (:class:`pets_helpers.accounting.ZCDPAccountant`). This
protects the hospital's participation, hence each of its patients too; it does *not* say how
much one patient moves the hospital's own update (that is DP-SGD's record-level ε).

Model parameters are lists of numpy arrays (as in :mod:`pets_helpers.fl`); :func:`flatten` and
:func:`unflatten` turn them into one vector. Malformed updates (NaN/inf, wrong shapes or number
of arrays) are refused with one clear error: one bad client must not poison the noisy sum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..accounting import ZCDPAccountant, gaussian_rho, rho_to_epsilon
from ..dp.mechanisms import _release_on_lattice, default_granularity
from ..dp.samplers import discrete_gaussian
from ..validation import check_positive, check_positive_delta, check_positive_int


def _shapes(params) -> list[tuple[int, ...]]:
    return [tuple(np.shape(p)) for p in params]


def flatten(params, shapes=None, name: str = "update") -> np.ndarray:
    """One float64 vector from a list of arrays, checked against ``shapes`` (if given)."""
    if isinstance(params, np.ndarray):
        params = [params]
    if not isinstance(params, (list, tuple)) or not params:
        raise TypeError(f"{name} must be a non-empty list of numpy arrays (one per layer), got "
                        f"{type(params).__name__}.")
    arrays = []
    for i, p in enumerate(params):
        a = np.asarray(p)
        if a.dtype.kind not in "biuf":
            raise TypeError(f"{name}[{i}] must hold real numbers, got dtype {a.dtype}.")
        arrays.append(a.astype(np.float64, copy=False))
    if shapes is not None:
        got = _shapes(arrays)
        want = [tuple(s) for s in shapes]
        if got != want:
            raise ValueError(f"{name} has layer shapes {got}, expected {want}: every client must "
                             f"send an update of the global model's shape.")
    flat = np.concatenate([a.ravel() for a in arrays])
    bad = ~np.isfinite(flat)
    if bad.any():
        raise ValueError(f"{name} contains {flat[bad][0]} at flat position "
                         f"{int(np.flatnonzero(bad)[0])}: NaN/inf updates are refused (a "
                         f"diverged client must be fixed or left out, not averaged in).")
    return flat


def unflatten(vector, shapes) -> list[np.ndarray]:
    """Inverse of :func:`flatten`."""
    vector = np.asarray(vector, dtype=np.float64)
    sizes = [int(np.prod(s)) for s in shapes]
    if vector.size != sum(sizes):
        raise ValueError(f"vector of size {vector.size} does not fit shapes {shapes}.")
    parts = np.split(vector, np.cumsum(sizes)[:-1])
    return [p.reshape(s) for p, s in zip(parts, shapes)]


def clip_update(update, clip_norm) -> tuple[np.ndarray, float]:
    """Scale a flat update to L2 norm ≤ ``clip_norm``: Δ·min(1, C/‖Δ‖). Returns (clipped, norm)."""
    clip_norm = check_positive(clip_norm, "clip_norm")
    vec = flatten([update]) if not isinstance(update, (list, tuple)) else flatten(update)
    norm = float(np.linalg.norm(vec))
    factor = min(1.0, clip_norm / norm) if norm > 0 else 1.0
    clipped = vec * factor
    over = float(np.linalg.norm(clipped))
    if over > clip_norm:  # rounding can leave it a few ulps above C
        clipped *= clip_norm / over * (1 - 1e-15)
    return clipped, norm


@dataclass(frozen=True)
class NoisePlan:
    """How one DP-FedAvg round is noised (noise on the sum; divide by n for the mean)."""

    clip_norm: float
    noise_multiplier: float
    n_params: int
    granularity: float
    effective_sensitivity: float
    sigma: float
    rho: float


def noise_plan(clip_norm, noise_multiplier, n_params) -> NoisePlan:
    """σ = z·C on a lattice of step g; ρ = C_eff²/(2σ²) per round, C_eff = C + g·√m."""
    clip_norm = check_positive(clip_norm, "clip_norm")
    z = check_positive(noise_multiplier, "noise_multiplier")
    m = check_positive_int(n_params, "n_params")
    sigma = z * clip_norm
    g = default_granularity(clip_norm, sigma, math.sqrt(m))
    effective = math.nextafter(clip_norm + g * math.sqrt(m), math.inf)
    return NoisePlan(clip_norm, z, m, g, effective, sigma, gaussian_rho(effective, sigma))


@dataclass
class DPRound:
    """One aggregated round: the noisy mean update and what it cost."""

    mean_update: list[np.ndarray]
    plan: NoisePlan
    n_clients: int
    clipped_fraction: float
    update_norms: np.ndarray


def dp_fedavg_aggregate(updates, clip_norm, noise_multiplier, rng=None, *, shapes=None,
                        n_clients=None) -> DPRound:
    """Clip every client's update to L2 ≤ C, sum, add N_ℤ-lattice Gaussian noise of std z·C to
    the sum, divide by n. ``updates``: one list of arrays per client (all of ``shapes``, default
    the first one's). ``n_clients``: the public denominator (default: len(updates)).
    ``rng``: None = cryptographically secure, or a seeded Generator/int for tests."""
    if not isinstance(updates, (list, tuple)) or not updates:
        raise TypeError("updates must be a non-empty list (one update per client).")
    if shapes is None:
        first = updates[0] if isinstance(updates[0], (list, tuple)) else [updates[0]]
        shapes = _shapes(first)
    flats = [flatten(u if isinstance(u, (list, tuple)) else [u], shapes, f"update of client {k}")
             for k, u in enumerate(updates)]
    n = len(flats) if n_clients is None else check_positive_int(n_clients, "n_clients")
    plan = noise_plan(clip_norm, noise_multiplier, flats[0].size)
    total = np.zeros(plan.n_params)
    norms = []
    for vec in flats:
        clipped, norm = clip_update(vec, plan.clip_norm)
        total += clipped
        norms.append(norm)
    noise = discrete_gaussian(plan.sigma / plan.granularity, total.shape, rng)
    noisy = _release_on_lattice(total, noise, plan.granularity, False)
    norms = np.array(norms)
    return DPRound(unflatten(noisy / n, shapes), plan, n,
                   float(np.mean(norms > plan.clip_norm)), norms)


def dp_fedavg_epsilon(noise_multiplier, rounds, delta, *, clip_norm=1.0, n_params=1) -> float:
    """(ε, δ) after ``rounds`` full-participation rounds; privacy unit one client.

    Spends every round on the course's :class:`~pets_helpers.accounting.ZCDPAccountant` and
    converts; ``n_params`` adds the (tiny) lattice rounding to the sensitivity.
    """
    rounds = check_positive_int(rounds, "rounds")
    delta = check_positive_delta(delta, "Gaussian noise never gives pure ε-DP; pick e.g. 1e-5.")
    plan = noise_plan(clip_norm, noise_multiplier, n_params)
    accountant = ZCDPAccountant(rounds * plan.rho * (1 + 1e-9))
    for r in range(rounds):
        accountant.spend_gaussian(plan.effective_sensitivity, plan.sigma, f"round {r + 1}")
    return accountant.epsilon(delta)


def noise_multiplier_for(epsilon, delta, rounds, *, n_params=1) -> float:
    """Smallest z (to 0.1 %) whose ``rounds`` rounds stay within (ε, δ) — for sweeps over ε."""
    from ..validation import check_epsilon

    epsilon = check_epsilon(epsilon)
    lo, hi = 1e-3, 1.0
    while dp_fedavg_epsilon(hi, rounds, delta, n_params=n_params) > epsilon:
        lo, hi = hi, 2 * hi
    while hi / lo > 1.001:
        mid = math.sqrt(lo * hi)
        if dp_fedavg_epsilon(mid, rounds, delta, n_params=n_params) > epsilon:
            lo = mid
        else:
            hi = mid
    return hi


def rounds_epsilon_curve(noise_multiplier, rounds, delta, n_params=1) -> np.ndarray:
    """ε after 1..``rounds`` rounds (one client as privacy unit), for a budget plot."""
    plan = noise_plan(1.0, noise_multiplier, n_params)
    return np.array([rho_to_epsilon(t * plan.rho, delta) for t in range(1, rounds + 1)])


__all__ = [
    "DPRound",
    "NoisePlan",
    "clip_update",
    "dp_fedavg_aggregate",
    "dp_fedavg_epsilon",
    "flatten",
    "noise_multiplier_for",
    "noise_plan",
    "rounds_epsilon_curve",
    "unflatten",
]
