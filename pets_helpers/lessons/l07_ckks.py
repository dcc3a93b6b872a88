"""Lesson 07 — CKKS arithmetic with TenSEAL: exercises and checks.

TenSEAL objects (contexts, ciphertexts) do not pickle, so every exercise takes and returns plain
values: parameters as a dict ``{"poly_modulus_degree", "coeff_mod_bit_sizes", "scale_bits"}``
and vectors as numpy arrays. The learner's function builds the context, encrypts, computes and
decrypts inside; the check compares the decrypted result with float64 arithmetic.

Cleartext shortcuts: CKKS is approximate, so an honest homomorphic result always differs from
float64 by at least ~2**-(scale_bits) (fresh encoding noise alone is ≈ 2N/2**scale_bits ≫ 1e-12).
An answer within 1e-12 of the float64 result everywhere was therefore computed in the clear.
This heuristic does not catch encrypt → decrypt → compute in the clear (the noise of one
encryption is still there); the notebook's threat model explains why that would miss the point.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..grading import Exercise, Lesson, Mistake
from ..grading.answers import as_array, case_rng
from ..grading.namespace import LearnerError
from ..he import (SECURITY_TABLE_128, CKKSParams, explain_scale_error,
                  predicted_precision_bits, propose_params)

SEED = 20260707
#: Anything this close to the float64 result everywhere was not computed under CKKS.
CLEARTEXT_ATOL = 1e-12
#: Acceptance margin over the precision model (which matches measurements to ~1 bit).
MODEL_MARGIN = 4.0

PARAM_KEYS = ("poly_modulus_degree", "coeff_mod_bit_sizes", "scale_bits")



def _learner_params(value, name: str) -> CKKSParams:
    if not isinstance(value, dict) or set(PARAM_KEYS) - set(value):
        raise Mistake(f"{name} should return a dict with the keys {list(PARAM_KEYS)}, got "
                      f"{value!r:.120}.")
    n, chain, scale = (value[k] for k in PARAM_KEYS)
    ints = [n, scale] + list(chain if isinstance(chain, (list, tuple)) else [None])
    if not isinstance(chain, (list, tuple)) or not all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in ints):
        raise Mistake(f"{name}: poly_modulus_degree and scale_bits must be integers and "
                      f"coeff_mod_bit_sizes a list of integers (prime bit sizes), got "
                      f"{value!r:.120}.")
    return CKKSParams(int(n), tuple(int(b) for b in chain), int(scale))


def _vector(value, n: int, name: str) -> np.ndarray:
    return as_array(value, (n,), name, "one decrypted value per input (decrypt() returns a "
                    "list as long as what you encrypted)")


# --- L07.E1: choosing parameters for a circuit ---------------------------------------------
#: (multiplicative depth, bits of absolute precision wanted after it)
PARAM_CASES = [(1, 12), (2, 20), (3, 20), (5, 25)]


def check_choose_params(ns):
    for depth, target in PARAM_CASES:
        answer = ns.call("choose_params", depth, target)
        params = _learner_params(answer, "choose_params")
        case = f"(for depth {depth} and {target} bits you chose {params.label()})"
        n, sizes, scale = params.poly_modulus_degree, list(params.coeff_mod_bit_sizes), \
            params.scale_bits
        if n not in SECURITY_TABLE_128:
            raise Mistake(f"poly_modulus_degree must be a power of two from the 128-bit table "
                          f"{sorted(SECURITY_TABLE_128)}. {case}")
        limit = SECURITY_TABLE_128[n]
        if sum(sizes) > limit:
            bigger = [m for m in sorted(SECURITY_TABLE_128)
                      if m > n and SECURITY_TABLE_128[m] >= sum(sizes)]
            more = f"; N={bigger[0]} allows {SECURITY_TABLE_128[bigger[0]]}" if bigger else ""
            raise Mistake(f"Over the 128-bit security table: your primes total {sum(sizes)} "
                          f"bits but N={n} allows at most {limit}{more}. A longer modulus makes "
                          f"the lattice problem easier, so a deeper or more precise circuit "
                          f"needs a larger N. {case}")
        if len(sizes) - 2 < depth:
            raise Mistake(f"Too few middle primes: each multiplication is followed by a rescale "
                          f"that drops one middle prime, so depth {depth} needs {depth} middle "
                          f"primes between the first and the special prime, i.e. "
                          f"{depth + 2} primes in all; you have {len(sizes)}. {case}")
        if any(b != scale for b in sizes[1:-1]):
            raise Mistake(f"Every middle prime must have exactly scale_bits = {scale} bits: a "
                          f"rescale divides by the prime, and TenSEAL then declares the scale "
                          f"to be 2**{scale} again, so any other size multiplies the values by a "
                          f"power of two. {case}")
        if sizes[-1] < max(sizes[:-1]):
            raise Mistake(f"The special (last) prime has {sizes[-1]} bits but must be the "
                          f"largest: it is only used for key switching (relinearization, "
                          f"rotations), and a small one lets that noise swamp the result. "
                          f"{case}")
        try:
            params.validate()
        except (ValueError, TypeError) as exc:
            raise Mistake(f"{exc} {case}") from None
        try:
            got = predicted_precision_bits(params, depth)
        except ValueError as exc:
            raise Mistake(f"{exc} {case}") from None
        if got < target:
            raise Mistake(f"Not precise enough: the precision model predicts {got:.1f} bits "
                          f"after {depth} multiplications, below the {target} asked. Fresh "
                          f"precision is about scale_bits − log2(N) − 1 and each rescale loses "
                          f"a little more: raise scale_bits (and the primes with it), and a "
                          f"larger N if the security table then runs out. {case}")
    cheapest = propose_params(5, 25)
    return (f"For depth 5 at 25 bits the cheapest secure set is {cheapest.label()}: depth and "
            f"precision are both paid for in modulus bits, and the security table sets the "
            f"price of N.")


# --- L07.E2: a polynomial, homomorphically -----------------------------------------------
POLY_CASES = [
    # (params, coefficients lowest degree first, seed offset)
    (CKKSParams(8192, (60, 40, 40, 60), 40), [0.5, -1.2, 0.3, 0.8], 21),
    (CKKSParams(8192, (50, 36, 36, 36, 60), 36), [-0.3, 0.9, 0.4, -0.7], 22),
]
#: Multiplications a degree-3 polynomial costs when evaluated well (⌈log2(3+1)⌉).
POLY_DEPTH = 2


def poly_tolerance(params: CKKSParams, coefficients) -> float:
    """The accepted max error: MODEL_MARGIN · Σ|c_k| · 2**-(predicted bits after 2 products)."""
    bits = predicted_precision_bits(params, POLY_DEPTH)
    return MODEL_MARGIN * float(np.sum(np.abs(coefficients))) * 2.0 ** -bits


def check_encrypted_polynomial(ns):
    for params, coefficients, offset in POLY_CASES:
        xs = case_rng(SEED, offset).uniform(-1, 1, 64)
        try:
            raw = ns.call("encrypted_polynomial", xs.copy(), list(coefficients),
                          params.as_dict())
        except LearnerError as exc:
            if "scale out of bounds" in exc.evalue:
                explained = explain_scale_error(ValueError(exc.evalue), params, params.depth)
                raise Mistake(f"Depth exhausted. {explained} A degree-3 polynomial fits in depth "
                              f"2: Horner's rule or x·x·x·c₃ needs 3 multiplications in a row "
                              f"(a scalar multiplication also costs a level). Use "
                              f"enc.polyval(coefficients), or compute x² once and then "
                              f"c₀ + c₁x + x²·(c₂ + c₃x).") from None
            raise
        got = _vector(raw, len(xs), "encrypted_polynomial")
        want = np.polynomial.polynomial.polyval(xs, coefficients)
        err = float(np.max(np.abs(got - want)))
        tol = poly_tolerance(params, coefficients)
        case = (f"(for p(x) with coefficients {coefficients} under {params.label()}: max error "
                f"{err:.2e}, accepted ≤ {tol:.2e})")
        if err <= CLEARTEXT_ATOL:
            raise Mistake(f"Your result equals float64's to within {CLEARTEXT_ATOL}: it was "
                          f"computed in the clear. CKKS is approximate, so a homomorphic result "
                          f"always carries noise of about 2**-{params.scale_bits - 14} or more. "
                          f"Encrypt xs with ts.ckks_vector and evaluate the polynomial on the "
                          f"ciphertext. {case}")
        if err <= tol:
            continue
        reversed_want = np.polynomial.polynomial.polyval(xs, coefficients[::-1])
        if np.max(np.abs(got - reversed_want)) <= tol:
            raise Mistake(f"You evaluated the coefficients in the wrong order: the coefficients "
                          f"are given lowest degree first [c₀, c₁, c₂, c₃], which is what "
                          f"TenSEAL's polyval expects; numpy's np.polyval expects highest "
                          f"first. Do not reverse them. {case}")
        if err <= 0.5 * (1 + float(np.sum(np.abs(coefficients)))):
            raise Mistake(f"Right shape, but precision lost: the error is far above what these "
                          f"parameters give (about 2**-{predicted_precision_bits(params, 2):.0f} "
                          f"per unit of coefficient). Build the context from the params you are "
                          f"given (make_context(CKKSParams(**params))), keep global_scale = "
                          f"2**scale_bits, and use no more multiplications than needed. {case}")
        raise Mistake(f"That is not p(x) = c₀ + c₁x + c₂x² + c₃x³. {case}")
    return ("A degree-3 polynomial costs 2 levels with polyval (x² and x³ = x²·x share the "
            "work), not 3 with Horner: on CKKS, depth is the budget to optimise.")


# --- L07.E3: an encrypted dot product --------------------------------------------------------
DOT_PARAMS = CKKSParams(8192, (60, 40, 40, 60), 40)
DOT_CASES = [(100, 31), (1000, 32)]


def check_encrypted_dot(ns):
    for n, offset in DOT_CASES:
        rng = case_rng(SEED, offset)
        a, b = rng.uniform(-1, 1, n), rng.uniform(-1, 1, n)
        try:
            raw = ns.call("encrypted_dot", a.copy(), b.copy(), DOT_PARAMS.as_dict())
        except LearnerError as exc:
            if "galois" in exc.evalue.lower():
                raise Mistake(f"TenSEAL said: {exc.evalue}. Summing the slots of a ciphertext "
                              f"rotates it log2(n) times, and every rotation needs a Galois "
                              f"key: build the context with make_context(params, "
                              f"galois_keys=True).") from None
            raise
        try:
            arr = np.asarray(raw, dtype=float).reshape(-1)
        except Exception:
            raise Mistake(f"encrypted_dot should return one number, got "
                          f"{type(raw).__name__}.") from None
        want = float(a @ b)
        if arr.size == n and n > 1:
            hint = " (it is the elementwise product a·b)" if np.allclose(arr, a * b, atol=1e-3) \
                else ""
            raise Mistake(f"You returned {n} numbers{hint}, not their sum. Multiplying slot by "
                          f"slot is only half of a dot product; enc.dot(b) (or (enc * b).sum()) "
                          f"also adds up the slots, by rotating the ciphertext.")
        if arr.size != 1 or not np.isfinite(arr[0]):
            raise Mistake(f"encrypted_dot should return one number (or a one-element list, as "
                          f"decrypt() gives), got {arr.size} values.")
        got = float(arr[0])
        err = abs(got - want)
        tol = MODEL_MARGIN * float(np.sum(np.abs(b))) * 2.0 ** -predicted_precision_bits(
            DOT_PARAMS, 1)
        case = f"(n={n}: expected {want:.6f}, got {got:.6f}, accepted error ≤ {tol:.1e})"
        if err <= CLEARTEXT_ATOL:
            raise Mistake(f"Your result equals float64's to within {CLEARTEXT_ATOL}: it was "
                          f"computed in the clear. Encrypt a, then use the encrypted vector's "
                          f".dot(b) and decrypt the result. {case}")
        if err <= tol:
            continue
        if abs(got - float(np.sum(a))) <= tol:
            raise Mistake(f"You summed a without weighting it by b: multiply by b first (or "
                          f"use enc.dot(b)). {case}")
        if abs(got - float(np.sum(a * a))) <= tol * 2:
            raise Mistake(f"That is a·a, not a·b: the plaintext weights b are the second "
                          f"operand. {case}")
        raise Mistake(f"That is not the dot product a·b. {case}")
    return ("One plaintext multiplication (1 level) and log2(slots) rotations: the rotations, "
            "not the multiplication, dominate the time of a dot product.")


# --- L07.E4: what one ciphertext costs ----------------------------------------------------------
FACT_CASES = [CKKSParams(4096, (35, 25, 35), 25), CKKSParams(8192, (60, 40, 40, 60), 40),
              CKKSParams(8192, (50, 36, 36, 36, 60), 36),
              CKKSParams(16384, (60,) + (40,) * 7 + (60,), 40)]


def ciphertext_facts_reference(params: CKKSParams) -> dict:
    """The answer of L07.E4: slots, depth and uncompressed bytes of a fresh ciphertext."""
    return {"slots": params.slots, "depth": params.depth, "bytes": params.ciphertext_bytes}


def check_ciphertext_facts(ns):
    for params in FACT_CASES:
        got = ns.call("ciphertext_facts", params.as_dict())
        want = ciphertext_facts_reference(params)
        if not isinstance(got, dict) or set(want) - set(got):
            raise Mistake(f"ciphertext_facts should return a dict with the keys "
                          f"{sorted(want)}, got {got!r:.120}.")
        try:
            got = {k: float(got[k]) for k in want}
        except (TypeError, ValueError):
            raise Mistake("slots, depth and bytes should be numbers.") from None
        n, k = params.poly_modulus_degree, len(params.coeff_mod_bit_sizes)
        case = (f"(for {params.label()}: expected {want}, got "
                f"{ {key: int(v) if float(v).is_integer() else v for key, v in got.items()} })")
        if got["slots"] != want["slots"]:
            if got["slots"] == n:
                raise Mistake(f"CKKS packs N/2 real values, not N: the encoding uses N/2 "
                              f"complex slots and their conjugates. {case}")
            raise Mistake(f"slots is the number of values one ciphertext holds: N/2. {case}")
        if got["depth"] != want["depth"]:
            if got["depth"] == k - 1:
                raise Mistake(f"depth counts the middle primes only: the first prime must stay "
                              f"(it holds the result at the last level) and the special prime "
                              f"is never in a ciphertext, so depth = len(chain) − 2. {case}")
            raise Mistake(f"depth is the number of rescales the chain allows: one per middle "
                          f"prime, len(chain) − 2. {case}")
        if got["bytes"] != want["bytes"]:
            if got["bytes"] == 2 * n * k * 8:
                raise Mistake(f"The special (last) prime is only in the keys, never in a "
                              f"ciphertext: count len(chain) − 1 primes. {case}")
            if got["bytes"] == n * (k - 1) * 8:
                raise Mistake(f"A fresh ciphertext is a pair of polynomials (c₀, c₁), not one: "
                              f"double it. {case}")
            if got["bytes"] in (2 * n * sum(params.coeff_mod_bit_sizes[:-1]) / 8,
                                2 * n * sum(params.coeff_mod_bit_sizes) / 8):
                raise Mistake(f"SEAL stores each coefficient modulo each prime in a full 64-bit "
                              f"word (8 bytes), whatever the prime's bit size; packing the bits "
                              f"is what compression approximates when serializing. {case}")
            raise Mistake(f"bytes = 2 polynomials × N coefficients × (len(chain) − 1) primes × "
                          f"8 bytes. {case}")
    return ("Size grows with N × levels, and so does the time of every operation on it: a "
            "deeper circuit makes *every* step slower, not only the extra multiplications.")


HINT_PARAMS = (
    "You need depth middle primes, all of scale_bits bits, a first prime a bit larger (it holds "
    "the result at the end) and a special prime at least as large as every other.",
    "Search: for N in (4096, 8192, 16384) and scale in 20..50, build CKKSParams(N, [scale+10] + "
    "[scale]*depth + [scale+10], scale); keep the first one with params.is_secure and "
    "predicted_precision_bits(params, depth) >= precision_bits.",
    "Return {'poly_modulus_degree': N, 'coeff_mod_bit_sizes': [s+10] + [s]*depth + [s+10], "
    "'scale_bits': s} for the smallest secure N and scale s that meet the precision.",
)
HINT_POLY = (
    "Make the context with make_context(CKKSParams(**params)), encrypt with "
    "ts.ckks_vector(ctx, list(xs)), compute on the ciphertext, decrypt, np.array(...).",
    "The chain allows only 2 multiplications in a row, and Horner's rule needs 3. TenSEAL's "
    "enc.polyval(coefficients) evaluates a degree-3 polynomial in depth 2.",
    "enc.polyval(coefficients) takes the coefficients lowest degree first, exactly as given: "
    "return np.array(ts.ckks_vector(ctx, list(xs)).polyval(list(coefficients)).decrypt()).",
)
HINT_DOT = (
    "Encrypt a; b stays a plaintext list. The encrypted vector has a .dot method.",
    "Adding up the slots rotates the ciphertext, and rotations need Galois keys: "
    "make_context(CKKSParams(**params), galois_keys=True).",
    "return ts.ckks_vector(ctx, list(a)).dot(list(b)).decrypt()[0]",
)
HINT_FACTS = (
    "Slots: CKKS packs N/2 values. Depth: one level per middle prime.",
    "A fresh ciphertext is 2 polynomials of N coefficients, each stored modulo every prime of "
    "the chain except the special one, one 64-bit word (8 bytes) per coefficient per prime.",
    "L = len(chain) - 1; return {'slots': N // 2, 'depth': L - 1, 'bytes': 2 * N * L * 8}",
)

LESSON = Lesson("L07", "CKKS arithmetic with TenSEAL", "07_ckks", (
    Exercise("L07.E1", "Parameters for a circuit", 3, check_choose_params, HINT_PARAMS,
             shortcuts=("pets_helpers.he:propose_params",)),
    Exercise("L07.E2", "A polynomial, homomorphically", 3, check_encrypted_polynomial,
             HINT_POLY),
    Exercise("L07.E3", "An encrypted dot product", 2, check_encrypted_dot, HINT_DOT),
    Exercise("L07.E4", "What one ciphertext costs", 2, check_ciphertext_facts, HINT_FACTS),
))
