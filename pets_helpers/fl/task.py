"""The model, its training and its evaluation — plain numpy, no Flower.

This is the ``task`` module of a Flower app: everything a client or a server needs to know about
the learning problem, and nothing about how messages travel. The same functions run in the
from-scratch FedAvg loop (:mod:`.fedavg`), in Flower's ClientApp/ServerApp (:mod:`.client_app`,
:mod:`.server_app`) and in the centralized baseline, so the three are comparable exactly.

Parameters
----------
A model's parameters are a **list of numpy arrays** (what Flower's ``ArrayRecord`` carries):

- multinomial logistic regression: ``[W (d × k), b (k)]``;
- a one-hidden-layer MLP with ReLU: ``[W1 (d × h), b1 (h), W2 (h × k), b2 (k)]``.

:func:`init_params` makes either (``hidden=0`` for logistic regression). The loss is the mean
cross-entropy in nats per example; :func:`gradients` returns its exact gradient (mean over the
batch), same shapes as the parameters. :func:`flatten` / :func:`unflatten` convert to and from
one flat vector; :func:`nbytes` is what sending the parameters once costs (float64 payload).

Local training
--------------
:func:`local_sgd` is one client's local update: ``epochs`` passes of mini-batch SGD over its own
data, each epoch in the order ``rng.permutation(n)`` cut into consecutive batches of
``batch_size``. With ``mu > 0`` it adds FedProx's proximal term ``mu/2 · ||w − w_global||²``
(Li et al., 2020), whose gradient is :func:`proximal_gradient`. ``mu = 0`` is plain FedAvg,
bit for bit.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from ..validation import check_finite_array, check_positive, check_positive_int, check_real

Params = list  # list[np.ndarray]: the model's parameters, in the order documented above


class Split(NamedTuple):
    """A train/test split of a labelled data set (features as float64, labels as int64)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


# --- data ------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def _digits_split(test_fraction: float, seed: int) -> Split:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    x = data.data.astype(np.float64) / 16.0  # pixel intensities 0..16 → [0, 1]
    y = data.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=test_fraction, random_state=seed,
                                              stratify=y)
    for arr in (x_tr, x_te, y_tr, y_te):
        arr.flags.writeable = False
    return Split(x_tr, y_tr, x_te, y_te)


def load_digits_split(test_fraction: float = 0.25, seed: int = 0) -> Split:
    """scikit-learn's handwritten digits (1,797 8×8 images, 10 classes, shipped with sklearn),
    pixels scaled to [0, 1], split stratified into train and test with ``seed``.

    The arrays are read-only and cached: every client process loads the same split."""
    if not 0.0 < float(test_fraction) < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}.")
    return _digits_split(float(test_fraction), int(seed))


def check_dataset(x, y, n_classes: int | None = None, name: str = "data") -> tuple:
    """``(x, y)`` as a float64 matrix and int64 labels, or one clear error: NaN/inf features,
    labels that are not class indices, or mismatched lengths."""
    x = check_finite_array(x, f"{name} features")
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"{name} features must be a non-empty 2-D array (examples × features), "
                         f"got shape {x.shape}.")
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != x.shape[0]:
        raise ValueError(f"{name} labels must be 1-D with one label per example ({x.shape[0]}), "
                         f"got shape {y.shape}.")
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            raise ValueError(f"{name} labels must be class indices 0, 1, …; got {y[:5]!r}…")
    elif y.dtype.kind not in "iub":
        raise TypeError(f"{name} labels must be integer class indices, got dtype {y.dtype}.")
    y = y.astype(np.int64)
    if y.min() < 0 or (n_classes is not None and y.max() >= n_classes):
        raise ValueError(f"{name} labels must lie in 0..{(n_classes or 0) - 1}, got values "
                         f"{y.min()}..{y.max()}.")
    return x, y


