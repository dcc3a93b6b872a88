"""Right and typical wrong answers to Lesson 07's exercises."""

import math

import numpy as np
import tenseal as ts

from pets_helpers.he import (CKKSParams, levels_left, make_context, predicted_precision_bits,
                             propose_params)


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


def _server(ciphertext, context):
    ctx = ts.context_from(context)
    return ctx, ts.ckks_vector_from(ctx, ciphertext)


def encrypted_polynomial(ciphertext, context, coefficients):
    _, x = _server(ciphertext, context)
    degree = len(coefficients) - 1
    need = math.ceil(math.log2(degree + 1))
    if levels_left(x) < need:
        raise ValueError(f"a degree-{degree} polynomial needs {need} levels, the ciphertext has "
                         f"{levels_left(x)}")
    return x.polyval(list(coefficients)).serialize()


def encrypted_polynomial_by_hand(ciphertext, context, coefficients):
    """Square-and-combine by hand for degree ≤ 3, polyval above; refuses by counting levels."""
    _, x = _server(ciphertext, context)
    degree = max(k for k, c in enumerate(coefficients) if c != 0)
    if 2 ** levels_left(x) <= degree:
        raise ValueError("not enough depth left for this polynomial")
    if degree > 3:
        return x.polyval(list(coefficients)).serialize()
    c0, c1, c2, c3 = list(coefficients) + [0.0] * (4 - len(coefficients))
    x2 = x * x
    return (x2 * (x * c3 + c2) + x * c1 + c0).serialize()


def encrypted_dot(ciphertext, context, b):
    _, a = _server(ciphertext, context)
    return a.dot(list(b)).serialize()


def encrypted_dot_sum(ciphertext, context, b):
    _, a = _server(ciphertext, context)
    return (a * list(b)).sum().serialize()


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


def params_power_scale(depth, precision_bits):
    right = choose_params(depth, precision_bits)
    return {**right, "scale_bits": 2 ** right["scale_bits"]}


def params_spare_prime(depth, precision_bits):
    """One middle prime more than the depth, "to be safe"."""
    return {"poly_modulus_degree": 16384, "coeff_mod_bit_sizes": [50] + [40] * (depth + 1) + [50],
            "scale_bits": 40}


def params_outer_60(depth, precision_bits):
    """Always 60-bit first and special primes: secure and precise, but often a larger N."""
    for n in (4096, 8192, 16384, 32768):
        for s in range(20, 51):
            params = CKKSParams(n, [60] + [s] * depth + [60], s)
            if not params.is_secure:
                break
            try:
                if predicted_precision_bits(params, depth) >= precision_bits:
                    return {"poly_modulus_degree": n,
                            "coeff_mod_bit_sizes": list(params.coeff_mod_bit_sizes),
                            "scale_bits": s}
            except ValueError:
                continue


def poly_decrypt_on_server(ciphertext, context, coefficients):
    """Tries the encrypt → decrypt → numpy shortcut: the server has no key."""
    _, x = _server(ciphertext, context)
    return np.polynomial.polynomial.polyval(np.array(x.decrypt()), coefficients)


def poly_cleartext_numbers(ciphertext, context, coefficients):
    """Returns numbers instead of a ciphertext."""
    return np.zeros(64)


def poly_own_context(ciphertext, context, coefficients):
    """Ignores the context it is given: makes its own and encrypts made-up values."""
    _refuse_if_too_deep(_server(ciphertext, context)[1], coefficients)
    ctx = make_context(CKKSParams(8192, (60, 40, 40, 60), 40))
    return ts.ckks_vector(ctx, [0.0] * 64).polyval(list(coefficients)).serialize()


def poly_reversed(ciphertext, context, coefficients):
    _, x = _server(ciphertext, context)
    if len(coefficients) > 4:
        raise ValueError("too deep")
    return x.polyval(list(coefficients)[::-1]).serialize()


def _refuse_if_too_deep(x, coefficients):
    if 2 ** levels_left(x) < len(coefficients):
        raise ValueError("not enough levels for this degree")


def poly_horner(ciphertext, context, coefficients):
    _, x = _server(ciphertext, context)
    _refuse_if_too_deep(x, coefficients)
    acc = x * coefficients[-1] + coefficients[-2]
    for c in reversed(coefficients[:-2]):
        acc = acc * x + c
    return acc.serialize()


def poly_no_refusal(ciphertext, context, coefficients):
    _, x = _server(ciphertext, context)
    return x.polyval(list(coefficients)).serialize()


def poly_unchanged(ciphertext, context, coefficients):
    _, x = _server(ciphertext, context)
    if levels_left(x) < math.ceil(math.log2(len(coefficients))):
        raise ValueError("too deep")
    return x.serialize()


def dot_elementwise(ciphertext, context, b):
    _, a = _server(ciphertext, context)
    return (a * list(b)).serialize()


def dot_decrypt_then_sum(ciphertext, context, b):
    """Slot-wise product on the ciphertext, then the sum in the clear: impossible here."""
    _, a = _server(ciphertext, context)
    return float(np.sum((a * list(b)).decrypt()))


def dot_cleartext(ciphertext, context, b):
    return float(np.sum(b))


def dot_unweighted(ciphertext, context, b):
    _, a = _server(ciphertext, context)
    return a.sum().serialize()


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
    ("L07.E1", "power-scale", {"choose_params": params_power_scale}, "not 2**"),
    ("L07.E1", "spare-prime", {"choose_params": params_spare_prime}, "too many middle primes"),
    ("L07.E1", "generous", {"choose_params": choose_params_generous}, "not the cheapest"),
    ("L07.E1", "outer-60", {"choose_params": params_outer_60}, "not the cheapest"),
    ("L07.E2", "decrypt-on-server", {"encrypted_polynomial": poly_decrypt_on_server},
     "tried to decrypt on the server"),
    ("L07.E2", "numbers", {"encrypted_polynomial": poly_cleartext_numbers}, "no secret key"),
    ("L07.E2", "own-context", {"encrypted_polynomial": poly_own_context}, "garbage"),
    ("L07.E2", "reversed", {"encrypted_polynomial": poly_reversed}, "wrong order"),
    ("L07.E2", "horner", {"encrypted_polynomial": poly_horner}, "depth exhausted"),
    ("L07.E2", "no-refusal", {"encrypted_polynomial": poly_no_refusal}, "should check first"),
    ("L07.E2", "unchanged", {"encrypted_polynomial": poly_unchanged}, "unchanged"),
    ("L07.E3", "elementwise", {"encrypted_dot": dot_elementwise}, "elementwise product"),
    ("L07.E3", "decrypt-then-sum", {"encrypted_dot": dot_decrypt_then_sum},
     "tried to decrypt on the server"),
    ("L07.E3", "cleartext", {"encrypted_dot": dot_cleartext}, "no secret key"),
    ("L07.E3", "unweighted", {"encrypted_dot": dot_unweighted}, "without weighting"),
    ("L07.E4", "special-prime", {"ciphertext_facts": facts_with_special}, "never in a ciphertext"),
    ("L07.E4", "n-slots", {"ciphertext_facts": facts_n_slots}, "N/2"),
    ("L07.E4", "depth", {"ciphertext_facts": facts_depth_off_by_one}, "middle primes only"),
    ("L07.E4", "one-poly", {"ciphertext_facts": facts_one_polynomial}, "pair of polynomials"),
    ("L07.E4", "packed", {"ciphertext_facts": facts_packed_bits}, "64-bit word"),
]
