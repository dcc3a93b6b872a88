"""Right and typical wrong answers to Lesson 09's exercises."""

import numpy as np
import pandas as pd

from pets_helpers.dp import dp_histogram, laplace_mechanism
from pets_helpers.synth import GowerEncoder, nearest_distances


# --- right answers (written as a learner would) ---------------------------------------------
def _counts(table, columns, domain):
    codes = [pd.Categorical(table[c], categories=domain[c]).codes for c in columns]
    shape = tuple(len(domain[c]) for c in columns)
    return np.ravel_multi_index(codes, shape), shape


def noisy_marginal(table, columns, domain, epsilon, rng):
    cells, shape = _counts(table, columns, domain)
    noisy = dp_histogram(cells, range(int(np.prod(shape))), epsilon, rng=rng)
    return noisy.to_numpy().reshape(shape)


def noisy_marginal_laplace_mechanism(table, columns, domain, epsilon, rng):
    cells, shape = _counts(table, columns, domain)
    exact = np.bincount(cells, minlength=int(np.prod(shape))).reshape(shape)
    return laplace_mechanism(exact, 1.0, epsilon, rng=rng, changed_entries=1)


def noisy_marginal_crosstab(table, columns, domain, epsilon, rng):
    a, b = columns
    exact = pd.crosstab(pd.Categorical(table[a], categories=domain[a]),
                        pd.Categorical(table[b], categories=domain[b]), dropna=False)
    return exact.to_numpy() + rng.laplace(0.0, 1.0 / epsilon, exact.shape)


def dcr_baseline(synthetic, train, holdout):
    encoder = GowerEncoder(pd.concat([train, holdout]))
    to_train = nearest_distances(synthetic, train, encoder)
    to_holdout = nearest_distances(synthetic, holdout, encoder)
    baseline = nearest_distances(holdout, train, encoder)
    share = np.mean(to_train < to_holdout) + 0.5 * np.mean(to_train == to_holdout)
    return {"synthetic_median": np.median(to_train), "baseline_median": np.median(baseline),
            "share_closer_to_train": share}


def dcr_baseline_default_encoders(synthetic, train, holdout):
    to_train = nearest_distances(synthetic, train)
    to_holdout = nearest_distances(synthetic, holdout)
    baseline = nearest_distances(holdout, train)
    closer = np.where(to_train == to_holdout, 0.5, (to_train < to_holdout).astype(float))
    return {"synthetic_median": float(np.median(to_train)),
            "baseline_median": float(np.median(baseline)),
            "share_closer_to_train": float(closer.mean())}


def noisy_mutual_information(counts):
    p = np.clip(counts, 0, None)
    p = p / p.sum()
    pa, pb = p.sum(1, keepdims=True), p.sum(0, keepdims=True)
    mask = p > 0
    return float(np.sum(p[mask] * np.log(p[mask] / (pa @ pb)[mask])))


def noisy_mutual_information_entropies(counts):
    p = np.clip(np.asarray(counts, float), 0, None).ravel()
    p2 = p.reshape(np.shape(counts)) / p.sum()

    def h(q):
        q = q[q > 0]
        return -np.sum(q * np.log(q))
    return h(p2.sum(1)) + h(p2.sum(0)) - h(p2.ravel())


def spanning_tree(scores):
    group = {c: c for pair in scores for c in pair}
    edges = []
    for a, b in sorted(scores, key=scores.get, reverse=True):
        if group[a] != group[b]:
            old = group[b]
            group.update({c: group[a] for c, g in group.items() if g == old})
            edges.append((a, b))
    return edges


def spanning_tree_prim(scores):
    nodes = list(dict.fromkeys(c for pair in scores for c in pair))
    inside, edges = {nodes[0]}, []
    while len(inside) < len(nodes):
        best = max((p for p in scores if (p[0] in inside) != (p[1] in inside)), key=scores.get)
        edges.append(best)
        inside |= set(best)
    return edges


def choose_release(results, min_quality):
    ok = results[results["dp"] & (results["quality"] >= min_quality)]
    return None if ok.empty else ok.sort_values("epsilon")["release"].iloc[0]


RIGHT = {
    "L09.E1": {"noisy_marginal": noisy_marginal},
    "L09.E2": {"dcr_baseline": dcr_baseline},
    "L09.E3": {"noisy_mutual_information": noisy_mutual_information},
    "L09.E4": {"spanning_tree": spanning_tree},
    "L09.E5": {"choose_release": choose_release},
}
ALSO_RIGHT = [
    ("L09.E1", {"noisy_marginal": noisy_marginal_laplace_mechanism}),
    ("L09.E1", {"noisy_marginal": noisy_marginal_crosstab}),
    ("L09.E2", {"dcr_baseline": dcr_baseline_default_encoders}),
    ("L09.E3", {"noisy_mutual_information": noisy_mutual_information_entropies}),
    ("L09.E4", {"spanning_tree": spanning_tree_prim}),
]


# --- wrong answers ---------------------------------------------------------------------------
def marginal_sensitivity_two(table, columns, domain, epsilon, rng):
    return noisy_marginal(table, columns, domain, epsilon / 2, rng)


def marginal_scale_epsilon(table, columns, domain, epsilon, rng):
    cells, shape = _counts(table, columns, domain)
    exact = np.bincount(cells, minlength=int(np.prod(shape))).reshape(shape)
    return exact + rng.laplace(0.0, epsilon, shape)


def marginal_value_counts(table, columns, domain, epsilon, rng):
    counts = table.groupby(list(columns)).size().to_numpy()
    return counts + rng.laplace(0.0, 1.0 / epsilon, counts.shape)