# --- parameters ------------------------------------------------------------------------------
def init_params(n_features: int, n_classes: int, hidden: int = 0, seed: int = 0) -> Params:
    """Fresh parameters, seeded: zeros for logistic regression (``hidden=0``, a convex problem);
    He-initialised weights and zero biases for the MLP (``hidden`` ReLU units)."""
    d = check_positive_int(n_features, "n_features")
    k = check_positive_int(n_classes, "n_classes", minimum=2)
    h = check_positive_int(hidden, "hidden", minimum=0)
    if h == 0:
        return [np.zeros((d, k)), np.zeros(k)]
    rng = np.random.default_rng(seed)
    return [rng.normal(0.0, np.sqrt(2.0 / d), (d, h)), np.zeros(h),
            rng.normal(0.0, np.sqrt(2.0 / h), (h, k)), np.zeros(k)]


def check_params(params, like: Params | None = None, name: str = "parameters") -> Params:
    """``params`` as a list of finite float64 arrays, or one clear error. With ``like``, every
    array must also have the shape of the corresponding array of ``like`` (a model update of
    the wrong shape, or one holding NaN, is refused — never averaged in)."""
    if isinstance(params, np.ndarray) or not isinstance(params, (list, tuple)):
        raise TypeError(f"{name} must be a list of numpy arrays (one per layer), got "
                        f"{type(params).__name__}.")
    if like is not None and len(params) != len(like):
        raise ValueError(f"{name} has {len(params)} arrays, the model has {len(like)} "
                         f"(shapes {[np.shape(a) for a in like]}).")
    out = []
    for i, arr in enumerate(params):
        a = check_finite_array(arr, f"{name}[{i}]")
        if like is not None and a.shape != np.shape(like[i]):
            raise ValueError(f"{name}[{i}] has shape {a.shape}, the model expects "
                             f"{np.shape(like[i])}: this update does not belong to this model.")
        out.append(a)
    if len(out) not in (2, 4):
        raise ValueError(f"{name} must hold 2 arrays (logistic regression) or 4 (MLP), got "
                         f"{len(out)}.")
    return out


def flatten(params: Params) -> np.ndarray:
    """All parameters as one flat float64 vector (layer after layer, C order)."""
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in params])


def unflatten(vector, like: Params) -> Params:
    """The inverse of :func:`flatten`: cut ``vector`` into arrays shaped like ``like``."""
    vector = check_finite_array(vector, "vector").ravel()
    sizes = [int(np.size(a)) for a in like]
    if vector.size != sum(sizes):
        raise ValueError(f"vector has {vector.size} entries, the model has {sum(sizes)}.")
    parts = np.split(vector, np.cumsum(sizes)[:-1])
    return [p.reshape(np.shape(a)).copy() for p, a in zip(parts, like)]


def nbytes(params: Params) -> int:
    """Bytes of payload to send ``params`` once (the arrays' raw size; framing not counted)."""
    return int(sum(np.asarray(a).nbytes for a in params))


# --- the model -------------------------------------------------------------------------------
def _forward(params: Params, x: np.ndarray):
    if len(params) == 2:
        w, b = params
        return x @ w + b, None
    w1, b1, w2, b2 = params
    hidden = np.maximum(x @ w1 + b1, 0.0)
    return hidden @ w2 + b2, hidden


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def predict_proba(params: Params, x) -> np.ndarray:
    """Class probabilities, one row per example."""
    return _softmax(_forward(params, np.asarray(x, dtype=np.float64))[0])


def predict(params: Params, x) -> np.ndarray:
    """The most probable class of each example."""
    return np.argmax(_forward(params, np.asarray(x, dtype=np.float64))[0], axis=1)


def loss(params: Params, x, y) -> float:
    """Mean cross-entropy (nats per example)."""
    logits = _forward(params, np.asarray(x, dtype=np.float64))[0]
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-np.mean(log_p[np.arange(len(y)), np.asarray(y)]))


def accuracy(params: Params, x, y) -> float:
    """Share of examples whose most probable class is the label."""
    return float(np.mean(predict(params, x) == np.asarray(y)))


