"""Lesson 04 — Federated averaging: exercises, checks and hints.

References come from :mod:`pets_helpers.fl` (``weighted_average``, ``local_sgd``,
``proximal_gradient``, ``train_step``, ``run_fedavg``). Only plain data crosses to the learner's
kernel: numpy arrays, lists, ints — and Flower's ``ArrayRecord``/``ConfigRecord``/``RecordDict``,
which pickle as plain records.

E1 (the Dirichlet partitioner) is randomized: the check partitions 100 classes × 400 labels over
5 clients and compares the mean over classes of ``Σ_k s_c,k²`` (``s_c,k``: client k's share of
class c) with its Dirichlet expectation ``(α+1)/(Kα+1)``, accepting within ``z·sd/√C`` (exact
Dirichlet variance, false-fail ≤ 1e-6 over both α) plus the deterministic rounding slack
``2/n_c``.
"""

from __future__ import annotations

import math

import numpy as np

from ..fl.demos import digits_runs
from ..fl.partition import check_partition, dirichlet_share_moments, mean_squared_share
from ..fl.task import gradients, init_params, load_digits_split, local_sgd, proximal_gradient
from ..grading import Exercise, Lesson, Mistake
from ..grading.answers import as_array, as_float
from ..grading.tolerance import z_score

def _params(value, like, name: str) -> list:
    if isinstance(value, np.ndarray) or not isinstance(value, (list, tuple)):
        raise Mistake(f"{name} should return a list of numpy arrays (one per layer, like the "
                      f"parameters it was given), got {type(value).__name__}.")
    if len(value) != len(like):
        raise Mistake(f"{name} returned {len(value)} arrays; the model has {len(like)} "
                      f"(shapes {[a.shape for a in like]}).")
    return [as_array(v, a.shape, name, f"arrays shaped like the model's {a.shape}")
            for v, a in zip(value, like)]


def _close(got, want, atol=1e-9) -> bool:
    return all(np.allclose(g, w, rtol=0, atol=atol) for g, w in zip(got, want))


# --- L04.E2: the weighted average ------------------------------------------------------------
def _updates(seed: int, sizes, shapes):
    rng = np.random.default_rng(seed)
    return [[rng.normal(size=s) for s in shapes] for _ in sizes]


AVG_CASES = [((10, 30, 60), [(3, 2), (2,)], 1), ((1, 1000), [(4, 3), (3,), (3, 2), (2,)], 2)]


def check_weighted_average(ns):
    for sizes, shapes, seed in AVG_CASES:
        updates = _updates(seed, sizes, shapes)
        got = _params(ns.call("weighted_average", updates, list(sizes)), updates[0],
                      "weighted_average")
        share = np.asarray(sizes, float) / sum(sizes)
        want = [sum(s * u[j] for s, u in zip(share, updates)) for j in range(len(shapes))]
        case = f"(clients with {list(sizes)} examples)"
        if _close(got, want):
            continue
        if _close(got, [np.mean([u[j] for u in updates], axis=0) for j in range(len(shapes))]):
            raise Mistake(f"You took the plain mean: every client counts the same. FedAvg weighs "
                          f"client k by its share n_k / n of the examples, so a hospital with "
                          f"1,000 records moves the model more than one with 1. {case}")
        if _close(got, [sum(n * u[j] for n, u in zip(sizes, updates))
                        for j in range(len(shapes))]):
            raise Mistake(f"You summed n_k · w_k without dividing by n = Σ n_k: the weights must "
                          f"add up to 1, or the model's scale explodes. {case}")
        inv = 1.0 / np.asarray(sizes, float)
        if _close(got, [sum(s * u[j] for s, u in zip(inv / inv.sum(), updates))
                        for j in range(len(shapes))]):
            raise Mistake(f"You weighted by 1/n_k: small clients count most. The weight is "
                          f"n_k / n, proportional to the client's data. {case}")
        raise Mistake(f"That is not Σ_k (n_k / n) · w_k, layer by layer. {case}")
    return ("A weighted mean of the models is the model trained on the union when one local "
            "step is taken with full batches: FedAvg generalises that (McMahan et al., 2017).")


