"""Lesson 09 — Synthetic tables: exercises, checks and hints.

Exercises
- L09.E1 (3 pts): ``noisy_marginal(table, columns, domain, epsilon, rng)``: an ε-DP two-way
  marginal over the public domain (sensitivity 1 for one person). Checked statistically: the
  noise of many calls must have mean 0 and the variance of (discrete or continuous) Laplace noise
  of scale 1/ε, within a region with false-fail ≤ 1e-6.
- L09.E2 (2 pts): ``dcr_baseline(synthetic, train, holdout)``: synthetic-to-train DCR against the
  real holdout baseline, and the share of synthetic rows closer to train (ties ½).
- L09.E3 (2 pts): ``noisy_mutual_information(counts)``: I(A; B) in nats from a noisy table.
- L09.E4 (2 pts): ``spanning_tree(scores)``: the maximum spanning tree of pair scores.
- L09.E5 (2 pts): ``choose_release(results, min_quality)``: which synthetic table a cautious
  office publishes, on results tables the learner has not seen.

References come from :mod:`pets_helpers.synth` on inputs that differ from the notebook's.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from ..dp import discrete_laplace_variance
from ..grading import Exercise, Lesson, Mistake
from ..grading.answers import as_array, as_float, case_rng
from ..grading.tolerance import FALSE_FAIL, z_score
from ..synth import (
    DPTreeSynthesizer,
    GowerEncoder,
    closer_to_train_share,
    copy_synthesizer,
    marginal_counts,
    maximum_spanning_tree,
    mutual_information,
    nearest_distances,
)
from ..synth.census_table import (
    CENSUS_DOMAIN,
    categorical_domain,
    census_people,
    split_train_holdout,
)

SEED = 20260909


def _rng(offset: int = 0):
    return case_rng(SEED, offset)


def _people():
    return census_people()


# --- L09.E1: a noisy marginal ----------------------------------------------------------------
MARGINAL_CASES = [(("relationship", "area"), 0.5, 700, 25), (("area", "education"), 2.0, 1000, 25)]


def _exact(table, columns, domain):
    codes = np.column_stack([pd.Index(domain[c]).get_indexer(table[c]) for c in columns])
    return marginal_counts(codes, [len(domain[c]) for c in columns]).astype(float)


def check_noisy_marginal(ns):
    people = _people()
    domain = categorical_domain()
    for k, (columns, eps, rows, calls) in enumerate(MARGINAL_CASES):
        # no same-sex couples in these samples: their cells are empty but must still be released
        pool = people[people["relationship"] != "same-sex spouse/partner"]
        table = pool.sample(rows, random_state=SEED + k)[list(columns)].reset_index(drop=True)
        exact = _exact(table, columns, domain)
        shape = exact.shape
        noise, empty_min = [], math.inf
        for i in range(calls):
            got = ns.call("noisy_marginal", table.copy(), list(columns), domain, eps,
                          _rng(100 * k + i))
            arr = np.asarray(got, dtype=float) if not isinstance(got, pd.DataFrame) \
                else got.to_numpy(dtype=float)
            if arr.size != exact.size:
                raise Mistake(f"Your marginal has {arr.size} cells, but the public domain of "
                              f"{' × '.join(columns)} has {exact.size} ({shape[0]} × "
                              f"{shape[1]}). Return a count for EVERY combination, also the "
                              f"empty ones (value_counts/groupby list only combinations that "
                              f"occur — which itself leaks who is there).")
            arr = as_array(arr.reshape(shape) if arr.ndim == 1 else arr, shape,
                           "noisy_marginal", "one noisy count per cell of the domain")
            if abs(arr.sum() - 1.0) < 0.2 and rows > 10:
                raise Mistake("Your cells sum to about 1: you returned shares. Return noisy "
                              "COUNTS — the sensitivity 1 is for counts; a share changes by "
                              "1/n, and n itself is private.")
            noise.append((arr - exact).ravel())
            if (exact == 0).any():
                empty_min = min(empty_min, float(arr[exact == 0].min()))
        noise = np.concatenate(noise)
        t = 1.0 / eps
        low, high = discrete_laplace_variance(t), 2.0 * t * t
        # two cases × (variance, mean) tests: each at FALSE_FAIL/4; Laplace: Var(s²) ≈ 5σ⁴/N
        z = z_score(FALSE_FAIL / 4)
        slack = z * math.sqrt(5.0 / noise.size)
        var, mean = float(noise.var()), float(noise.mean())
        case = f"({' × '.join(columns)}, ε = {eps}: noise variance {var:.3g}, expected " \
               f"{low:.3g}–{high:.3g})"
        if var == 0.0:
            raise Mistake(f"Your counts are exact: no noise was added. Release each cell with "
                          f"Laplace noise of scale 1/ε (e.g. pets_helpers.dp.dp_histogram). {case}")
        if empty_min >= 0:
            raise Mistake(f"None of your counts for EMPTY cells was ever negative: you clipped "
                          f"(or rounded up) the noisy counts, which biases them upward. Release "
                          f"the raw noisy counts; clipping at 0 is post-processing for later. "
                          f"{case}")
        if low * (1 - slack) <= var <= high * (1 + slack):
            if abs(mean) > z * math.sqrt(var / noise.size):
                raise Mistake(f"Your noise is biased (mean {mean:.3g} per cell): it must be "
                              f"centred on 0. {case}")
            continue
        ratio = var / high
        if 2.5 <= ratio <= 5.5:
            raise Mistake(f"Your noise is twice as large as needed (variance ×{ratio:.1f}): "
                          f"adding or removing ONE person changes exactly one cell by 1, "
                          f"whatever the number of columns — the L1 sensitivity is 1, so the "
                          f"scale is 1/ε, not 2/ε. {case}")
        if math.isclose(var, 2 * eps ** 2, rel_tol=3 * slack) or \
                math.isclose(var, discrete_laplace_variance(eps), rel_tol=3 * slack):
            raise Mistake(f"You used ε as the noise scale. The Laplace scale is sensitivity/ε "
                          f"= 1/ε: smaller ε means MORE noise. {case}")
        if ratio > 10:
            raise Mistake(f"Far too much noise (variance ×{ratio:.0f}): did you scale by the "
                          f"number of cells? One person sits in one cell only, so the "
                          f"sensitivity is 1, not the table size. {case}")
        raise Mistake(f"The noise has the wrong size: Laplace noise of scale 1/ε has variance "
                      f"≈ 2/ε². {case}")
    return ("Sensitivity 1 for any number of columns: a marginal is a histogram over a public "
            "domain. Each extra column multiplies the cells, not the noise per cell — but the "
            "same noise then spreads over more, emptier cells.")


# --- L09.E2: the DCR baseline ------------------------------------------------------------------
DCR_KEYS = ("synthetic_median", "baseline_median", "share_closer_to_train")


def _dcr_cases():
    people = _people()
    train, holdout = split_train_holdout(people, 600, seed=SEED % 1000)
    dp_rows = DPTreeSynthesizer(1.0, CENSUS_DOMAIN).fit(train, rng=SEED).sample(600, rng=SEED)
    cats = ["sex", "education"]
    return [("a DP synthesizer", dp_rows, train, holdout),
            ("the copying 'synthesizer'", copy_synthesizer(train, seed=1), train, holdout),
            ("categorical columns only (many ties)", dp_rows[cats], train[cats], holdout[cats])]


def _reference_dcr(synthetic, train, holdout):
    encoder = GowerEncoder(pd.concat([train, holdout], ignore_index=True))
    to_train = nearest_distances(synthetic, train, encoder)
    to_holdout = nearest_distances(synthetic, holdout, encoder)
    baseline = nearest_distances(holdout, train, encoder)
    return {"synthetic_median": float(np.median(to_train)),
            "baseline_median": float(np.median(baseline)),
            "share_closer_to_train": closer_to_train_share(to_train, to_holdout),
            "_to_train": to_train, "_to_holdout": to_holdout, "_encoder": encoder}


def _close(a: float, b: float, rel: float = 0.05, abs_: float = 2e-3) -> bool:
    return abs(a - b) <= max(abs_, rel * abs(b))


def check_dcr_baseline(ns):
    for label, synthetic, train, holdout in _dcr_cases():
        got = ns.call("dcr_baseline", synthetic.copy(), train.copy(), holdout.copy())
        if not isinstance(got, dict) or set(DCR_KEYS) - set(got):
            raise Mistake(f"dcr_baseline should return a dict with the keys {list(DCR_KEYS)}, "
                          f"got {got!r:.120}.")
        values = {k: as_float(got[k], f"dcr_baseline()[{k!r}]") for k in DCR_KEYS}
        ref = _reference_dcr(synthetic, train, holdout)
        case = f"(case: {label})"
        if not _close(values["synthetic_median"], ref["synthetic_median"]):
            raise Mistake(f"synthetic_median is {values['synthetic_median']:.4g}, expected "
                          f"{ref['synthetic_median']:.4g}: the median over synthetic rows of "
                          f"the distance to their closest TRAINING row. {case}")
        if not _close(values["baseline_median"], ref["baseline_median"]):
            if values["baseline_median"] == 0.0 and ref["baseline_median"] > 0:
                raise Mistake(f"Your baseline is 0: you measured the training rows against "
                              f"themselves (each finds itself at distance 0). The baseline is "
                              f"the holdout — real people the synthesizer never saw — measured "
                              f"against the training rows. {case}")
            other = float(np.median(nearest_distances(holdout, synthetic, ref["_encoder"])))
            if _close(values["baseline_median"], other):
                raise Mistake(f"Your baseline measures holdout rows against the SYNTHETIC "
                              f"table. The baseline must answer 'how close does a fresh real "
                              f"person come to the training rows?': holdout → train. {case}")
            raise Mistake(f"baseline_median is {values['baseline_median']:.4g}, expected "
                          f"{ref['baseline_median']:.4g} (median distance from each holdout "
                          f"row to its closest training row). {case}")
        share, want = values["share_closer_to_train"], ref["share_closer_to_train"]
        if abs(share - want) <= 0.03:
            continue
        a, b = ref["_to_train"], ref["_to_holdout"]
        if abs(share - float(np.mean(a <= b))) <= 0.03:
            raise Mistake(f"Ties count as closer to train in your share ({share:.3f}; expected "
                          f"{want:.3f}). A row exactly as close to both sets says nothing about "
                          f"memorisation: count ties as ½ (a perfect synthesizer then scores "
                          f"0.5). {case}")
        if abs(share - (1 - want)) <= 0.03:
            raise Mistake(f"Your share is reversed ({share:.3f} vs {want:.3f}): it should be "
                          f"the share of synthetic rows closer to TRAIN than to the holdout. "
                          f"{case}")
        raise Mistake(f"share_closer_to_train is {share:.3f}, expected {want:.3f}. {case}")
    return ("The copying synthesizer sits at a DCR far below the real baseline and ~100 % "
            "closer to train; the DP one looks like a fresh sample (≈ 50 %). With a holdout "
            "smaller than the training set, even a perfect synthesizer would score above 50 %.")


# --- L09.E3: mutual information from noisy counts ---------------------------------------------
def _noisy_tables():
    rng = _rng(7)
    out = []
    for shape, strength in (((4, 3), 3.0), ((6, 5), 0.0), ((2, 8), 1.5), ((10, 6), 0.8)):
        base = rng.gamma(1.0, 20.0, shape)
        base += strength * 30 * np.eye(*shape)
        out.append(np.round(base + rng.laplace(0, 8.0, shape)))
    return out


def check_noisy_mutual_information(ns):
    for counts in _noisy_tables():
        got = as_float(ns.call("noisy_mutual_information", counts.copy()),
                       "noisy_mutual_information")
        want = mutual_information(counts)
        case = f"(a {counts.shape[0]}×{counts.shape[1]} table with {int((counts < 0).sum())} " \
               f"negative cells: expected {want:.5f} nats, got {got:.5f})"
        if math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-9):
            continue
        if want > 0 and math.isclose(got, want / math.log(2), rel_tol=1e-6):
            raise Mistake(f"That is in bits (log base 2). Use the natural log — nats — like the "
                          f"rest of the course (ε is in nats too). {case}")
        shifted = counts - min(counts.min(), 0)
        if math.isclose(got, mutual_information(shifted), rel_tol=1e-6, abs_tol=1e-9):
            raise Mistake(f"You shifted the whole table up instead of clipping: adding a "
                          f"constant to every cell flattens the dependence. Set negative noisy "
                          f"counts to 0 (np.clip(counts, 0, None)), then normalise. {case}")
        raise Mistake(f"Clip negative noisy counts to 0, normalise to p(a, b), take the "
                      f"margins p(a), p(b) of the CLIPPED table and sum p·ln(p/(p(a)p(b))) over "
                      f"cells with p > 0. {case}")
    return ("MI of a noisy table is biased upward — noise looks like dependence — and more so "
            "for tables with many cells: at small ε the tree can pick noise.")


# --- L09.E4: the maximum spanning tree -----------------------------------------------------
def _score_cases():
    rng = _rng(11)
    cases = []
    for names in (["area", "sex", "age", "education", "relationship", "income"],
                  ["a", "b", "c", "d"], ["x", "y", "z"]):
        pairs = list(itertools.combinations(names, 2))
        values = rng.permutation(len(pairs)) + rng.random(len(pairs)) * 0.5
        cases.append({p: float(v) / 10 for p, v in zip(pairs, values)})
    # a case where the 3 heaviest pairs form a cycle
    cases.append({("a", "b"): 0.9, ("b", "c"): 0.8, ("a", "c"): 0.7, ("c", "d"): 0.1,
                  ("a", "d"): 0.05, ("b", "d"): 0.02})
    return cases


def _edges(value, name):
    try:
        edges = [tuple(e) for e in value]
    except TypeError:
        raise Mistake(f"{name} should return a list of pairs such as [('age', 'income'), …], "
                      f"got {value!r:.80}.") from None
    if not all(len(e) == 2 for e in edges):
        raise Mistake(f"{name} should return pairs of column names, got {edges!r:.120}.")
    return edges


def _weight(scores, edges) -> float:
    lookup = {frozenset(p): s for p, s in scores.items()}
    return sum(lookup.get(frozenset(e), 0.0) for e in edges)


def check_spanning_tree(ns):
    for scores in _score_cases():
        nodes = list(dict.fromkeys(itertools.chain.from_iterable(scores)))
        got = _edges(ns.call("spanning_tree", dict(scores)), "spanning_tree")
        want = {frozenset(e) for e in maximum_spanning_tree(scores, nodes)}
        mine = {frozenset(e) for e in got}
        if mine == want and len(got) == len(want):
            continue
        heaviest = {frozenset(p) for p in sorted(scores, key=scores.get)[::-1][:len(nodes) - 1]}
        if mine == heaviest:
            raise Mistake(f"You kept the {len(nodes) - 1} heaviest pairs, but they form a cycle "
                          f"and leave a column unconnected: a tree can't be sampled column by "
                          f"column then. Add pairs heaviest first, SKIPPING any pair whose two "
                          f"columns are already connected (Kruskal).")
        lightest = {frozenset(e) for e in maximum_spanning_tree({p: -s for p, s in scores.items()},
                                                                 nodes)}
        if mine == lightest:
            raise Mistake("That is the MINIMUM spanning tree: it keeps the weakest dependences. "
                          "Sort the pairs by mutual information from the largest down.")
        if len(got) != len(nodes) - 1:
            raise Mistake(f"A spanning tree of {len(nodes)} columns has exactly "
                          f"{len(nodes) - 1} edges; you returned {len(got)}.")
        raise Mistake(f"Not the maximum spanning tree: your edges weigh "
                      f"{_weight(scores, mine):.3f}, the best tree {_weight(scores, want):.3f}.")
    return ("d − 1 pairs model all d columns; each edge is a two-way marginal the synthesizer "
            "measures, and every column is sampled given its parent.")


# --- L09.E5: which release to publish -----------------------------------------------------
def _results_cases():
    rng = _rng(13)
    cases = []
    for k in range(4):
        eps = sorted(rng.choice([0.1, 0.3, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0], 4, replace=False))
        quality = np.sort(rng.uniform(0.75, 0.95, 4))
        rows = [{"release": f"DP tree ε={e:g}", "dp": True, "epsilon": float(e),
                 "quality": float(q), "auc": float(0.5 + rng.normal(0, 0.005))}
                for e, q in zip(eps, quality)]
        rows += [
            {"release": "copy + noise", "dp": False, "epsilon": math.inf, "quality": 0.99,
             "auc": 0.99},
            {"release": "GaussianCopula", "dp": False, "epsilon": math.inf,
             "quality": float(quality[-1] + 0.01), "auc": 0.501},
            {"release": "CTGAN", "dp": False, "epsilon": math.inf, "quality": 0.8, "auc": 0.5},
        ]
        table = pd.DataFrame(rows).sample(frac=1.0, random_state=k).reset_index(drop=True)
        threshold = float(quality[1] - 0.001) if k else 0.99   # the first case: none is enough
        cases.append((table, threshold))
    return cases


def _answer(table: pd.DataFrame, min_quality: float):
    ok = table[table["dp"] & (table["quality"] >= min_quality)]
    return None if ok.empty else str(ok.sort_values("epsilon").iloc[0]["release"])


def check_choose_release(ns):
    for table, threshold in _results_cases():
        got = ns.call("choose_release", table.copy(), threshold)
        want = _answer(table, threshold)
        if got is not None and not isinstance(got, str):
            raise Mistake(f"choose_release should return the 'release' name (a string) or None, "
                          f"got {type(got).__name__} {got!r:.60}.")
        if got == want:
            continue
        row = table[table["release"] == got]
        if got is not None and row.empty:
            raise Mistake(f"{got!r} is not one of the releases in the table.")
        if got is not None and not bool(row["dp"].iloc[0]):
            if row["auc"].iloc[0] < 0.55:
                raise Mistake(f"You chose {got!r}: its membership attack is at chance, but one "
                              f"failed attack is not a guarantee — a better attack, or a rare "
                              f"person, may still be exposed. Only the DP releases bound what "
                              f"ANY attack can learn about one person.")
            raise Mistake(f"You chose {got!r}, the highest quality — and no privacy: its "
                          f"membership attack reaches AUC {row['auc'].iloc[0]:.2f}.")
        if want is None:
            raise Mistake(f"No DP release reaches quality {threshold:.3f} here, so a cautious "
                          f"office publishes nothing (return None) rather than a table that "
                          f"does not serve its users; you chose {got!r}.")
        if got is None:
            raise Mistake(f"{want!r} is a DP release that reaches quality {threshold:.3f}: "
                          f"publish it rather than nothing.")
        if float(row["quality"].iloc[0]) < threshold:
            raise Mistake(f"{got!r} has quality {float(row['quality'].iloc[0]):.3f}, below the "
                          f"required {threshold:.3f}.")
        raise Mistake(f"{got!r} is useful enough but spends more ε than needed: among the DP "
                      f"releases that reach the quality bar, take the SMALLEST ε (here {want!r}).")
    return ("The office's rule: a proof for every person (DP), the smallest ε that still serves "
            "the users — and the honesty to publish nothing when no ε does.")


HINT_MARGINAL = (
    "A marginal is a histogram over every combination of the columns' PUBLIC categories. "
    "Adding or removing one person changes how many cells, by how much?",
    "Count with codes: pd.Categorical(table[c], categories=domain[c]).codes gives each row's "
    "category index; np.ravel_multi_index combines two columns into one cell index.",
    "cells = np.ravel_multi_index(codes, shape); noisy = dp_histogram(cells, range(np.prod(shape)), "
    "epsilon, rng=rng); return noisy.to_numpy().reshape(shape)",
)
HINT_DCR = (
    "Three distance sets: synthetic → train, synthetic → holdout, holdout → train. Use ONE "
    "GowerEncoder fitted on train and holdout together, so all distances share a scale.",
    "nearest_distances(queries, reference, encoder) gives each query row's distance to its "
    "closest reference row. The baseline is what a fresh real person looks like: holdout → train.",
    "share = mean(d_train < d_holdout) + 0.5 * mean(d_train == d_holdout); return the medians "
    "of synthetic→train and holdout→train, and that share.",
)
HINT_MI = (
    "Noise makes some counts negative; probabilities can't be. What is the smallest change that "
    "fixes that?",
    "Clip at 0, divide by the total to get p(a, b), and take p(a) and p(b) as the row and "
    "column sums of that clipped, normalised table.",
    "MI = Σ over cells with p > 0 of p · ln(p / (p(a) · p(b))) — natural log, so nats.",
)
HINT_TREE = (
    "A spanning tree of d columns has d − 1 edges and no cycle. Which pairs would you add first "
    "if you want the strongest dependences?",
    "Kruskal: sort the pairs by score, largest first; add a pair unless its two columns are "
    "already connected through the edges you kept.",
    "Track connected groups with a dict column → group label; when you add (a, b), relabel b's "
    "whole group as a's. Stop at d − 1 edges.",
)
HINT_RELEASE = (
    "Which rows come with a guarantee for every person, whatever the attacker tries? An attack "
    "at chance on one run is evidence, not a proof.",
    "Keep the DP rows whose quality reaches min_quality. Among those, which ε protects people "
    "best?",
    "ok = results[results.dp & (results.quality >= min_quality)]; return None if ok is empty, "
    "else the 'release' of the row with the smallest epsilon.",
)

LESSON = Lesson("L09", "Synthetic tables", "09_synthetic_tables", (
    Exercise("L09.E1", "A noisy marginal with the right sensitivity", 3, check_noisy_marginal,
             HINT_MARGINAL, shortcuts=("pets_helpers.synth.marginals:noisy_marginal",)),
    Exercise("L09.E2", "Distance to closest record against a real baseline", 2,
             check_dcr_baseline, HINT_DCR,
             shortcuts=("pets_helpers.synth.privacy:dcr_comparison",
                        "pets_helpers.synth.privacy:closer_to_train_share")),
    Exercise("L09.E3", "Mutual information from noisy counts", 2,
             check_noisy_mutual_information, HINT_MI,
             shortcuts=("pets_helpers.synth.marginals:mutual_information",)),
    Exercise("L09.E4", "Choosing the tree's edges", 2, check_spanning_tree, HINT_TREE,
             shortcuts=("pets_helpers.synth.marginals:maximum_spanning_tree",)),
    Exercise("L09.E5", "Which table should the office publish?", 2, check_choose_release,
             HINT_RELEASE),
), cell_timeout=300)   # CTGAN's cell on a loaded machine
