"""Right and typical wrong answers to Lesson 04's exercises."""

import numpy as np
from flwr.app import ArrayRecord, MetricRecord, RecordDict

from pets_helpers.fl.task import client_rng, gradients, local_sgd, loss


# --- right answers (written as a learner would) ---------------------------------------------
def weighted_average(updates, num_examples):
    shares = np.asarray(num_examples) / sum(num_examples)
    return [sum(s * u[j] for s, u in zip(shares, updates)) for j in range(len(updates[0]))]


def weighted_average_stacked(updates, num_examples):
    n = np.asarray(num_examples, dtype=float)
    return [np.tensordot(n, np.stack([u[j] for u in updates]), axes=1) / n.sum()
            for j in range(len(updates[0]))]


def local_update(params, x, y, epochs, lr, batch_size, seed):
    rng = np.random.default_rng(seed)
    w = [p.copy() for p in params]
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for start in range(0, len(y), batch_size):
            b = order[start:start + batch_size]
            w = [wi - lr * gi for wi, gi in zip(w, gradients(w, x[b], y[b]))]
    return w


def dirichlet_partition(labels, n_clients, alpha, seed):
    rng = np.random.default_rng(seed)
    while True:
        parts = [[] for _ in range(n_clients)]
        for c in np.unique(labels):
            idx = rng.permutation(np.flatnonzero(labels == c))
            shares = rng.dirichlet(np.full(n_clients, alpha))
            cuts = (np.cumsum(shares)[:-1] * len(idx)).round().astype(int)
            for k, chunk in enumerate(np.split(idx, cuts)):
                parts[k].append(chunk)
        out = [np.concatenate(p) for p in parts]
        if all(len(p) for p in out):
            return out


def dirichlet_partition_sampled(labels, n_clients, alpha, seed):
    """Another right answer: each example of class c goes to client k with probability p_c,k."""
    rng = np.random.default_rng(seed)
    while True:
        owner = np.empty(len(labels), dtype=int)
        for c in np.unique(labels):
            idx = np.flatnonzero(labels == c)
            owner[idx] = rng.choice(n_clients, size=len(idx),
                                    p=rng.dirichlet(np.full(n_clients, alpha)))
        out = [np.flatnonzero(owner == k) for k in range(n_clients)]
        if all(len(p) for p in out):
            return out


def proximal_gradient(params, global_params, mu):
    return [mu * (w - g) for w, g in zip(params, global_params)]


def flower_train(arrays, config, x, y, client_id):
    params = arrays.to_numpy_ndarrays()
    new = local_sgd(params, x, y, epochs=config["local_epochs"], lr=config["lr"],
                    batch_size=config["batch_size"], mu=config["mu"],
                    rng=client_rng(config["seed"], config["server-round"], client_id))
    return RecordDict({"arrays": ArrayRecord(new),
                       "metrics": MetricRecord({"num-examples": len(y),
                                                "train_loss": loss(new, x, y)})})


def rounds_to_reach(accuracies, centralized, fraction=0.95):
    for r, a in enumerate(accuracies, start=1):
        if a >= fraction * centralized:
            return r
    return None


def rounds_to_reach_numpy(accuracies, centralized, fraction=0.95):
    hits = np.flatnonzero(np.asarray(accuracies) >= fraction * centralized)
    return int(hits[0]) + 1 if hits.size else None


def _runs_value():
    from pets_helpers.fl.demos import digits_runs

    runs = digits_runs(alphas=(0.1,))
    return rounds_to_reach(runs["α = 0.1"].accuracy, runs["centralized"].accuracy[-1])


RIGHT = {
    "L04.E2": {"weighted_average": weighted_average},
    "L04.E3": {"local_update": local_update},
    "L04.E1": {"dirichlet_partition": dirichlet_partition},
    "L04.E4": {"proximal_gradient": proximal_gradient},
    "L04.E5": {"flower_train": flower_train},
    "L04.E6": {"rounds_to_reach": rounds_to_reach, "rounds_alpha_01": _runs_value()},
}
ALSO_RIGHT = [
    ("L04.E2", {"weighted_average": weighted_average_stacked}),
    ("L04.E1", {"dirichlet_partition": dirichlet_partition_sampled}),
    ("L04.E6", {"rounds_to_reach": rounds_to_reach_numpy, "rounds_alpha_01": _runs_value()}),
]