# --- L04.E3: one client's local update -------------------------------------------------------
def _sgd_variant(params, x, y, epochs, lr, batch_size, seed, shuffle="each", sign=1.0):
    rng = np.random.default_rng(seed)
    w = [a.copy() for a in params]
    once = rng.permutation(len(y))
    for _ in range(epochs):
        order = {"each": None, "once": once, "none": np.arange(len(y))}[shuffle]
        if order is None:
            order = once if _ == 0 else rng.permutation(len(y))
        for start in range(0, len(y), batch_size):
            b = order[start:start + batch_size]
            w = [wi - sign * lr * gi for wi, gi in zip(w, gradients(w, x[b], y[b]))]
    return w


LOCAL_CASES = [(0, 3, 0.5, 16, 7, 120), (8, 2, 0.2, 32, 3, 90)]


def check_local_update(ns):
    data = load_digits_split()
    for hidden, epochs, lr, batch, seed, n in LOCAL_CASES:
        params = init_params(64, 10, hidden, seed=1)
        params = [p + 0.01 for p in params]
        x, y = data.x_train[:n], data.y_train[:n]
        got = _params(ns.call("local_update", [p.copy() for p in params], x.copy(), y.copy(),
                              epochs, lr, batch, seed), params, "local_update")
        want = local_sgd(params, x, y, epochs=epochs, lr=lr, batch_size=batch,
                         rng=np.random.default_rng(seed))
        case = f"(epochs={epochs}, lr={lr}, batch_size={batch}, seed={seed}, n={n})"
        if _close(got, want, 1e-8):
            continue
        args = (params, x, y, epochs, lr, batch, seed)
        if _close(got, [w - p for w, p in zip(want, params)], 1e-8):
            raise Mistake(f"You returned the update Δ = w_new − w, not the new parameters "
                          f"w_new. (Sending Δ is equivalent, but this function returns the "
                          f"model.) {case}")
        if _close(got, _sgd_variant(*args, shuffle="none"), 1e-8):
            raise Mistake(f"You never shuffled: each epoch must visit the examples in the order "
                          f"rng.permutation(n), with rng = np.random.default_rng(seed). {case}")
        if _close(got, _sgd_variant(*args, shuffle="once"), 1e-8):
            raise Mistake(f"You drew one permutation and reused it in every epoch: draw a fresh "
                          f"rng.permutation(n) at the start of each epoch. {case}")
        if _close(got, _sgd_variant(params, x, y, 1, lr, batch, seed), 1e-8):
            raise Mistake(f"You ran a single epoch; run `epochs` passes over the data. {case}")
        if _close(got, _sgd_variant(*args, sign=-1.0), 1e-8):
            raise Mistake(f"You stepped up the gradient (w + lr·∇): descent is w − lr·∇. {case}")
        raise Mistake(f"Not the expected SGD result. Each epoch: order = rng.permutation(n); for "
                      f"consecutive batches of batch_size indices, w ← w − lr · gradients(w, "
                      f"x[batch], y[batch]). {case}")
    return ("Local epochs are what make FedAvg cheap in communication: E passes of local SGD "
            "per round instead of one gradient — at the price of client drift when data differ.")


# --- L04.E1: the Dirichlet partitioner -------------------------------------------------------
STAT_CLASSES, STAT_PER_CLASS, STAT_CLIENTS = 100, 400, 5
STAT_ALPHAS = ((0.3, 101), (3.0, 202))
EMPTY_CASES = [(4, 10, 10, 0.1, s) for s in range(5)]  # classes, per class, clients, α, seed


