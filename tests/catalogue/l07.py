"""Right and typical wrong answers to Lesson 07's exercises."""

import numpy as np
import tenseal as ts

from pets_helpers.he import CKKSParams, make_context, predicted_precision_bits, propose_params


# --- right answers (written as a learner would) ---------------------------------------------
def choose_params(depth, precision_bits):
    for n in (4096, 8192, 16384, 32768):
        for s in range(20, 51):
            params = CKKSParams(n, [s + 10] + [s] * depth + [s + 10], s)
            if not params.is_secure:
                break
            try:
                if predicted_precision_bits(params, depth) >= precision_bits:
                    return {"poly_modulus_degree": n,
                            "coeff_mod_bit_sizes": list(params.coeff_mod_bit_sizes),
                            "scale_bits": s}
            except ValueError:  # SEAL has not enough primes of that size
                continue


def choose_params_proposed(depth, precision_bits):
    p = propose_params(depth, precision_bits)
    return {"poly_modulus_degree": p.poly_modulus_degree,
            "coeff_mod_bit_sizes": list(p.coeff_mod_bit_sizes), "scale_bits": p.scale_bits}


def choose_params_generous(depth, precision_bits):
    """Always N=16384 with 50-bit primes: wasteful but secure and precise."""
    return {"poly_modulus_degree": 16384, "coeff_mod_bit_sizes": [60] + [50] * depth + [60],
            "scale_bits": 50}


def encrypted_polynomial(xs, coefficients, params):
    ctx = make_context(CKKSParams(**params))
    enc = ts.ckks_vector(ctx, list(xs))
    return np.array(enc.polyval(list(coefficients)).decrypt())


def encrypted_polynomial_by_hand(xs, coefficients, params):
    c0, c1, c2, c3 = coefficients
    ctx = make_context(CKKSParams(**params))
    x = ts.ckks_vector(ctx, list(xs))
    x2 = x * x
    return np.array((x2 * (x * c3 + c2) + x * c1 + c0).decrypt())


def encrypted_dot(a, b, params):
    ctx = make_context(CKKSParams(**params), galois_keys=True)
    return ts.ckks_vector(ctx, list(a)).dot(list(b)).decrypt()[0]


def encrypted_dot_sum(a, b, params):
    ctx = make_context(CKKSParams(**params), galois_keys=True)
    return np.array((ts.ckks_vector(ctx, list(a)) * list(b)).sum().decrypt())