# --- wrong answers ---------------------------------------------------------------------------
def avg_plain_mean(updates, num_examples):
    return [np.mean([u[j] for u in updates], axis=0) for j in range(len(updates[0]))]


def avg_not_normalized(updates, num_examples):
    return [sum(n * u[j] for n, u in zip(num_examples, updates)) for j in range(len(updates[0]))]


def avg_inverse(updates, num_examples):
    inv = 1 / np.asarray(num_examples, dtype=float)
    return weighted_average(updates, inv / inv.sum())


def local_no_shuffle(params, x, y, epochs, lr, batch_size, seed):
    w = [p.copy() for p in params]
    for _ in range(epochs):
        for start in range(0, len(y), batch_size):
            b = np.arange(start, min(start + batch_size, len(y)))
            w = [wi - lr * gi for wi, gi in zip(w, gradients(w, x[b], y[b]))]
    return w


def local_one_epoch(params, x, y, epochs, lr, batch_size, seed):
    return local_update(params, x, y, 1, lr, batch_size, seed)


def local_delta(params, x, y, epochs, lr, batch_size, seed):
    return [n - p for n, p in zip(local_update(params, x, y, epochs, lr, batch_size, seed),
                                  params)]


def local_ascent(params, x, y, epochs, lr, batch_size, seed):
    return local_update(params, x, y, epochs, -lr, batch_size, seed)


def local_shuffle_once(params, x, y, epochs, lr, batch_size, seed):
    order = np.random.default_rng(seed).permutation(len(y))
    w = [p.copy() for p in params]
    for _ in range(epochs):
        for start in range(0, len(y), batch_size):
            b = order[start:start + batch_size]
            w = [wi - lr * gi for wi, gi in zip(w, gradients(w, x[b], y[b]))]
    return w


def partition_iid(labels, n_clients, alpha, seed):
    return np.array_split(np.random.default_rng(seed).permutation(len(labels)), n_clients)


def partition_ignores_alpha(labels, n_clients, alpha, seed):
    return dirichlet_partition(labels, n_clients, 1.0, seed)


def partition_one_draw(labels, n_clients, alpha, seed):
    rng = np.random.default_rng(seed)
    shares = rng.dirichlet(np.full(n_clients, alpha))
    parts = [[] for _ in range(n_clients)]
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        for k, chunk in enumerate(np.split(idx, (np.cumsum(shares)[:-1] * len(idx)).astype(int))):
            parts[k].append(chunk)
    return [np.concatenate(p) for p in parts]


def partition_may_leave_empty(labels, n_clients, alpha, seed):
    rng = np.random.default_rng(seed)
    parts = [[] for _ in range(n_clients)]
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        cuts = (np.cumsum(rng.dirichlet(np.full(n_clients, alpha)))[:-1] * len(idx)).round()
        for k, chunk in enumerate(np.split(idx, cuts.astype(int))):
            parts[k].append(chunk)
    return [np.concatenate(p) for p in parts]


