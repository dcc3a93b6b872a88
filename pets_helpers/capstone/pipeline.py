"""Lesson 10's pipeline, glued from the course library — nothing here re-implements a PET.

- :func:`consortium_split`: the banks' training silos and a held-out test month
  (:mod:`pets_helpers.datasets.transactions`);
- :func:`train_pooled` (the forbidden reference: all banks' rows in one place),
  :func:`train_each_bank_alone` and :func:`train_federated` (:mod:`pets_helpers.fl`);
- :func:`train_dp_federated` (DP-FedAvg, :mod:`pets_helpers.fl.dp_fedavg`, accounted per bank)
  and :func:`secure_round_sum` (one round's clipped updates summed by the Bonawitz et al.
  protocol, :mod:`pets_helpers.fl.secagg`);
- :func:`train_secure_dp_federated`: both fused — every round clip → secure sum → Gaussian
  noise on the sum → average, accounted per bank;
- :func:`encrypted_scores`: new transactions scored by the real gRPC scoring service under CKKS
  (:mod:`pets_helpers.he.service`), decrypted by the bank that holds the key;
- :func:`recall_table`: recall at a fixed alert rate for every stage's scores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..datasets.transactions import (bank_silos, consortium_transactions, fraud_features,
                                     scaled_fraud_features)
from ..fl.fedavg import run_centralized, run_fedavg
from ..fl.settings import TrainSettings
from ..validation import check_real
from .metrics import recall_at_alert_rate
from .model import fraud_logits

#: Training settings of every stage: logistic regression, 10 rounds × 1 local epoch.
CAPSTONE_SETTINGS = TrainSettings(rounds=10, local_epochs=1, lr=0.5, batch_size=256, hidden=0,
                                  seed=0)


@dataclass
class ConsortiumSplit:
    """Training silos (one (x, y) per bank, public-scaled), the test transactions and their
    scaled features. ``train`` is the union of the silos — never pooled in reality."""

    banks: list
    silos: list
    train: pd.DataFrame
    test: pd.DataFrame
    x_test: np.ndarray
    y_test: np.ndarray


def consortium_split(n: int = 100_000, seed: int = 2026, test_fraction: float = 0.3) -> ConsortiumSplit:
    """Transactions of :func:`consortium_transactions` cut at random into training (per bank)
    and test (all banks, ``test_fraction``)."""
    test_fraction = check_real(test_fraction, "test_fraction", low=0, high=1, closed="neither")
    table = consortium_transactions(n, seed=seed)
    is_test = np.random.default_rng(seed + 1).random(len(table)) < test_fraction
    train, test = table[~is_test].reset_index(drop=True), table[is_test].reset_index(drop=True)
    silos = bank_silos(train)
    x_test, y_test = scaled_fraud_features(test)
    return ConsortiumSplit(list(silos), [scaled_fraud_features(s) for s in silos.values()],
                           train, test, x_test, y_test)


def train_pooled(split: ConsortiumSplit, settings: TrainSettings = CAPSTONE_SETTINGS):
    """The reference no bank may build: one model on every bank's rows pooled."""
    x = np.vstack([x for x, _ in split.silos])
    y = np.concatenate([y for _, y in split.silos])
    return run_centralized(x, y, split.x_test, split.y_test, settings,
                           epochs=settings.rounds * settings.local_epochs, n_classes=2).params


def train_each_bank_alone(split: ConsortiumSplit, settings: TrainSettings = CAPSTONE_SETTINGS) -> dict:
    """What each bank can do without the consortium: its own model on its own rows."""
    return {bank: run_centralized(x, y, split.x_test, split.y_test, settings,
                                  epochs=settings.rounds * settings.local_epochs, n_classes=2).params
            for bank, (x, y) in zip(split.banks, split.silos)}


def train_federated(split: ConsortiumSplit, settings: TrainSettings = CAPSTONE_SETTINGS,
                    progress: bool = False):
    """FedAvg across the banks (:func:`pets_helpers.fl.fedavg.run_fedavg`); returns the params."""
    return run_fedavg(split.silos, split.x_test, split.y_test, settings, n_classes=2,
                      progress=progress).params