def _answer_partition(ns, labels, k, alpha, seed, case):
    raw = ns.call("dirichlet_partition", labels.copy(), k, alpha, seed)
    if isinstance(raw, np.ndarray) and raw.ndim == 1 and raw.size == labels.size:
        raise Mistake(f"You returned one client id per example; return a list of {k} index "
                      f"arrays instead (client k's examples: np.flatnonzero(ids == k)). {case}")
    if not isinstance(raw, (list, tuple)) or len(raw) != k:
        raise Mistake(f"dirichlet_partition should return a list of {k} index arrays (one per "
                      f"client), got {type(raw).__name__}"
                      f"{f' of length {len(raw)}' if hasattr(raw, '__len__') else ''}. {case}")
    parts = [np.asarray(p).reshape(-1) for p in raw]
    for i, p in enumerate(parts):
        if p.size == 0:
            raise Mistake(f"Client {i} got no example. Every client must hold data: if a draw "
                          f"leaves a client empty, draw the shares again. {case}")
        if p.dtype.kind not in "iu":
            raise Mistake(f"Client {i}'s entry holds {p.dtype} values; return integer indices "
                          f"into labels. {case}")
    try:
        return check_partition(parts, labels.size)
    except (TypeError, ValueError):
        raise Mistake(f"The parts are not a partition: every index 0..{labels.size - 1} must "
                      f"appear in exactly one client's array (split each class's shuffled "
                      f"indices, don't sample them with replacement). {case}") from None


def check_dirichlet_partition(ns):
    labels = np.repeat(np.arange(STAT_CLASSES), STAT_PER_CLASS)
    z = z_score(1e-6 / len(STAT_ALPHAS))
    observed = {}
    for alpha, seed in STAT_ALPHAS:
        case = f"({STAT_CLASSES} classes × {STAT_PER_CLASS} labels, {STAT_CLIENTS} clients, " \
               f"α={alpha})"
        parts = _answer_partition(ns, labels, STAT_CLIENTS, alpha, seed, case)
        stat, shares = mean_squared_share(labels, parts)
        mean, var = dirichlet_share_moments(alpha, STAT_CLIENTS)
        tol = z * math.sqrt(var / STAT_CLASSES) + 2.0 / STAT_PER_CLASS
        observed[alpha] = (stat, mean, tol)
        if np.mean(np.std(shares, axis=0)) < 0.01:
            raise Mistake(f"Every class is split in the same proportions: you drew one share "
                          f"vector for all classes. That skews how much data each client has, "
                          f"not its labels — draw fresh Dirichlet shares for each class. {case}")
        if abs(stat - 1.0 / STAT_CLIENTS) <= tol:
            raise Mistake(f"Every client got about 1/K of every class (mean Σ_k s² = {stat:.3f} "
                          f"≈ 1/K = {1 / STAT_CLIENTS}): that is an IID split, no label skew. "
                          f"Split each class with shares p ~ Dirichlet(α, …, α). {case}")
    (s_lo, m_lo, t_lo), (s_hi, m_hi, t_hi) = observed[0.3], observed[3.0]
    if abs(s_lo - s_hi) <= t_lo + t_hi:
        raise Mistake(f"α = 0.3 and α = 3 gave the same skew (mean Σ_k s² {s_lo:.3f} vs "
                      f"{s_hi:.3f}): alpha is ignored. Pass np.full(n_clients, alpha) to "
                      f"rng.dirichlet.")
    for alpha, (stat, mean, tol) in observed.items():
        if abs(stat - mean) > tol:
            raise Mistake(
                f"With α = {alpha} the clients' shares of a class should satisfy "
                f"E[Σ_k p_k²] = (α+1)/(Kα+1) = {mean:.3f} (accepted ± {tol:.3f}); yours give "
                f"{stat:.3f}. For each class c: shares p_c ~ Dirichlet(α·1_K) over the K "
                f"clients (not over the classes), then cut c's shuffled indices at the "
                f"cumulative shares.")
    for n_classes, per_class, k, alpha, seed in EMPTY_CASES:
        small = np.repeat(np.arange(n_classes), per_class)
        _answer_partition(ns, small, k, alpha, seed,
                          f"({n_classes} classes × {per_class} labels, {k} clients, α={alpha}, "
                          f"seed={seed})")
    return (f"Mean Σ_k s² = {s_lo:.3f} at α = 0.3 (theory {m_lo:.3f}) and {s_hi:.3f} at α = 3 "
            f"(theory {m_hi:.3f}): your partitioner is Dirichlet(α) label skew, every client "
            f"non-empty.")


# --- L04.E4: FedProx's proximal gradient -----------------------------------------------------
PROX_CASES = [(0.1, 3), (0.01, 4), (1.0, 5)]