def partition_with_replacement(labels, n_clients, alpha, seed):
    rng = np.random.default_rng(seed)
    return [rng.choice(len(labels), len(labels) // n_clients) for _ in range(n_clients)]


def prox_no_mu(params, global_params, mu):
    return [w - g for w, g in zip(params, global_params)]


def prox_reversed(params, global_params, mu):
    return [mu * (g - w) for w, g in zip(params, global_params)]


def prox_half(params, global_params, mu):
    return [mu / 2 * (w - g) for w, g in zip(params, global_params)]


def prox_penalty(params, global_params, mu):
    return mu / 2 * sum(float(np.sum((w - g) ** 2)) for w, g in zip(params, global_params))


def flower_no_num_examples(arrays, config, x, y, client_id):
    out = flower_train(arrays, config, x, y, client_id)
    return RecordDict({"arrays": out["arrays"], "metrics": MetricRecord({"train_loss": 0.0})})


def flower_seed_only(arrays, config, x, y, client_id):
    params = arrays.to_numpy_ndarrays()
    new = local_sgd(params, x, y, epochs=config["local_epochs"], lr=config["lr"],
                    batch_size=config["batch_size"], mu=config["mu"],
                    rng=np.random.default_rng(config["seed"]))
    return RecordDict({"arrays": ArrayRecord(new),
                       "metrics": MetricRecord({"num-examples": len(y)})})


def flower_list(arrays, config, x, y, client_id):
    return flower_train(arrays, config, x, y, client_id)["arrays"].to_numpy_ndarrays()


def flower_ignores_mu(arrays, config, x, y, client_id):
    params = arrays.to_numpy_ndarrays()
    new = local_sgd(params, x, y, epochs=config["local_epochs"], lr=config["lr"],
                    batch_size=config["batch_size"],
                    rng=client_rng(config["seed"], config["server-round"], client_id))
    return RecordDict({"arrays": ArrayRecord(new),
                       "metrics": MetricRecord({"num-examples": len(y)})})


def flower_counts_batches(arrays, config, x, y, client_id):
    out = flower_train(arrays, config, x, y, client_id)
    return RecordDict({"arrays": out["arrays"],
                       "metrics": MetricRecord({"num-examples": -(-len(y) // 16)})})


def read_zero_based(accuracies, centralized, fraction=0.95):
    r = rounds_to_reach(accuracies, centralized, fraction)
    return None if r is None else r - 1


def read_strict(accuracies, centralized, fraction=0.95):
    for r, a in enumerate(accuracies, start=1):
        if a > fraction * centralized:
            return r
    return None


def read_accuracy(accuracies, centralized, fraction=0.95):
    r = rounds_to_reach(accuracies, centralized, fraction)
    return None if r is None else accuracies[r - 1]


def read_never_zero(accuracies, centralized, fraction=0.95):
    return rounds_to_reach(accuracies, centralized, fraction) or 0


WRONG = [
    ("L04.E2", "plain-mean", {"weighted_average": avg_plain_mean}, "plain mean"),
    ("L04.E2", "not-normalized", {"weighted_average": avg_not_normalized}, "without dividing"),
    ("L04.E2", "inverse", {"weighted_average": avg_inverse}, "1/n_k"),
    ("L04.E3", "no-shuffle", {"local_update": local_no_shuffle}, "never shuffled"),
    ("L04.E3", "one-epoch", {"local_update": local_one_epoch}, "single epoch"),
    ("L04.E3", "delta", {"local_update": local_delta}, "update Δ"),
    ("L04.E3", "ascent", {"local_update": local_ascent}, "stepped up"),
    ("L04.E3", "shuffle-once", {"local_update": local_shuffle_once}, "reused it"),
    ("L04.E1", "iid", {"dirichlet_partition": partition_iid}, "IID split"),
    ("L04.E1", "ignores-alpha", {"dirichlet_partition": partition_ignores_alpha},
     "alpha is ignored"),
    ("L04.E1", "one-draw", {"dirichlet_partition": partition_one_draw}, "one share vector"),
    ("L04.E1", "empty-client", {"dirichlet_partition": partition_may_leave_empty},
     "got no example"),
    ("L04.E1", "replacement", {"dirichlet_partition": partition_with_replacement},
     "not a partition"),
    ("L04.E4", "no-mu", {"proximal_gradient": prox_no_mu}, "forgot μ"),
    ("L04.E4", "reversed", {"proximal_gradient": prox_reversed}, "sign is reversed"),
    ("L04.E4", "half", {"proximal_gradient": prox_half}, "½ cancels"),
    ("L04.E4", "penalty", {"proximal_gradient": prox_penalty}, "penalty"),
    ("L04.E5", "no-num-examples", {"flower_train": flower_no_num_examples}, "num-examples"),
    ("L04.E5", "seed-only", {"flower_train": flower_seed_only}, "client_rng"),
    ("L04.E5", "list", {"flower_train": flower_list}, "RecordDict"),
    ("L04.E5", "ignores-mu", {"flower_train": flower_ignores_mu}, "ignored config['mu']"),
    ("L04.E5", "counts-batches", {"flower_train": flower_counts_batches}, "report len(y)"),
    ("L04.E6", "zero-based", {"rounds_to_reach": read_zero_based}, "0-based"),
    ("L04.E6", "strict", {"rounds_to_reach": read_strict}, "≥"),
    ("L04.E6", "accuracy", {"rounds_to_reach": read_accuracy}, "round number"),
    ("L04.E6", "never-zero", {"rounds_to_reach": read_never_zero}, "return None"),
]