def train_dp_federated(split: ConsortiumSplit, clip_norm: float, noise_multiplier: float,
                       delta: float = 1e-6, settings: TrainSettings = CAPSTONE_SETTINGS, rng=None):
    """DP-FedAvg across the banks (:func:`pets_helpers.fl.dp_fedavg.run_dp_fedavg`): each
    round's updates clipped to ``clip_norm``, Gaussian noise z·C on their sum. Privacy unit: one
    bank (so every customer of it), ε after each round in ``history.epsilon`` at ``delta``."""
    from ..fl.dp_fedavg import run_dp_fedavg

    return run_dp_fedavg(split.silos, split.x_test, split.y_test, settings, clip_norm=clip_norm,
                         noise_multiplier=noise_multiplier, delta=delta, n_classes=2, rng=rng)


def _clipped_updates(params, split: ConsortiumSplit, server_round: int, clip_norm: float,
                     settings: TrainSettings) -> list[np.ndarray]:
    """Every bank's local training from ``params``, its flat update clipped to L2 ≤ ``clip_norm``."""
    from ..fl.dp_fedavg import clip_update
    from ..fl.task import client_rng, flatten, local_sgd

    out = []
    for cid, (x, y) in enumerate(split.silos):
        local = local_sgd(params, x, y, epochs=settings.local_epochs, lr=settings.lr,
                          batch_size=settings.batch_size, mu=settings.mu,
                          rng=client_rng(settings.seed, server_round, cid))
        out.append(clip_update(flatten(local) - flatten(params), clip_norm)[0])
    return out


def _secure_total(clipped, codec, server_round: int, rng):
    """The banks' clipped updates summed by secure aggregation (threshold: a majority)."""
    from ..fl.secagg import secure_sum

    result = secure_sum([codec.encode(c) for c in clipped], threshold=len(clipped) // 2 + 1,
                        round_id=server_round, rng=rng)
    return codec.decode_sum(result.total), result


def secure_round_sum(split: ConsortiumSplit, clip_norm: float,
                     settings: TrainSettings = CAPSTONE_SETTINGS, rng=None) -> dict:
    """Round 1 of federated training with the server summing through secure aggregation.

    Every bank trains from the common start, clips its update to ``clip_norm``, encodes it in
    fixed point and takes part in :func:`pets_helpers.fl.secagg.secure_sum` (threshold 3 of 5).
    Returns the decoded secure sum, the plain sum the server never sees, the codec's error
    bound, and the server's view (one masked vector per bank).
    """
    from ..fl.secagg import FixedPoint
    from ..fl.task import init_params

    start = init_params(split.silos[0][0].shape[1], 2, settings.hidden, settings.seed)
    clipped = _clipped_updates(start, split, 1, clip_norm, settings)
    codec = FixedPoint(bound=clip_norm, n_summands=len(clipped))
    total, result = _secure_total(clipped, codec, 0, rng)
    return {"secure_sum": total, "plain_sum": np.sum(clipped, axis=0),
            "max_error": codec.max_sum_error, "server_view": result.server_view,
            "clipped_updates": clipped}


@dataclass
class SecureDPRun:
    """DP-FedAvg whose sums went through secure aggregation: the model, ε after each round
    (privacy unit: one bank, at ``delta``) and the accountant that recorded every round."""

    params: list
    epsilon: list
    delta: float
    accountant: object
    plan: object
    max_sum_error: float


