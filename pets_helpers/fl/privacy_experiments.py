"""Lesson 06's experiment: how much membership leaks from FedAvg, DP-FedAvg and DP-SGD models.

Setting (seeded, deterministic): the digits data (1,797 real 8×8 scans, sklearn) stands in for
the hospitals' records. ``N_MEMBERS`` (100) records are the patients whose data trains the models —
spread over ``N_HOSPITALS`` hospitals for federated training, or all held by one hospital for
local training — the other records are the non-members the attacker compares against (and the
test set for accuracy). Models are :mod:`.task`'s one-hidden-layer MLP.

- ``"FedAvg"`` / ``"DP-FedAvg"``: federated training; DP-FedAvg's ε protects **one hospital**.
- ``"local"`` / ``"DP-SGD"``: one hospital trains on all members; DP-SGD's ε protects **one
  patient** (record).

Every model is attacked with the loss-threshold attack
(:func:`pets_helpers.attacks.membership.loss_threshold_scores`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..attacks.membership import loss_threshold_scores, roc_auc, tpr_at_fpr
from .dp_fedavg import noise_multiplier_for, run_dp_fedavg
from .fedavg import run_fedavg
from .settings import TrainSettings
from .task import accuracy, init_params, local_sgd, predict_proba

N_MEMBERS = 100
N_HOSPITALS = 5
DELTA = 1e-5
HIDDEN = 64
FED_SETTINGS = TrainSettings(rounds=20, local_epochs=10, lr=0.1, batch_size=16, hidden=HIDDEN)
LOCAL_EPOCHS = 200
CLIP_NORM = 1.0
SEED = 20260606


@dataclass(frozen=True)
class MembershipData:
    x_members: np.ndarray
    y_members: np.ndarray
    x_nonmembers: np.ndarray
    y_nonmembers: np.ndarray

    def hospitals(self, n: int = N_HOSPITALS) -> list[tuple[np.ndarray, np.ndarray]]:
        parts = np.array_split(np.arange(len(self.y_members)), n)
        return [(self.x_members[p], self.y_members[p]) for p in parts]


def membership_data(seed: int = SEED) -> MembershipData:
    """Members and non-members, shuffled with ``seed``; every pixel standardised with the mean
    and standard deviation (+1) of the non-member records (public data, so no member leaks)."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    order = np.random.default_rng(seed).permutation(len(y))
    x, y = x[order].astype(np.float64), y[order].astype(np.int64)
    public = x[N_MEMBERS:]
    x = (x - public.mean(axis=0)) / (public.std(axis=0) + 1.0)
    return MembershipData(x[:N_MEMBERS], y[:N_MEMBERS], x[N_MEMBERS:], y[N_MEMBERS:])


@dataclass
class AttackResult:
    """One trained model under the loss-threshold attack."""

    family: str            # "FedAvg", "DP-FedAvg", "local", "DP-SGD"
    epsilon: float         # math.inf for a non-private model
    privacy_unit: str      # "one hospital", "one patient" or "none"
    test_accuracy: float
    member_scores: np.ndarray
    nonmember_scores: np.ndarray

    @property
    def auc(self) -> float:
        return roc_auc(self.member_scores, self.nonmember_scores)

    def tpr(self, fpr: float) -> float:
        return tpr_at_fpr(self.member_scores, self.nonmember_scores, fpr)


def _attack(family, epsilon, unit, params, data: MembershipData) -> AttackResult:
    return AttackResult(
        family, epsilon, unit, accuracy(params, data.x_nonmembers, data.y_nonmembers),
        loss_threshold_scores(predict_proba(params, data.x_members), data.y_members),
        loss_threshold_scores(predict_proba(params, data.x_nonmembers), data.y_nonmembers))


def fedavg_result(data: MembershipData, epsilon: float = math.inf, seed: int = SEED
                  ) -> AttackResult:
    """FedAvg (ε = inf) or DP-FedAvg at client-level (ε, DELTA) over the hospitals."""
    hospitals = data.hospitals()
    settings = TrainSettings(**{**FED_SETTINGS.to_config(), "seed": seed % 2**31})
    if math.isinf(epsilon):
        hist = run_fedavg(hospitals, data.x_nonmembers, data.y_nonmembers, settings,
                          n_classes=10)
        return _attack("FedAvg", epsilon, "none", hist.params, data)
    n_params = sum(int(np.size(a)) for a in init_params(64, 10, HIDDEN))
    z = noise_multiplier_for(epsilon, DELTA, settings.rounds, n_params=n_params)
    hist = run_dp_fedavg(hospitals, data.x_nonmembers, data.y_nonmembers, settings,
                         clip_norm=CLIP_NORM, noise_multiplier=z, delta=DELTA, n_classes=10,
                         rng=np.random.default_rng(seed))
    return _attack("DP-FedAvg", epsilon, "one hospital", hist.params, data)


