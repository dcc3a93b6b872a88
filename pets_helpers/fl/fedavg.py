"""Federated averaging written plainly in numpy (McMahan et al., 2017), with FedProx (Li et al.,
2020) and the centralized baseline on the same model.

One round of :func:`run_fedavg`:

1. the server sends the global parameters to every client (downlink);
2. each client k runs :func:`.task.local_sgd` on its own n_k examples, with the generator
   :func:`.task.client_rng` ``(seed, round, k)``, and sends its new parameters back (uplink);
3. the server replaces the global model by the sample-weighted average
   ``w = Σ_k (n_k / n) · w_k`` (:func:`weighted_average`), and evaluates it on the test set.

No raw example ever leaves a client; only parameters travel. The bytes counted per round are
that payload: ``2 · K · nbytes(params)`` (one download and one upload per client).

FedProx changes only step 2: the local objective gets ``mu/2 · ||w − w_global||²``. With
``mu = 0`` the code path is exactly FedAvg's, so the two agree bit for bit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..validation import check_finite_array
from .settings import TrainSettings
from .task import (Params, check_dataset, check_params, client_rng, evaluate, init_params,
                   local_sgd, nbytes)


#: The client id whose generator the centralized baseline uses (no real client has it).
CENTRAL_ID = 2**31 - 1


def weighted_average(updates, num_examples) -> Params:
    """The sample-weighted average ``Σ_k (n_k / Σn) · w_k`` of the clients' parameters.

    ``updates`` is one parameter list per client (all of the same shapes), ``num_examples`` the
    clients' example counts n_k (> 0). A client with twice the data counts twice. An update of
    the wrong shape or holding NaN/inf raises ValueError (it is never averaged in).
    """
    if not isinstance(updates, (list, tuple)) or not updates:
        raise ValueError("updates must be a non-empty list (one parameter list per client).")
    weights = check_finite_array(num_examples, "num_examples").reshape(-1)
    if weights.size != len(updates):
        raise ValueError(f"got {len(updates)} updates but {weights.size} example counts.")
    if np.any(weights <= 0):
        raise ValueError(f"example counts must be > 0, got {weights.tolist()}.")
    first = check_params(updates[0], name="updates[0]")
    checked = [first] + [check_params(u, like=first, name=f"updates[{i}]")
                         for i, u in enumerate(updates[1:], start=1)]
    shares = weights / weights.sum()
    return [sum(s * u[j] for s, u in zip(shares, checked)) for j in range(len(first))]


@dataclass
class History:
    """What a training run measured, one entry per round (or epoch): test accuracy and loss of
    the global model, bytes sent in that round and in total so far, wall-clock seconds of the round;
    ``params`` is the final
    model and ``initial`` the test (loss, accuracy) before round 1."""

    accuracy: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    bytes_round: list = field(default_factory=list)
    bytes_total: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    params: Params | None = None
    initial: tuple = (float("nan"), float("nan"))

    @property
    def rounds(self) -> np.ndarray:
        return np.arange(1, len(self.accuracy) + 1)

    def rounds_to_reach(self, target: float) -> int | None:
        """The first round whose accuracy is ≥ ``target`` (None if never)."""
        hits = np.flatnonzero(np.asarray(self.accuracy) >= target)
        return int(hits[0]) + 1 if hits.size else None

    def as_frame(self):
        import pandas as pd

        return pd.DataFrame({"round": self.rounds, "accuracy": self.accuracy, "loss": self.loss,
                             "bytes_round": self.bytes_round, "bytes_total": self.bytes_total})


def _clients(clients) -> list[tuple[np.ndarray, np.ndarray]]:
    if not isinstance(clients, (list, tuple)) or not clients:
        raise ValueError("clients must be a non-empty list of (x, y) pairs, one per client.")
    return [check_dataset(x, y, name=f"client {k}") for k, (x, y) in enumerate(clients)]


def run_fedavg(clients, x_test, y_test, settings: TrainSettings | None = None, *,
               n_classes: int | None = None, progress: bool = False) -> History:
    """FedAvg (FedProx when ``settings.mu > 0``) over ``clients`` — a list of ``(x_k, y_k)`` —
    for ``settings.rounds`` rounds, evaluating the global model on ``(x_test, y_test)`` after
    each round (default settings: :class:`.TrainSettings`). Deterministic given the seed."""
    settings = settings or TrainSettings()
    data = _clients(clients)
    x_test, y_test = check_dataset(x_test, y_test, name="test")
    k = n_classes or int(max(max(y.max() for _, y in data), y_test.max()) + 1)
    params = init_params(data[0][0].shape[1], k, settings.hidden, settings.seed)
    history = History(initial=evaluate(params, x_test, y_test))
    sizes = [len(y) for _, y in data]
    per_round = 2 * len(data) * nbytes(params)
    rounds = range(1, settings.rounds + 1)
    if progress:
        from tqdm.auto import tqdm
        rounds = tqdm(rounds, desc="FedAvg rounds" if settings.mu == 0 else "FedProx rounds")
    for server_round in rounds:
        tic = time.perf_counter()
        updates = [local_sgd(params, x, y, epochs=settings.local_epochs, lr=settings.lr,
                             batch_size=settings.batch_size, mu=settings.mu,
                             rng=client_rng(settings.seed, server_round, cid))
                   for cid, (x, y) in enumerate(data)]
        params = weighted_average(updates, sizes)
        history.seconds.append(time.perf_counter() - tic)
        test_loss, test_acc = evaluate(params, x_test, y_test)
        history.loss.append(test_loss)
        history.accuracy.append(test_acc)
        history.bytes_round.append(per_round)
        history.bytes_total.append(per_round * server_round)
    history.params = params
    return history


def run_centralized(x, y, x_test, y_test, settings: TrainSettings | None = None, *,
                    epochs: int | None = None, n_classes: int | None = None) -> History:
    """The baseline: the same model and SGD on all the data pooled in one place, one epoch per
    entry of the history (``epochs`` defaults to ``settings.rounds × settings.local_epochs``).
    Nothing is communicated, so the byte counts are 0."""
    settings = settings or TrainSettings()
    x, y = check_dataset(x, y, name="training")
    x_test, y_test = check_dataset(x_test, y_test, name="test")
    k = n_classes or int(max(y.max(), y_test.max()) + 1)
    params = init_params(x.shape[1], k, settings.hidden, settings.seed)
    history = History(initial=evaluate(params, x_test, y_test))
    for epoch in range(1, (epochs or settings.rounds * settings.local_epochs) + 1):
        params = local_sgd(params, x, y, epochs=1, lr=settings.lr, batch_size=settings.batch_size,
                           rng=client_rng(settings.seed, epoch, CENTRAL_ID))
        test_loss, test_acc = evaluate(params, x_test, y_test)
        history.loss.append(test_loss)
        history.accuracy.append(test_acc)
        history.bytes_round.append(0)
        history.bytes_total.append(0)
        history.seconds.append(0.0)
    history.params = params
    return history