def train_secure_dp_federated(split: ConsortiumSplit, clip_norm: float, noise_multiplier: float,
                              delta: float = 1e-6, settings: TrainSettings = CAPSTONE_SETTINGS,
                              rng=None, secagg_rng=None, progress: bool = False) -> SecureDPRun:
    """Secure aggregation and DP fused, one loop per round: every bank clips its update to
    ``clip_norm`` → the clipped updates are summed by secure aggregation (the server sees
    masked vectors only) → lattice Gaussian noise of std z·C is added to the securely-summed
    total (:func:`pets_helpers.fl.dp_fedavg.noise_clipped_sum`, the same step plain DP-FedAvg
    uses) → divided by the number of banks.

    Privacy unit: one bank (so each of its customers and transactions). Each round is recorded
    on a :class:`~pets_helpers.accounting.ZCDPAccountant` with the sensitivity C + (r + g)·√m,
    r the fixed-point rounding of one update. Trust: the noise is added by the server after
    unmasking, so the DP guarantee is for whoever sees the model (a semi-honest server sees
    only the sum); ``rng`` draws the noise, ``secagg_rng`` the protocol's keys and masks (None
    = cryptographically secure for both).
    """
    from ..accounting import ZCDPAccountant
    from ..fl.dp_fedavg import noise_clipped_sum, noise_plan
    from ..fl.secagg import FixedPoint
    from ..fl.task import init_params, unflatten

    delta = check_real(delta, "delta", low=0, high=1, closed="neither")
    params = init_params(split.silos[0][0].shape[1], 2, settings.hidden, settings.seed)
    n = len(split.silos)
    codec = FixedPoint(bound=check_real(clip_norm, "clip_norm", low=0, closed="neither"),
                       n_summands=n)
    plan = noise_plan(clip_norm, noise_multiplier, sum(int(np.size(a)) for a in params),
                      input_rounding=0.5 / codec.scale)
    accountant = ZCDPAccountant(settings.rounds * plan.rho * (1 + 1e-9))
    epsilon = []
    rounds = range(1, settings.rounds + 1)
    if progress:
        from tqdm.auto import tqdm
        rounds = tqdm(rounds, desc="secure DP-FedAvg rounds")
    for server_round in rounds:
        clipped = _clipped_updates(params, split, server_round, clip_norm, settings)
        total, _ = _secure_total(clipped, codec, server_round, secagg_rng)
        noisy = noise_clipped_sum(total, plan, rng)
        accountant.spend_gaussian(plan.effective_sensitivity, plan.sigma, f"round {server_round}")
        params = [p + u for p, u in zip(params, unflatten(noisy / n, params))]
        epsilon.append(accountant.epsilon(delta))
    return SecureDPRun(params, epsilon, delta, accountant, plan, codec.max_sum_error)


def encrypted_scores(model, frame: pd.DataFrame, batch: int = 4_000) -> np.ndarray:
    """Score ``frame``'s transactions through the real scoring service, under CKKS.

    The bank makes a CKKS context with its secret key; a :class:`~pets_helpers.he.service.ScoringServer`
    (gRPC, localhost, holding ``model`` — a :class:`~pets_helpers.he.scoring.ScoringModel`) sees
    only the public context and ciphertexts; the bank decrypts the polynomial scores p(z/A).
    """
    from ..he import make_context
    from ..he.service import ScoringClient, ScoringServer

    x, _ = fraud_features(frame)
    context = make_context(model.params)
    out = []
    with ScoringServer(model) as server, ScoringClient(server.address, context) as client:
        step = min(batch, client.max_applicants)
        for start in range(0, len(x), step):
            out.append(client.score(x[start:start + step]))
    return np.concatenate(out)


def recall_table(scores: dict, y_test, alert_rate: float = 0.01) -> pd.DataFrame:
    """Recall at ``alert_rate`` (and the number of fraud cases caught) for each stage's scores."""
    y = np.asarray(y_test)
    rows = []
    for stage, s in scores.items():
        r = recall_at_alert_rate(s, y, alert_rate)
        rows.append((stage, r, int(round(r * y.sum())), int(y.sum())))
    return pd.DataFrame(rows, columns=["stage", f"recall at {alert_rate:.0%} alerts",
                                       "fraud caught", "fraud in test"]).set_index("stage")


def cleartext_scores(params, split: ConsortiumSplit) -> np.ndarray:
    """The model's log-odds of fraud for the test transactions (in the clear)."""
    return fraud_logits(params, split.x_test)
