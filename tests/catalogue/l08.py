"""Right and typical wrong answers to Lesson 08's exercises."""

import numpy as np
import tenseal as ts

from pets_helpers.he import CKKSParams, make_context


# --- right answers (written as a learner would) ---------------------------------------------
def fit_sigmoid(bound, degree):
    t = np.linspace(-1, 1, 2001)
    return np.polynomial.polynomial.polyfit(t, 1 / (1 + np.exp(-bound * t)), degree)


def fit_sigmoid_polyfit_reversed(bound, degree):
    t = np.linspace(-1, 1, 1001)
    return list(np.polyfit(t, 1 / (1 + np.exp(-bound * t)), degree)[::-1])


def score_batch(features, weights, bias, coefficients, params):
    ctx = make_context(CKKSParams(**params))
    cols = [ts.ckks_vector(ctx, features[:, j].tolist()) for j in range(features.shape[1])]
    acc = cols[0] * float(weights[0])
    for col, w in zip(cols[1:], weights[1:]):
        acc += col * float(w)
    acc += bias
    return np.array(acc.polyval(list(coefficients)).decrypt())[: len(features)]


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
    ("L08.E1", {"fit_sigmoid": fit_sigmoid_polyfit_reversed}),
]


# --- wrong answers ---------------------------------------------------------------------------
def fit_highest_first(bound, degree):
    t = np.linspace(-1, 1, 2001)
    return np.polyfit(t, 1 / (1 + np.exp(-bound * t)), degree)


def fit_no_rescale(bound, degree):
    t = np.linspace(-1, 1, 2001)
    return np.polynomial.polynomial.polyfit(t, 1 / (1 + np.exp(-t)), degree)


def fit_degree_too_low(bound, degree):
    return fit_sigmoid(bound, 1)


def score_cleartext(features, weights, bias, coefficients, params):
    return np.polynomial.polynomial.polyval(features @ weights + bias, coefficients)


def score_no_bias(features, weights, bias, coefficients, params):
    return score_batch(features, weights, 0.0, coefficients, params)


def score_reversed(features, weights, bias, coefficients, params):
    return score_batch(features, weights, bias, list(coefficients)[::-1], params)


def score_all_slots(features, weights, bias, coefficients, params):
    ctx = make_context(CKKSParams(**params))
    padded = np.zeros((4096, features.shape[1]))
    padded[: len(features)] = features
    cols = [ts.ckks_vector(ctx, padded[:, j].tolist()) for j in range(features.shape[1])]
    acc = sum((c * float(w) for c, w in zip(cols[1:], weights[1:])), cols[0] * float(weights[0]))
    return np.array((acc + bias).polyval(list(coefficients)).decrypt())


def score_no_polynomial(features, weights, bias, coefficients, params):
    return score_batch(features, weights, bias, [0.0, 1.0], params)


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
    ("L08.E1", "degree-too-low", {"fit_sigmoid": fit_degree_too_low}, "coefficients"),
    ("L08.E2", "cleartext", {"score_batch": score_cleartext}, "in the clear"),
    ("L08.E2", "no-bias", {"score_batch": score_no_bias}, "forgot the bias"),
    ("L08.E2", "reversed", {"score_batch": score_reversed}, "wrong order"),
    ("L08.E2", "all-slots", {"score_batch": score_all_slots}, "first n"),
    ("L08.E2", "no-polynomial", {"score_batch": score_no_polynomial}, "polyval"),
    ("L08.E3", "tau", {"poly_threshold": threshold_tau}, "kept τ itself"),
    ("L08.E3", "no-division", {"poly_threshold": threshold_no_division}, "without dividing"),
    ("L08.E3", "logit", {"poly_threshold": threshold_logit}, "threshold on the logit"),
    ("L08.E4", "secret-sent", {"client_contexts": contexts_secret_sent}, "secret key"),
    ("L08.E4", "in-place", {"client_contexts": contexts_in_place}, "in place"),
    ("L08.E4", "two-keys", {"client_contexts": contexts_two_keys}, "different key pairs"),
    ("L08.E4", "galois", {"client_contexts": contexts_galois}, "galois keys"),
]