def check_proximal_gradient(ns):
    for mu, seed in PROX_CASES:
        rng = np.random.default_rng(seed)
        w = [rng.normal(size=(4, 3)), rng.normal(size=3)]
        g = [rng.normal(size=(4, 3)), rng.normal(size=3)]
        raw = ns.call("proximal_gradient", [a.copy() for a in w], [a.copy() for a in g], mu)
        case = f"(mu={mu})"
        if not isinstance(raw, (list, tuple)) and np.ndim(raw) == 0:
            value = as_float(raw, "proximal_gradient")
            if math.isclose(value, mu / 2 * sum(float(np.sum((a - b) ** 2))
                                                for a, b in zip(w, g)), rel_tol=1e-9):
                raise Mistake(f"You returned the penalty μ/2·‖w − w_global‖² itself; SGD needs "
                              f"its gradient with respect to w, one array per layer. {case}")
            raise Mistake(f"proximal_gradient should return one array per layer. {case}")
        got = _params(raw, w, "proximal_gradient")
        want = proximal_gradient(w, g, mu)
        if _close(got, want, 1e-12):
            continue
        if _close(got, [a - b for a, b in zip(w, g)], 1e-12):
            raise Mistake(f"You forgot μ: the gradient of μ/2·‖w − w_global‖² is μ·(w − "
                          f"w_global). {case}")
        if _close(got, [mu * (b - a) for a, b in zip(w, g)], 1e-12):
            raise Mistake(f"The sign is reversed: μ·(w_global − w) would push the model *away* "
                          f"from the global model when subtracted in SGD. Use μ·(w − w_global). "
                          f"{case}")
        if _close(got, [mu / 2 * (a - b) for a, b in zip(w, g)], 1e-12):
            raise Mistake(f"The ½ cancels when you differentiate μ/2·‖w − w_global‖²: the "
                          f"gradient is μ·(w − w_global), not μ/2·(…). {case}")
        raise Mistake(f"The gradient of μ/2·‖w − w_global‖² is μ·(w − w_global), layer by "
                      f"layer. {case}")
    return ("μ·(w − w_global) is a spring: the further a client drifts from the model it "
            "received, the harder it is pulled back. With μ = 0 FedProx is FedAvg exactly.")


# --- L04.E5: the Flower ClientApp's train step -----------------------------------------------
def _flower_reference(arrays, config, x, y, cid):
    from ..fl.client_app import train_step

    return train_step(arrays, config, x, y, cid)


FLOWER_CASES = [(3, 4, 0.0), (1, 0, 0.05)]  # server round, client id, mu


