"""Right and typical wrong answers to Lesson 06's exercises."""

import numpy as np
from scipy.stats import binom, chisquare

from pets_helpers.attacks.membership import roc_auc, tpr_at_fpr
from pets_helpers.fl.secagg import prg_mask


# --- right answers (written as a learner would) ---------------------------------------------
def shamir_share(secret, n, t, prime, rng):
    coefficients = [secret] + [int(rng.integers(0, prime)) for _ in range(t - 1)]
    shares = []
    for x in range(1, n + 1):
        y = 0
        for c in reversed(coefficients):
            y = (y * x + c) % prime
        shares.append((x, y))
    return shares


def shamir_reconstruct(shares, prime):
    total = 0
    for i, (xi, yi) in enumerate(shares):
        num, den = 1, 1
        for j, (xj, _) in enumerate(shares):
            if j != i:
                num = num * xj % prime
                den = den * (xj - xi) % prime
        total += yi * num * pow(den, -1, prime)
    return total % prime


def shamir_share_powers(secret, n, t, prime, rng):
    coef = [secret] + [int(c) for c in rng.integers(0, prime, t - 1)]
    return [(x, sum(c * pow(x, k, prime) for k, c in enumerate(coef)) % prime)
            for x in range(1, n + 1)]


def mask_inputs(inputs, pair_seeds):
    out = {}
    for u, x in inputs.items():
        y = x.copy()
        for v in inputs:
            if v == u:
                continue
            mask = prg_mask(pair_seeds[(min(u, v), max(u, v))], len(x))
            if v > u:
                y += mask
            else:
                y -= mask
        out[u] = y
    return out


def mask_inputs_mirror(inputs, pair_seeds):
    out = {u: x.copy() for u, x in inputs.items()}
    for (a, b), seed in pair_seeds.items():
        mask = prg_mask(seed, len(inputs[a]))
        out[a] -= mask
        out[b] += mask
    return out


def recover_sum(masked_sum, survivors, dropped, pair_seeds):
    total = masked_sum.copy()
    for u in survivors:
        for v in dropped:
            mask = prg_mask(pair_seeds[(min(u, v), max(u, v))], len(total))
            if v > u:
                total -= mask
            else:
                total += mask
    return total


def chi2_uniform_pvalue(values, bins):
    top = (values >> np.uint64(64 - int(np.log2(bins)))).astype(np.int64)
    return chisquare(np.bincount(top, minlength=bins)).pvalue