def marginal_no_noise(table, columns, domain, epsilon, rng):
    cells, shape = _counts(table, columns, domain)
    return np.bincount(cells, minlength=int(np.prod(shape))).reshape(shape)


def marginal_per_cell_budget(table, columns, domain, epsilon, rng):
    cells, shape = _counts(table, columns, domain)
    return noisy_marginal(table, columns, domain, epsilon / np.prod(shape), rng)


def marginal_clipped(table, columns, domain, epsilon, rng):
    return np.clip(noisy_marginal(table, columns, domain, epsilon, rng), 0, None)


def marginal_shares(table, columns, domain, epsilon, rng):
    noisy = noisy_marginal(table, columns, domain, epsilon, rng)
    return noisy / len(table)


def dcr_train_baseline(synthetic, train, holdout):
    out = dcr_baseline(synthetic, train, holdout)
    encoder = GowerEncoder(pd.concat([train, holdout]))
    out["baseline_median"] = float(np.median(nearest_distances(train, train, encoder)))
    return out


def dcr_ties_to_train(synthetic, train, holdout):
    out = dcr_baseline(synthetic, train, holdout)
    encoder = GowerEncoder(pd.concat([train, holdout]))
    out["share_closer_to_train"] = float(np.mean(nearest_distances(synthetic, train, encoder)
                                                 <= nearest_distances(synthetic, holdout, encoder)))
    return out


def dcr_holdout_to_synthetic(synthetic, train, holdout):
    out = dcr_baseline(synthetic, train, holdout)
    encoder = GowerEncoder(pd.concat([train, holdout]))
    out["baseline_median"] = float(np.median(nearest_distances(holdout, synthetic, encoder)))
    return out


def dcr_reversed(synthetic, train, holdout):
    out = dcr_baseline(synthetic, train, holdout)
    out["share_closer_to_train"] = 1 - out["share_closer_to_train"]
    return out


def mi_bits(counts):
    return noisy_mutual_information(counts) / np.log(2)


def mi_shifted(counts):
    return noisy_mutual_information(np.asarray(counts) - min(np.min(counts), 0))


def mi_unclipped_margins(counts):
    p = np.clip(counts, 0, None) / np.clip(counts, 0, None).sum()
    raw = np.asarray(counts, float) / np.sum(counts)
    pa, pb = raw.sum(1, keepdims=True), raw.sum(0, keepdims=True)
    mask = p > 0
    return float(np.sum(p[mask] * np.log(p[mask] / (pa @ pb)[mask])))


def tree_top_pairs(scores):
    nodes = {c for pair in scores for c in pair}
    return sorted(scores, key=scores.get, reverse=True)[:len(nodes) - 1]


def tree_minimum(scores):
    return spanning_tree({p: -s for p, s in scores.items()})


def tree_all_pairs(scores):
    return list(scores)


def release_best_quality(results, min_quality):
    return results.sort_values("quality")["release"].iloc[-1]


def release_attack_at_chance(results, min_quality):
    ok = results[(results["quality"] >= min_quality) & (results["auc"] < 0.52)]
    return ok.sort_values("quality")["release"].iloc[-1] if len(ok) else None


def release_largest_epsilon(results, min_quality):
    ok = results[results["dp"] & (results["quality"] >= min_quality)]
    return None if ok.empty else ok.sort_values("epsilon")["release"].iloc[-1]


def release_never_none(results, min_quality):
    dp = results[results["dp"]]
    return dp.sort_values("quality")["release"].iloc[-1]


WRONG = [
    ("L09.E1", "sensitivity-two", {"noisy_marginal": marginal_sensitivity_two}, "twice as large"),
    ("L09.E1", "scale-epsilon", {"noisy_marginal": marginal_scale_epsilon}, "ε as the noise scale"),
    ("L09.E1", "value-counts", {"noisy_marginal": marginal_value_counts}, "every combination"),
    ("L09.E1", "no-noise", {"noisy_marginal": marginal_no_noise}, "no noise"),
    ("L09.E1", "per-cell-budget", {"noisy_marginal": marginal_per_cell_budget}, "number of cells"),
    ("L09.E1", "clipped", {"noisy_marginal": marginal_clipped}, "clipped"),
    ("L09.E1", "shares", {"noisy_marginal": marginal_shares}, "shares"),
    ("L09.E2", "train-baseline", {"dcr_baseline": dcr_train_baseline}, "against themselves"),
    ("L09.E2", "ties-to-train", {"dcr_baseline": dcr_ties_to_train}, "ties"),
    ("L09.E2", "holdout-to-synthetic", {"dcr_baseline": dcr_holdout_to_synthetic},
     "against the synthetic"),
    ("L09.E2", "reversed", {"dcr_baseline": dcr_reversed}, "reversed"),
    ("L09.E3", "bits", {"noisy_mutual_information": mi_bits}, "bits"),
    ("L09.E3", "shifted", {"noisy_mutual_information": mi_shifted}, "instead of clipping"),
    ("L09.E3", "unclipped-margins", {"noisy_mutual_information": mi_unclipped_margins},
     "clipped"),
    ("L09.E4", "top-pairs", {"spanning_tree": tree_top_pairs}, "cycle"),
    ("L09.E4", "minimum", {"spanning_tree": tree_minimum}, "minimum spanning tree"),
    ("L09.E4", "all-pairs", {"spanning_tree": tree_all_pairs}, "exactly"),
    ("L09.E5", "best-quality", {"choose_release": release_best_quality}, "no privacy"),
    ("L09.E5", "attack-at-chance", {"choose_release": release_attack_at_chance},
     "not a guarantee"),
    ("L09.E5", "largest-epsilon", {"choose_release": release_largest_epsilon}, "smallest ε"),
    ("L09.E5", "never-none", {"choose_release": release_never_none}, "publishes nothing"),
]