def sensitivity(params: Params, x, y, positive: int = 1) -> float:
    """Recall of class ``positive``: the share of its examples predicted as it (NaN if none)."""
    y = np.asarray(y)
    mask = y == positive
    return float(np.mean(predict(params, np.asarray(x)[mask]) == positive)) if mask.any() \
        else float("nan")


def evaluate(params: Params, x, y) -> tuple[float, float]:
    """``(loss, accuracy)`` on ``(x, y)``."""
    return loss(params, x, y), accuracy(params, x, y)


def gradients(params: Params, x, y) -> Params:
    """The gradient of :func:`loss` (mean over the examples), same shapes as ``params``."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y)
    return _gradients(params, x, _one_hot(y, np.shape(params[-1])[0]))


def _one_hot(y: np.ndarray, n_classes: int) -> np.ndarray:
    out = np.zeros((len(y), n_classes))
    out[np.arange(len(y)), y] = 1.0
    return out


def _gradients(params: Params, x: np.ndarray, targets: np.ndarray) -> Params:
    logits, hidden = _forward(params, x)
    delta = _softmax(logits)
    delta -= targets          # softmax − one-hot: the cross-entropy gradient w.r.t. the logits
    delta /= len(x)
    if hidden is None:
        return [x.T @ delta, delta.sum(axis=0)]
    w2 = params[2]
    d_hidden = (delta @ w2.T) * (hidden > 0)
    return [x.T @ d_hidden, d_hidden.sum(axis=0), hidden.T @ delta, delta.sum(axis=0)]


def proximal_gradient(params: Params, anchor: Params, mu: float) -> Params:
    """Gradient of FedProx's proximal term ``mu/2 · ||w − w_anchor||²``: ``mu · (w − w_anchor)``
    per array. It pulls a client's local model back towards the global model it started from."""
    return [mu * (np.asarray(w) - np.asarray(a)) for w, a in zip(params, anchor)]


def local_sgd(params: Params, x, y, *, epochs: int, lr: float, batch_size: int, rng,
              mu: float = 0.0) -> Params:
    """One client's local update: ``epochs`` passes of mini-batch SGD from ``params``.

    Each epoch visits the examples in the order ``rng.permutation(n)``, in consecutive batches
    of ``batch_size`` (the last one may be smaller), and steps ``w ← w − lr · ∇``. With
    ``mu > 0`` the gradient includes FedProx's proximal term towards the starting ``params``.
    Returns new arrays; ``params`` is not modified.
    """
    epochs = check_positive_int(epochs, "epochs")
    lr = check_positive(lr, "lr")
    batch_size = check_positive_int(batch_size, "batch_size")
    mu = check_real(mu, "mu", low=0, hint="mu is FedProx's proximal weight (0 = FedAvg).")
    anchor = [np.array(a, dtype=np.float64) for a in params]
    w = [a.copy() for a in anchor]
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y)
    n_classes = np.shape(w[-1])[0]
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1} (the model's classes), got "
                         f"{y.min()}..{y.max()}.")
    targets = _one_hot(y, n_classes)
    n = len(y)
    for _ in range(epochs):
        order = rng.permutation(n)
        x_epoch, t_epoch = x[order], targets[order]   # one gather per epoch; batches are views
        for start in range(0, n, batch_size):
            stop = start + batch_size
            grads = _gradients(w, x_epoch[start:stop], t_epoch[start:stop])
            if mu > 0:
                grads = [g + p for g, p in zip(grads, proximal_gradient(w, anchor, mu))]
            for wi, gi in zip(w, grads):
                wi -= lr * gi
    return w


def client_rng(seed: int, server_round: int, client_id: int) -> np.random.Generator:
    """The generator client ``client_id`` uses in round ``server_round`` of a run seeded with
    ``seed``. Deriving it from these three numbers (not from call order) makes the from-scratch
    loop and a Flower run — where clients train in any order, in other processes — draw the same
    batches."""
    return np.random.default_rng([int(seed), int(server_round), int(client_id)])
