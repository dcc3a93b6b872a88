"""Right and typical wrong answers to Lesson 08's exercises."""

import numpy as np
import tenseal as ts

from pets_helpers.he import CKKSParams, make_context


# --- right answers (written as a learner would) ---------------------------------------------
def fit_sigmoid(bound, max_error):
    t = np.linspace(-1, 1, 2001)
    target = 1 / (1 + np.exp(-bound * t))
    for degree in range(1, 16):
        coef = np.polynomial.polynomial.polyfit(t, target, degree)
        if np.max(np.abs(np.polynomial.polynomial.polyval(t, coef) - target)) <= max_error:
            return coef
    raise ValueError("no degree up to 15 is accurate enough")


def fit_sigmoid_odd_degrees(bound, max_error):
    """Also right: only odd degrees (σ − 1/2 is odd), with np.polyfit reversed, 1001 points."""
    t = np.linspace(-1, 1, 1001)
    target = 1 / (1 + np.exp(-bound * t))
    for degree in range(1, 16, 2):
        coef = np.polyfit(t, target, degree)[::-1]
        if np.max(np.abs(np.polynomial.polynomial.polyval(t, coef) - target)) <= 0.98 * max_error:
            return list(coef)
    raise ValueError("no degree up to 15 is accurate enough")


def score_batch(columns, context, weights, bias, coefficients):
    ctx = ts.context_from(context)
    cols = [ts.ckks_vector_from(ctx, c) for c in columns]
    acc = cols[0] * float(weights[0])
    for col, w in zip(cols[1:], weights[1:]):
        acc += col * float(w)
    acc += bias
    return acc.polyval(list(coefficients)).serialize()


def poly_threshold(threshold, coefficients, bound):
    return np.polynomial.polynomial.polyval(np.log(threshold / (1 - threshold)) / bound,
                                            coefficients)


def client_contexts(params):
    ctx = make_context(CKKSParams(**params))
    pub = ctx.copy()
    pub.make_context_public()
    return ctx.serialize(save_secret_key=True), pub.serialize(save_galois_keys=False)


RIGHT = {
    "L08.E1": {"fit_sigmoid": fit_sigmoid},
    "L08.E2": {"score_batch": score_batch},
    "L08.E3": {"poly_threshold": poly_threshold},
    "L08.E4": {"client_contexts": client_contexts},
}
ALSO_RIGHT = [
    ("L08.E1", {"fit_sigmoid": fit_sigmoid_odd_degrees}),
]


# --- wrong answers ---------------------------------------------------------------------------
def fit_highest_first(bound, max_error):
    return np.asarray(fit_sigmoid(bound, max_error))[::-1]


def fit_no_rescale(bound, max_error):
    """Fits σ(t) instead of σ(A·t)."""
    return fit_sigmoid(1.0, max_error)


def fit_always_cubic(bound, max_error):
    t = np.linspace(-1, 1, 2001)
    return np.polynomial.polynomial.polyfit(t, 1 / (1 + np.exp(-bound * t)), 3)


def fit_degree_nine(bound, max_error):
    """Accurate, but always degree 9: four levels."""
    t = np.linspace(-1, 1, 2001)
    return np.polynomial.polynomial.polyfit(t, 1 / (1 + np.exp(-bound * t)), 9)


def fit_even_degree(bound, max_error):
    """Steps through degrees but lands on an even one that costs a level more."""
    coef = list(fit_sigmoid(bound, max_error))
    return coef + [1e-9]


def score_cleartext_then_encrypt(columns, context, weights, bias, coefficients):
    """Decrypts the features to score them in the clear, then encrypts the scores."""
    ctx = ts.context_from(context)
    x = np.column_stack([ts.ckks_vector_from(ctx, c).decrypt() for c in columns])
    scores = np.polynomial.polynomial.polyval(x @ weights + bias, coefficients)
    return ts.ckks_vector(ctx, scores.tolist()).serialize()


def score_plain_numbers(columns, context, weights, bias, coefficients):
    return np.zeros(len(columns))


def score_no_bias(columns, context, weights, bias, coefficients):
    return score_batch(columns, context, weights, 0.0, coefficients)


def score_reversed(columns, context, weights, bias, coefficients):
    return score_batch(columns, context, weights, bias, list(coefficients)[::-1])