def local_result(data: MembershipData, epsilon: float = math.inf, seed: int = SEED
                 ) -> AttackResult:
    """One hospital's local model on all members: plain SGD (ε = inf) or DP-SGD (Opacus) at
    record-level (ε, DELTA)."""
    if math.isinf(epsilon):
        params = local_sgd(init_params(64, 10, HIDDEN, seed % 2**31), data.x_members,
                           data.y_members, epochs=LOCAL_EPOCHS, lr=0.1, batch_size=16,
                           rng=np.random.default_rng(seed))
        return _attack("local", epsilon, "none", params, data)
    from .dp_sgd import train_dp_sgd

    res = train_dp_sgd(data.x_members, data.y_members, epsilon=epsilon, delta=DELTA,
                       n_classes=10, epochs=LOCAL_EPOCHS // 4, batch_size=20, lr=0.5,
                       max_grad_norm=CLIP_NORM, hidden=HIDDEN, seed=seed % 2**31)
    return _attack("DP-SGD", epsilon, "one patient", res.params, data)


def membership_sweep(epsilons=(0.5, 2.0, 8.0, 64.0), seed: int = SEED, progress: bool = False
                     ) -> list[AttackResult]:
    """Every family at every ε (plus the two non-private models), attacked."""
    data = membership_data(seed)
    jobs = [(fedavg_result, math.inf), (local_result, math.inf)]
    jobs += [(fn, e) for e in epsilons for fn in (fedavg_result, local_result)]
    if progress:
        from tqdm.auto import tqdm
        jobs = tqdm(jobs, desc="train and attack")
    return [fn(data, e, seed) for fn, e in jobs]


def sweep_table(results):
    """One row per model: family, ε, privacy unit, accuracy, AUC, TPR at 1 % and 0.1 % FPR."""
    import pandas as pd

    rows = []
    for r in results:
        rows.append({"model": r.family, "epsilon": r.epsilon, "privacy unit": r.privacy_unit,
                     "test accuracy": r.test_accuracy, "attack AUC": r.auc,
                     "TPR @ 1% FPR": r.tpr(0.01), "TPR @ 0.1% FPR": r.tpr(0.001)})
    return pd.DataFrame(rows)


# Okabe–Ito colours (safe for the common colour-vision deficiencies), one per ε; black = no DP.
_COLOURS = ["#E69F00", "#56B4E9", "#009E73", "#D55E00", "#CC79A7", "#0072B2", "#F0E442"]


def _colour(results, r):
    finite = sorted({x.epsilon for x in results if math.isfinite(x.epsilon)})
    return "black" if math.isinf(r.epsilon) else _COLOURS[finite.index(r.epsilon) % 7]


def plot_rocs(results, axes=None):
    """Log-log ROC curves of the loss attack, one panel per setting (federated / local)."""
    import matplotlib.pyplot as plt

    from ..attacks.membership import roc_curve

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained", sharey=True)
    panels = {"federated (ε per hospital)": ("FedAvg", "DP-FedAvg"),
              "one hospital (ε per patient)": ("local", "DP-SGD")}
    for ax, (title, families) in zip(axes, panels.items()):
        for r in results:
            if r.family not in families:
                continue
            fpr, tpr = roc_curve(r.member_scores, r.nonmember_scores)
            name = "no DP" if math.isinf(r.epsilon) else f"ε = {r.epsilon:g}"
            ax.step(np.maximum(fpr, 1e-4), np.maximum(tpr, 1e-4), where="post",
                    color=_colour(results, r), label=f"{name} (AUC {r.auc:.2f})")
        grid = np.logspace(-4, 0, 100)
        ax.plot(grid, grid, ls="--", color="grey", label="chance")
        ax.axvline(0.01, color="grey", lw=0.8, ls=":")
        ax.set(xscale="log", yscale="log", xlim=(1e-3, 1), ylim=(1e-3, 1.05), title=title,
               xlabel="false-positive rate (non-members flagged)")
        ax.legend(fontsize=8, loc="lower right")
    axes[0].set_ylabel("true-positive rate (members found)")
    return axes


def plot_accuracy_vs_epsilon(results, ax=None):
    """Test accuracy against ε for DP-FedAvg (per hospital) and DP-SGD (per patient)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    styles = {"DP-FedAvg": ("#0072B2", "o", "FedAvg"), "DP-SGD": ("#D55E00", "s", "local")}
    for family, (colour, marker, baseline) in styles.items():
        pts = sorted((r.epsilon, r.test_accuracy) for r in results if r.family == family)
        unit = "hospital" if family == "DP-FedAvg" else "patient"
        ax.plot(*zip(*pts), marker=marker, color=colour, label=f"{family} (ε per {unit})")
        base = [r.test_accuracy for r in results if r.family == baseline]
        if base:
            ax.axhline(base[0], color=colour, ls="--", lw=1, label=f"{baseline}, no DP")
    ax.set(xscale="log", xlabel="ε (δ = 1e-5)", ylabel="test accuracy", ylim=(0, 1),
           title="Utility vs privacy budget (same rounds / epochs)")
    ax.legend(fontsize=8)
    return ax


__all__ = ["AttackResult", "MembershipData", "fedavg_result", "local_result", "membership_data",
           "membership_sweep", "plot_accuracy_vs_epsilon", "plot_rocs", "sweep_table"]