def check_flower_train(ns):
    from flwr.app import ArrayRecord, ConfigRecord

    from ..fl.task import client_rng

    data = load_digits_split()
    for server_round, cid, mu in FLOWER_CASES:
        params = [p + 0.01 for p in init_params(64, 10)]
        config = ConfigRecord({"local_epochs": 2, "lr": 0.3, "batch_size": 16, "mu": mu,
                               "seed": 11, "server-round": server_round})
        x, y = data.x_train[cid * 50:cid * 50 + 70], data.y_train[cid * 50:cid * 50 + 70]
        case = f"(server-round {server_round}, client {cid}, mu={mu})"
        raw = ns.call("flower_train", ArrayRecord(params), config, x.copy(), y.copy(), cid)
        if type(raw).__name__ != "RecordDict":
            raise Mistake(f"flower_train should return a RecordDict({{'arrays': ArrayRecord(…), "
                          f"'metrics': MetricRecord(…)}}) — the reply's content — got "
                          f"{type(raw).__name__}.")
        arrays = [r for k, r in raw.items() if type(r).__name__ == "ArrayRecord"]
        metrics = [r for k, r in raw.items() if type(r).__name__ == "MetricRecord"]
        if len(arrays) != 1 or len(metrics) != 1:
            raise Mistake(f"The reply needs exactly one ArrayRecord (the new model) and one "
                          f"MetricRecord (its metrics); yours has {len(arrays)} and "
                          f"{len(metrics)}. {case}")
        if "num-examples" not in metrics[0]:
            raise Mistake(f"The MetricRecord lacks 'num-examples': Flower's FedAvg weighs each "
                          f"reply by it (weighted_by_key) and refuses to aggregate without it. "
                          f"{case}")
        if metrics[0]["num-examples"] != len(y):
            raise Mistake(f"'num-examples' is {metrics[0]['num-examples']}, but this client "
                          f"trained on {len(y)} examples: report len(y). {case}")
        got = _params(arrays[0].to_numpy_ndarrays(), params, "flower_train's ArrayRecord")
        want = _flower_reference(ArrayRecord(params), config, x, y, cid)["arrays"]
        want = want.to_numpy_ndarrays()
        if _close(got, want, 1e-8):
            continue
        kw = dict(epochs=2, lr=0.3, batch_size=16, mu=mu)
        for rng, what in ((np.random.default_rng(11), "seed alone"),
                          (np.random.default_rng([11, server_round]), "seed and round only"),
                          (client_rng(11, 1, cid), "round fixed at 1")):
            if _close(got, local_sgd(params, x, y, rng=rng, **kw), 1e-8):
                raise Mistake(f"Your generator depends on the {what}: use client_rng(seed, "
                              f"config['server-round'], client_id), so that every client draws "
                              f"new batches each round and the Flower run repeats the numpy "
                              f"loop exactly. {case}")
        if mu and _close(got, local_sgd(params, x, y, rng=client_rng(11, server_round, cid),
                                        **{**kw, "mu": 0.0}), 1e-8):
            raise Mistake(f"You ignored config['mu']: FedProx's μ arrives in the config like "
                          f"the other settings. {case}")
        raise Mistake(f"The new model is not local_sgd from the received arrays with the "
                      f"config's local_epochs, lr, batch_size and mu. {case}")
    return ("Flower moved nothing but records: the model in an ArrayRecord, the settings in a "
            "ConfigRecord, the weight in a MetricRecord. Your step is the whole ClientApp.")


# --- L04.E6: reading the results -------------------------------------------------------------
READ_CASES = [([0.5, 0.8, 0.95, 0.97], 1.0, 3), ([0.2, 0.96, 0.9, 0.99], 1.0, 2),
              ([0.1, 0.2], 0.9, None), ([0.9], 0.9, 1), ([0.7, 0.85, 0.855], 0.9, 3)]


def check_rounds_to_reach(ns):
    for accuracies, central, want in READ_CASES:
        got = ns.call("rounds_to_reach", list(accuracies), central)
        case = f"(accuracies {accuracies}, centralized {central}: expected {want})"
        if want is None:
            if got is not None:
                raise Mistake(f"When the target is never reached, return None (no round "
                              f"qualifies) — not {got!r}. {case}")
            continue
        if got is None:
            raise Mistake(f"You returned None, but round {want} reaches 95 % of the "
                          f"centralized accuracy. Is your comparison ≥ (reaching counts)? {case}")
        value = as_float(got, "rounds_to_reach")
        if value == want:
            continue
        if value == want - 1:
            raise Mistake(f"Rounds count from 1 (the first aggregation is round 1); you "
                          f"returned a 0-based index. {case}")
        if value == accuracies[want - 1]:
            raise Mistake(f"You returned the accuracy reached; return the round number. {case}")
        raise Mistake(f"The answer is the first round r (counting from 1) whose accuracy is "
                      f"≥ 0.95 × centralized. {case}")
    runs = digits_runs(alphas=(0.1,))
    target = 0.95 * runs["centralized"].accuracy[-1]
    want = runs["α = 0.1"].rounds_to_reach(target)
    if not ns.has("rounds_alpha_01"):
        raise Mistake("Define rounds_alpha_01: rounds_to_reach applied to the α = 0.1 run.")
    got = ns.get("rounds_alpha_01")
    if got != want:
        raise Mistake(f"rounds_alpha_01 is {got!r}; run rounds_to_reach on "
                      f"runs['α = 0.1'].accuracy with runs['centralized'].accuracy[-1].")
    iid = runs["IID"].rounds_to_reach(target)
    return (f"IID FedAvg needs {iid} round(s) to reach 95 % of centralized; α = 0.1 needs "
            f"{want}: label skew costs rounds — and every round costs bytes.")