def score_no_polynomial(columns, context, weights, bias, coefficients):
    return score_batch(columns, context, weights, bias, [0.0, 1.0])


def score_own_key(columns, context, weights, bias, coefficients):
    """Encrypts made-up columns under a context of its own."""
    ctx = make_context(CKKSParams(8192, (50, 36, 36, 36, 60), 36))
    fake = [ts.ckks_vector(ctx, [0.0] * 10).serialize() for _ in columns]
    return score_batch(fake, ctx.serialize(), weights, bias, coefficients)


def threshold_np_polyval(threshold, coefficients, bound):
    return np.polyval(coefficients, np.log(threshold / (1 - threshold)) / bound)


def threshold_tau(threshold, coefficients, bound):
    return threshold


def threshold_no_division(threshold, coefficients, bound):
    return np.polynomial.polynomial.polyval(np.log(threshold / (1 - threshold)), coefficients)


def threshold_logit(threshold, coefficients, bound):
    return np.log(threshold / (1 - threshold)) / bound


def contexts_secret_sent(params):
    ctx = make_context(CKKSParams(**params))
    blob = ctx.serialize(save_secret_key=True)
    return blob, blob


def contexts_in_place(params):
    ctx = make_context(CKKSParams(**params))
    ctx.make_context_public()
    return ctx.serialize(), ctx.serialize()


def contexts_no_secret_flag(params):
    ctx = make_context(CKKSParams(**params))
    pub = ctx.copy()
    pub.make_context_public()
    return ctx.serialize(), pub.serialize(save_galois_keys=False)


def contexts_two_keys(params):
    ctx = make_context(CKKSParams(**params))
    other = make_context(CKKSParams(**params))
    other.make_context_public()
    return ctx.serialize(save_secret_key=True), other.serialize()


def contexts_galois(params):
    ctx = make_context(CKKSParams(**params), galois_keys=True)
    pub = ctx.copy()
    pub.make_context_public()
    return ctx.serialize(save_secret_key=True), pub.serialize()


WRONG = [
    ("L08.E1", "highest-first", {"fit_sigmoid": fit_highest_first}, "lowest degree first"),
    ("L08.E1", "no-rescale", {"fit_sigmoid": fit_no_rescale}, "σ(A·t)"),
    ("L08.E1", "always-cubic", {"fit_sigmoid": fit_always_cubic}, "not accurate enough"),
    ("L08.E1", "degree-nine", {"fit_sigmoid": fit_degree_nine}, "more expensive than needed"),
    ("L08.E1", "even-degree", {"fit_sigmoid": fit_even_degree}, "more expensive than needed"),
    ("L08.E2", "clear-then-encrypt", {"score_batch": score_cleartext_then_encrypt},
     "tried to decrypt"),
    ("L08.E2", "numbers", {"score_batch": score_plain_numbers}, "serialized"),
    ("L08.E2", "no-bias", {"score_batch": score_no_bias}, "forgot the bias"),
    ("L08.E2", "reversed", {"score_batch": score_reversed}, "wrong order"),
    ("L08.E2", "no-polynomial", {"score_batch": score_no_polynomial}, "polyval"),
    ("L08.E2", "own-key", {"score_batch": score_own_key}, "garbage"),
    ("L08.E3", "np-polyval", {"poly_threshold": threshold_np_polyval}, "highest degree first"),
    ("L08.E4", "no-secret-flag", {"client_contexts": contexts_no_secret_flag},
     "save_secret_key=True"),
    ("L08.E3", "tau", {"poly_threshold": threshold_tau}, "kept τ itself"),
    ("L08.E3", "no-division", {"poly_threshold": threshold_no_division}, "without dividing"),
    ("L08.E3", "logit", {"poly_threshold": threshold_logit}, "threshold on the logit"),
    ("L08.E4", "secret-sent", {"client_contexts": contexts_secret_sent}, "secret key"),
    ("L08.E4", "in-place", {"client_contexts": contexts_in_place}, "in place"),
    ("L08.E4", "two-keys", {"client_contexts": contexts_two_keys}, "different key pairs"),
    ("L08.E4", "galois", {"client_contexts": contexts_galois}, "galois keys"),
]