def chi2_by_hand(values, bins):
    from scipy.stats import chi2
    counts = np.bincount((values // np.uint64(2**64 // bins)).astype(np.int64), minlength=bins)
    expected = len(values) / bins
    return chi2.sf(((counts - expected) ** 2 / expected).sum(), bins - 1)


def loss_attack_scores(probabilities, labels):
    p = probabilities[np.arange(len(labels)), labels]
    return np.log(np.maximum(p, 1e-12))


def loss_attack_negative_ce(probabilities, labels):
    p = np.clip(probabilities[np.arange(len(labels)), labels], 1e-15, 1)
    loss = -np.log(p)
    return -loss


def no_better_than_chance(member_scores, nonmember_scores, fpr):
    m = len(member_scores)
    return bool(tpr_at_fpr(member_scores, nonmember_scores, fpr) <= binom.isf(1e-6, m, fpr) / m)


RIGHT = {
    "L06.E1": {"shamir_share": shamir_share, "shamir_reconstruct": shamir_reconstruct},
    "L06.E2": {"mask_inputs": mask_inputs},
    "L06.E3": {"recover_sum": recover_sum},
    "L06.E4": {"chi2_uniform_pvalue": chi2_uniform_pvalue},
    "L06.E5": {"loss_attack_scores": loss_attack_scores},
    "L06.E6": {"no_better_than_chance": no_better_than_chance},
}
ALSO_RIGHT = [
    ("L06.E1", {"shamir_share": shamir_share_powers, "shamir_reconstruct": shamir_reconstruct}),
    ("L06.E2", {"mask_inputs": mask_inputs_mirror}),
    ("L06.E4", {"chi2_uniform_pvalue": chi2_by_hand}),
    ("L06.E5", {"loss_attack_scores": loss_attack_negative_ce}),
]


# --- wrong answers ---------------------------------------------------------------------------
def reconstruct_float(shares, prime):
    total = 0.0
    for i, (xi, yi) in enumerate(shares):
        lam = 1.0
        for j, (xj, _) in enumerate(shares):
            if j != i:
                lam *= xj / (xj - xi)
        total += yi * lam
    return total % prime


def reconstruct_no_mod(shares, prime):
    total = 0
    for i, (xi, yi) in enumerate(shares):
        num, den = 1, 1
        for j, (xj, _) in enumerate(shares):
            if j != i:
                num = num * xj % prime
                den = den * (xj - xi) % prime
        total += yi * num * pow(den, -1, prime)
    return total


def share_degree_t(secret, n, t, prime, rng):
    return shamir_share(secret, n, t + 1, prime, rng)


def share_at_zero(secret, n, t, prime, rng):
    coefficients = [secret] + [int(rng.integers(0, prime)) for _ in range(t - 1)]
    return [(x, sum(c * x**k for k, c in enumerate(coefficients)) % prime) for x in range(n)]


def share_constant(secret, n, t, prime, rng):
    return [(x, secret) for x in range(1, n + 1)]


def share_small_coefficients(secret, n, t, prime, rng):
    coefficients = [secret] + [int(rng.integers(0, 3)) for _ in range(t - 1)]
    return [(x, sum(c * x**k for k, c in enumerate(coefficients)) % prime)
            for x in range(1, n + 1)]


def mask_both_add(inputs, pair_seeds):
    out = {}
    for u, x in inputs.items():
        y = x.copy()
        for v in inputs:
            if v != u:
                y += prg_mask(pair_seeds[(min(u, v), max(u, v))], len(x))
        out[u] = y
    return out


def mask_one_side(inputs, pair_seeds):
    out = {}
    for u, x in inputs.items():
        y = x.copy()
        for v in inputs:
            if v > u:
                y += prg_mask(pair_seeds[(u, v)], len(x))
        out[u] = y
    return out


def mask_int64(inputs, pair_seeds):
    return {u: y.astype(np.int64) for u, y in mask_inputs(inputs, pair_seeds).items()}


def recover_wrong_sign(masked_sum, survivors, dropped, pair_seeds):
    total = masked_sum.copy()
    for u in survivors:
        for v in dropped:
            mask = prg_mask(pair_seeds[(min(u, v), max(u, v))], len(total))
            if v > u:
                total += mask
            else:
                total -= mask
    return total


def recover_all_pairs(masked_sum, survivors, dropped, pair_seeds):
    # symmetric: survivor–survivor removals cancel each other, so this is right too
    total = masked_sum.copy()
    for u in survivors:
        for v in list(survivors) + list(dropped):
            if v == u:
                continue
            mask = prg_mask(pair_seeds[(min(u, v), max(u, v))], len(total))
            if v > u:
                total -= mask
            else:
                total += mask
    return total


ALSO_RIGHT.append(("L06.E3", {"recover_sum": recover_all_pairs}))


def recover_only_larger(masked_sum, survivors, dropped, pair_seeds):
    total = masked_sum.copy()
    for u in survivors:
        for v in dropped:
            if v > u:
                total -= prg_mask(pair_seeds[(u, v)], len(total))
    return total


def recover_nothing(masked_sum, survivors, dropped, pair_seeds):
    return masked_sum


def chi2_low_bits(values, bins):
    return chisquare(np.bincount((values % np.uint64(bins)).astype(np.int64),
                                 minlength=bins)).pvalue


def chi2_float_histogram(values, bins):
    counts, _ = np.histogram(values.astype(float), bins=bins)
    return chisquare(counts).pvalue


def loss_attack_loss(probabilities, labels):
    return -np.log(np.maximum(probabilities[np.arange(len(labels)), labels], 1e-12))


def loss_attack_confidence(probabilities, labels):
    return probabilities.max(axis=1)


def loss_attack_no_floor(probabilities, labels):
    with np.errstate(divide="ignore"):
        return np.log(probabilities[np.arange(len(labels)), labels])


def chance_by_auc(member_scores, nonmember_scores, fpr):
    m, n = len(member_scores), len(nonmember_scores)
    return bool(abs(roc_auc(member_scores, nonmember_scores) - 0.5)
                <= 4.89 * np.sqrt((m + n + 1) / (12 * m * n)))


def chance_tpr_below_fpr(member_scores, nonmember_scores, fpr):
    return bool(tpr_at_fpr(member_scores, nonmember_scores, fpr) <= fpr)


WRONG = [
    ("L06.E1", "float", {"shamir_share": shamir_share, "shamir_reconstruct": reconstruct_float},
     "float"),
    ("L06.E1", "no-mod", {"shamir_share": shamir_share, "shamir_reconstruct": reconstruct_no_mod},
     "modulo p"),
    ("L06.E1", "degree-t", {"shamir_share": share_degree_t,
                            "shamir_reconstruct": shamir_reconstruct}, "degree t"),
    ("L06.E1", "x-zero", {"shamir_share": share_at_zero, "shamir_reconstruct": shamir_reconstruct},
     "x = 0"),
    ("L06.E1", "constant", {"shamir_share": share_constant,
                            "shamir_reconstruct": shamir_reconstruct}, "constant"),
    ("L06.E1", "small-coefficients", {"shamir_share": share_small_coefficients,
                                      "shamir_reconstruct": shamir_reconstruct}, "uniformly"),
    ("L06.E2", "both-add", {"mask_inputs": mask_both_add}, "both clients"),
    ("L06.E2", "one-side", {"mask_inputs": mask_one_side}, "must subtract"),
    ("L06.E2", "int64", {"mask_inputs": mask_int64}, "uint64"),
    ("L06.E3", "wrong-sign", {"recover_sum": recover_wrong_sign}, "wrong sign"),
    ("L06.E3", "only-larger", {"recover_sum": recover_only_larger}, "both cases"),
    ("L06.E3", "nothing", {"recover_sum": recover_nothing}, "unchanged"),
    ("L06.E4", "low-bits", {"chi2_uniform_pvalue": chi2_low_bits}, "low bits"),
    ("L06.E4", "float-histogram", {"chi2_uniform_pvalue": chi2_float_histogram}, "p-value"),
    ("L06.E5", "loss", {"loss_attack_scores": loss_attack_loss}, "returned the loss"),
    ("L06.E5", "confidence", {"loss_attack_scores": loss_attack_confidence}, "true label"),
    ("L06.E5", "no-floor", {"loss_attack_scores": loss_attack_no_floor}, "log(0)"),
    ("L06.E6", "auc", {"no_better_than_chance": chance_by_auc}, "judged by the AUC"),
    ("L06.E6", "tpr-vs-fpr", {"no_better_than_chance": chance_tpr_below_fpr},
     "binomial quantile"),
]