HINT_AVG = (
    "Each client k sends its parameters w_k (a list of arrays) and its example count n_k.",
    "Weights s_k = n_k / Σ n: they add up to 1. Average layer by layer.",
    "shares = np.asarray(num_examples) / sum(num_examples); return [sum(s * u[j] for s, u in "
    "zip(shares, updates)) for j in range(len(updates[0]))]",
)
HINT_LOCAL = (
    "Start from copies of params; make rng = np.random.default_rng(seed) once.",
    "For each epoch: order = rng.permutation(len(y)); for start in range(0, len(y), "
    "batch_size): b = order[start:start + batch_size].",
    "Inside: grads = gradients(w, x[b], y[b]); w = [wi - lr * gi for wi, gi in zip(w, grads)]. "
    "Return w.",
)
HINT_DIRICHLET = (
    "Treat each class separately: where do its examples go?",
    "For class c: idx = rng.permutation(np.flatnonzero(labels == c)); shares = "
    "rng.dirichlet(np.full(n_clients, alpha)); cut idx at np.cumsum(shares)[:-1] * len(idx) "
    "(rounded to integers) with np.split.",
    "Collect the chunks per client, concatenate; if any client is empty, start over with new "
    "draws (loop until all are non-empty).",
)
HINT_PROX = (
    "FedProx adds μ/2 · ‖w − w_global‖² to each client's loss. Differentiate it in w.",
    "d/dw of μ/2·(w − g)² is μ·(w − g) — the ½ cancels the square's 2.",
    "return [mu * (w - g) for w, g in zip(params, global_params)]",
)
HINT_FLOWER = (
    "Unpack: params = arrays.to_numpy_ndarrays(); the settings are config['local_epochs'], "
    "config['lr'], config['batch_size'], config['mu'], config['seed'], config['server-round'].",
    "Train with local_sgd(params, x, y, epochs=…, lr=…, batch_size=…, mu=…, "
    "rng=client_rng(seed, server_round, client_id)).",
    "return RecordDict({'arrays': ArrayRecord(new), 'metrics': MetricRecord({'num-examples': "
    "len(y), 'train_loss': loss(new, x, y)})})",
)
HINT_READ = (
    "The target is 0.95 × the centralized accuracy; rounds are numbered from 1.",
    "Walk through the accuracies with enumerate(accuracies, start=1) and stop at the first "
    "one that is ≥ the target.",
    "for r, a in enumerate(accuracies, start=1): if a >= 0.95 * centralized: return r — and "
    "return None after the loop.",
)

LESSON = Lesson("L04", "Federated averaging", "04_federated_averaging", (
    Exercise("L04.E1", "The Dirichlet partitioner", 3, check_dirichlet_partition,
             HINT_DIRICHLET, shortcuts=("pets_helpers.fl.partition:dirichlet_partition",)),
    Exercise("L04.E2", "The weighted average", 2, check_weighted_average, HINT_AVG,
             shortcuts=("pets_helpers.fl.fedavg:weighted_average",)),
    # Closed only while E3 is checked: E5's train step calls local_sgd.
    Exercise("L04.E3", "One client's local update", 3, check_local_update, HINT_LOCAL,
             shortcuts=("pets_helpers.fl.task:local_sgd",)),
    Exercise("L04.E4", "FedProx's proximal gradient", 2, check_proximal_gradient, HINT_PROX,
             shortcuts=("pets_helpers.fl.task:proximal_gradient",)),
    Exercise("L04.E5", "The ClientApp's train step", 3, check_flower_train, HINT_FLOWER,
             shortcuts=("pets_helpers.fl.client_app:train_step",)),
    Exercise("L04.E6", "Reading the results", 2, check_rounds_to_reach, HINT_READ,
             shortcuts=("pets_helpers.fl.fedavg:History.rounds_to_reach",)),
), cell_timeout=300)  # the one Flower simulation starts Ray: ~20 s idle, over a minute loaded
