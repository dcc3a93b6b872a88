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

Model parameters are lists of numpy arrays (:mod:`.task`). Malformed updates (NaN/inf, wrong
shapes or number of arrays) are refused with one clear error (:func:`.task.check_params`): one
bad client must not poison the noisy sum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..accounting import ZCDPAccountant, gaussian_rho, rho_to_epsilon
from ..dp.mechanisms import _release_on_lattice, default_granularity
from ..dp.samplers import discrete_gaussian
from ..validation import check_finite_array, check_positive, check_positive_delta, check_positive_int, \
    check_real
from .settings import TrainSettings
from .task import check_dataset, check_params, client_rng, evaluate, flatten, init_params, \
    local_sgd, unflatten


def clip_update(update, clip_norm) -> tuple[np.ndarray, float]:
    """Scale a flat update to L2 norm ≤ ``clip_norm``: Δ·min(1, C/‖Δ‖). Returns (clipped, norm)."""
    clip_norm = check_positive(clip_norm, "clip_norm")
    vec = check_finite_array(update, "update").ravel()
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


def noise_plan(clip_norm, noise_multiplier, n_params, *, input_rounding=0.0) -> NoisePlan:
    """σ = z·C on a lattice of step g; ρ = C_eff²/(2σ²) per round, C_eff = C + (r + g)·√m.

    ``input_rounding`` r: the largest per-entry rounding of one clipped update before it is
    summed (e.g. ½·2^-f for the fixed-point encoding of secure aggregation); 0 for a plain sum.
    """
    clip_norm = check_positive(clip_norm, "clip_norm")
    z = check_positive(noise_multiplier, "noise_multiplier")
    m = check_positive_int(n_params, "n_params")
    r = check_real(input_rounding, "input_rounding", low=0)
    sigma = z * clip_norm
    g = default_granularity(clip_norm, sigma, math.sqrt(m))
    effective = math.nextafter(clip_norm + (r + g) * math.sqrt(m), math.inf)
    return NoisePlan(clip_norm, z, m, g, effective, sigma, gaussian_rho(effective, sigma))


def noise_clipped_sum(total, plan: NoisePlan, rng=None) -> np.ndarray:
    """The DP step of DP-FedAvg alone: lattice Gaussian noise of std ``plan.sigma`` added to an
    already-summed total of clipped updates (a plain sum, or the output of secure aggregation).

    ρ = ``plan.rho`` per call for one client as the unit, provided every summand was clipped to
    ``plan.clip_norm`` (and rounded by at most the plan's ``input_rounding`` per entry). Returns
    the noisy *sum*; divide by the public number of clients for the mean.
    """
    if not isinstance(plan, NoisePlan):
        raise TypeError(f"plan must be a NoisePlan (from noise_plan), got {type(plan).__name__}.")
    total = check_finite_array(total, "total").ravel()
    if total.size != plan.n_params:
        raise ValueError(f"total has {total.size} entries but the plan is for "
                         f"{plan.n_params} parameters.")
    noise = discrete_gaussian(plan.sigma / plan.granularity, total.shape, rng)
    return _release_on_lattice(total, noise, plan.granularity, False)


@dataclass
class DPRound:
    """One aggregated round: the noisy mean update and what it cost."""

    mean_update: list[np.ndarray]
    plan: NoisePlan
    n_clients: int
    clipped_fraction: float
    update_norms: np.ndarray


def dp_fedavg_aggregate(updates, clip_norm, noise_multiplier, rng=None, *, like=None,
                        n_clients=None) -> DPRound:
    """Clip every client's update to L2 ≤ C, sum, add lattice Gaussian noise of std z·C to the
    sum, divide by n. ``updates``: one list of arrays per client, all shaped like ``like``
    (default: the first update). ``n_clients``: the public denominator (default:
    len(updates)). ``rng``: None = cryptographically secure, or a seeded Generator/int."""
    if not isinstance(updates, (list, tuple)) or not updates:
        raise TypeError("updates must be a non-empty list (one update per client).")
    like = check_params(updates[0] if like is None else like, name="like")
    flats = [flatten(check_params(u, like, f"update of client {k}"))
             for k, u in enumerate(updates)]
    n = len(flats) if n_clients is None else check_positive_int(n_clients, "n_clients")
    plan = noise_plan(clip_norm, noise_multiplier, flats[0].size)
    total = np.zeros(plan.n_params)
    norms = []
    for vec in flats:
        clipped, norm = clip_update(vec, plan.clip_norm)
        total += clipped
        norms.append(norm)
    noisy = noise_clipped_sum(total, plan, rng)
    norms = np.array(norms)
    return DPRound(unflatten(noisy / n, like), plan, n,
                   float(np.mean(norms > plan.clip_norm)), norms)


@dataclass
class DPHistory:
    """Test accuracy/loss after each round of a DP-FedAvg run, and ε spent so far."""

    accuracy: list[float] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    epsilon: list[float] = field(default_factory=list)
    clipped_fraction: list[float] = field(default_factory=list)
    params: list | None = None


def run_dp_fedavg(clients, x_test, y_test, settings: TrainSettings | None = None, *,
                  clip_norm: float, noise_multiplier: float, delta: float = 1e-5,
                  n_classes: int | None = None, rng=None, progress: bool = False) -> DPHistory:
    """FedAvg in which the server aggregates with :func:`dp_fedavg_aggregate` every round.

    Clients train as in :func:`.fedavg.run_fedavg` (same settings, same batches); their
    updates (local − global) are clipped and noised; ε after each round (privacy unit: one
    client, every client in every round) is in ``history.epsilon``.
    """
    settings = settings or TrainSettings()
    data = [check_dataset(x, y, name=f"client {k}") for k, (x, y) in enumerate(clients)]
    x_test, y_test = check_dataset(x_test, y_test, name="test")
    k = n_classes or int(max(max(y.max() for _, y in data), y_test.max()) + 1)
    params = init_params(data[0][0].shape[1], k, settings.hidden, settings.seed)
    m = sum(int(np.size(a)) for a in params)
    plan = noise_plan(clip_norm, noise_multiplier, m)
    history = DPHistory()
    rounds = range(1, settings.rounds + 1)
    if progress:
        from tqdm.auto import tqdm
        rounds = tqdm(rounds, desc="DP-FedAvg rounds")
    for server_round in rounds:
        updates = []
        for cid, (x, y) in enumerate(data):
            local = local_sgd(params, x, y, epochs=settings.local_epochs, lr=settings.lr,
                              batch_size=settings.batch_size, mu=settings.mu,
                              rng=client_rng(settings.seed, server_round, cid))
            updates.append([a - b for a, b in zip(local, params)])
        agg = dp_fedavg_aggregate(updates, clip_norm, noise_multiplier, rng, like=params)
        params = [p + u for p, u in zip(params, agg.mean_update)]
        test_loss, test_acc = evaluate(params, x_test, y_test)
        history.loss.append(test_loss)
        history.accuracy.append(test_acc)
        history.clipped_fraction.append(agg.clipped_fraction)
        history.epsilon.append(rho_to_epsilon(server_round * plan.rho, delta))
    history.params = params
    return history


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
    "DPHistory",
    "DPRound",
    "NoisePlan",
    "clip_update",
    "dp_fedavg_aggregate",
    "dp_fedavg_epsilon",
    "noise_clipped_sum",
    "noise_multiplier_for",
    "noise_plan",
    "rounds_epsilon_curve",
    "run_dp_fedavg",
]