def ciphertext_facts(params):
    n, chain = params["poly_modulus_degree"], params["coeff_mod_bit_sizes"]
    levels = len(chain) - 1
    return {"slots": n // 2, "depth": levels - 1, "bytes": 2 * n * levels * 8}


RIGHT = {
    "L07.E1": {"choose_params": choose_params},
    "L07.E2": {"encrypted_polynomial": encrypted_polynomial},
    "L07.E3": {"encrypted_dot": encrypted_dot},
    "L07.E4": {"ciphertext_facts": ciphertext_facts},
}
ALSO_RIGHT = [
    ("L07.E1", {"choose_params": choose_params_proposed}),
    ("L07.E1", {"choose_params": choose_params_generous}),
    ("L07.E2", {"encrypted_polynomial": encrypted_polynomial_by_hand}),
    ("L07.E3", {"encrypted_dot": encrypted_dot_sum}),
]


# --- wrong answers ---------------------------------------------------------------------------
def params_insecure(depth, precision_bits):
    return {"poly_modulus_degree": 4096, "coeff_mod_bit_sizes": [60] + [40] * depth + [60],
            "scale_bits": 40}


def params_no_depth(depth, precision_bits):
    return {"poly_modulus_degree": 8192, "coeff_mod_bit_sizes": [60, 40, 60], "scale_bits": 40}


def params_middle_not_scale(depth, precision_bits):
    return {"poly_modulus_degree": 16384, "coeff_mod_bit_sizes": [60] + [30] * depth + [60],
            "scale_bits": 40}


def params_small_special(depth, precision_bits):
    return {"poly_modulus_degree": 16384, "coeff_mod_bit_sizes": [60] + [40] * depth + [40],
            "scale_bits": 40}


def params_low_precision(depth, precision_bits):
    return {"poly_modulus_degree": 8192, "coeff_mod_bit_sizes": [30] + [22] * depth + [30],
            "scale_bits": 22}


def poly_cleartext(xs, coefficients, params):
    return np.polynomial.polynomial.polyval(xs, coefficients)


def poly_reversed(xs, coefficients, params):
    ctx = make_context(CKKSParams(**params))
    return np.array(ts.ckks_vector(ctx, list(xs)).polyval(list(coefficients)[::-1]).decrypt())


def poly_horner(xs, coefficients, params):
    ctx = make_context(CKKSParams(**params))
    x = ts.ckks_vector(ctx, list(xs))
    acc = x * coefficients[3] + coefficients[2]
    acc = acc * x + coefficients[1]
    return np.array((acc * x + coefficients[0]).decrypt())


def poly_small_scale(xs, coefficients, params):
    ctx = make_context(CKKSParams(4096, (30, 20, 20, 30), 20))
    return np.array(ts.ckks_vector(ctx, list(xs)).polyval(list(coefficients)).decrypt())


def dot_elementwise(a, b, params):
    ctx = make_context(CKKSParams(**params))
    return np.array((ts.ckks_vector(ctx, list(a)) * list(b)).decrypt())


def dot_no_galois(a, b, params):
    ctx = make_context(CKKSParams(**params))
    return ts.ckks_vector(ctx, list(a)).dot(list(b)).decrypt()[0]


def dot_cleartext(a, b, params):
    return float(np.dot(a, b))


def dot_unweighted(a, b, params):
    ctx = make_context(CKKSParams(**params), galois_keys=True)
    return ts.ckks_vector(ctx, list(a)).sum().decrypt()[0]


def facts_with_special(params):
    n, k = params["poly_modulus_degree"], len(params["coeff_mod_bit_sizes"])
    return {"slots": n // 2, "depth": k - 2, "bytes": 2 * n * k * 8}


def facts_n_slots(params):
    return {**ciphertext_facts(params), "slots": params["poly_modulus_degree"]}


def facts_depth_off_by_one(params):
    return {**ciphertext_facts(params), "depth": len(params["coeff_mod_bit_sizes"]) - 1}


def facts_one_polynomial(params):
    facts = ciphertext_facts(params)
    return {**facts, "bytes": facts["bytes"] // 2}


def facts_packed_bits(params):
    n, chain = params["poly_modulus_degree"], params["coeff_mod_bit_sizes"]
    return {**ciphertext_facts(params), "bytes": 2 * n * sum(chain[:-1]) / 8}


WRONG = [
    ("L07.E1", "insecure", {"choose_params": params_insecure}, "security table"),
    ("L07.E1", "no-depth", {"choose_params": params_no_depth}, "too few middle primes"),
    ("L07.E1", "middle-not-scale", {"choose_params": params_middle_not_scale},
     "exactly scale_bits"),
    ("L07.E1", "small-special", {"choose_params": params_small_special}, "special (last) prime"),
    ("L07.E1", "low-precision", {"choose_params": params_low_precision}, "not precise enough"),
    ("L07.E2", "cleartext", {"encrypted_polynomial": poly_cleartext}, "in the clear"),
    ("L07.E2", "reversed", {"encrypted_polynomial": poly_reversed}, "wrong order"),
    ("L07.E2", "horner", {"encrypted_polynomial": poly_horner}, "depth exhausted"),
    ("L07.E2", "small-scale", {"encrypted_polynomial": poly_small_scale}, "precision lost"),
    ("L07.E3", "elementwise", {"encrypted_dot": dot_elementwise}, "elementwise product"),
    ("L07.E3", "no-galois", {"encrypted_dot": dot_no_galois}, "galois_keys=True"),
    ("L07.E3", "cleartext", {"encrypted_dot": dot_cleartext}, "in the clear"),
    ("L07.E3", "unweighted", {"encrypted_dot": dot_unweighted}, "without weighting"),
    ("L07.E4", "special-prime", {"ciphertext_facts": facts_with_special}, "never in a ciphertext"),
    ("L07.E4", "n-slots", {"ciphertext_facts": facts_n_slots}, "N/2"),
    ("L07.E4", "depth", {"ciphertext_facts": facts_depth_off_by_one}, "middle primes only"),
    ("L07.E4", "one-poly", {"ciphertext_facts": facts_one_polynomial}, "pair of polynomials"),
    ("L07.E4", "packed", {"ciphertext_facts": facts_packed_bits}, "64-bit word"),
]
