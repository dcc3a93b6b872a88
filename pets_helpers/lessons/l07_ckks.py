"""Lesson 07 — CKKS arithmetic with TenSEAL: exercises and checks.

Only plain data crosses between the learner's code and the checks: parameters as a dict
``{"poly_modulus_degree", "coeff_mod_bit_sizes", "scale_bits"}``, TenSEAL contexts and
ciphertexts as their serialized bytes.

Encryption is real by construction in E2 and E3: the learner's function plays the *server*. The
check (the client) keeps the secret key, sends a public context and a ciphertext, and decrypts
the ciphertext the function returns. Without the key, no computation in the clear is possible;
a result computed under any other context decrypts to garbage; a result that is not a
ciphertext is refused. Each chain is exactly as deep as a good evaluation needs, so a wasteful
circuit fails with the depth error, and one case is deeper than the ciphertext allows: the
server must refuse it before computing.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..grading import Exercise, Lesson, Mistake
from ..grading.answers import case_rng
from ..grading.namespace import LearnerError
from ..he import (SECURITY_TABLE_128, CKKSParams, explain_scale_error, make_context,
                  predicted_precision_bits, propose_params)

SEED = 20260707
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


# --- L07.E1: choosing parameters for a circuit ---------------------------------------------
#: (multiplicative depth, bits of absolute precision wanted after it)
PARAM_CASES = [(1, 12), (2, 20), (3, 20), (5, 25)]


def check_choose_params(ns):
    chosen = {}
    for depth, target in PARAM_CASES:
        answer = ns.call("choose_params", depth, target)
        if isinstance(answer, dict) and isinstance(answer.get("scale_bits"), numbers.Integral) \
                and answer["scale_bits"] > 64 and answer["scale_bits"] & (answer["scale_bits"] - 1) == 0:
            s_bits = int(answer["scale_bits"]).bit_length() - 1
            raise Mistake(f"scale_bits is the exponent of the scale, not the scale: the scale is "
                          f"2**scale_bits, so write scale_bits = {s_bits}, not 2**{s_bits} = "
                          f"{answer['scale_bits']}.")
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
        if len(sizes) - 2 > depth:
            raise Mistake(f"Too many middle primes: depth {depth} needs exactly {depth} (one "
                          f"rescale per multiplication); your {len(sizes) - 2} cost "
                          f"{sum(sizes[1:-1]) - depth * scale} extra modulus bits and make every "
                          f"ciphertext and every operation larger, for a level the circuit "
                          f"never uses. {case}")
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
        chosen[(depth, target)] = (params, case)
    for (depth, target), (params, case) in chosen.items():
        n = params.poly_modulus_degree
        cheapest = propose_params(depth, target)
        if n > cheapest.poly_modulus_degree:
            raise Mistake(f"Secure and precise enough, but not the cheapest: N = "
                          f"{cheapest.poly_modulus_degree} suffices ({cheapest.label()}), and "
                          f"every ciphertext and every operation at N = {n} is at least twice "
                          f"as large and as slow. Search N from the smallest up and stop at the "
                          f"first that works. {case}")
    cheapest = propose_params(5, 25)
    return (f"For depth 5 at 25 bits the cheapest secure set is {cheapest.label()}: depth and "
            f"precision are both paid for in modulus bits, and the security table sets the "
            f"price of N.")


# --- the client/server split every encrypted exercise uses -----------------------------------
def client_and_server(params: CKKSParams, galois_keys: bool = False):
    """(client context with the secret key, the public context bytes a server receives)."""
    ctx = make_context(params, galois_keys=galois_keys)
    public = ctx.copy()
    public.make_context_public()
    return ctx, public.serialize(save_galois_keys=galois_keys)


def read_server_result(ctx, raw, name: str):
    """The learner's returned ciphertext, loaded under the client's context, or a Mistake.

    The learner's function runs as the *server*: it never had the secret key, so the only
    thing it can return is a ciphertext (serialized, as bytes).
    """
    import tenseal as ts

    if not isinstance(raw, (bytes, bytearray)):
        kind = type(raw).__name__
        raise Mistake(f"{name} returned a {kind}, but it runs on the server, which holds no secret "
                      f"key and can never see a plaintext: it must return the encrypted result, "
                      f"serialized — result.serialize() (bytes).")
    try:
        return ts.ckks_vector_from(ctx, bytes(raw))
    except Exception as exc:
        raise Mistake(f"{name} returned {len(raw)} bytes that are not a serialized CKKS vector "
                      f"({exc}). Return result.serialize() of the CKKSVector you computed.") \
            from None


def decrypt_server_result(ctx, raw, name: str, n: int) -> np.ndarray:
    """The first ``n`` decrypted values of the learner's returned ciphertext, or a Mistake."""
    values = np.asarray(read_server_result(ctx, raw, name).decrypt(), dtype=float)
    if values.size < n:
        raise Mistake(f"{name} returned a ciphertext of {values.size} values, but the input held "
                      f"{n}: it was not computed from the ciphertext you were given (a "
                      f"ciphertext of your own, under a context of your own, decrypts to "
                      f"garbage under the client's key). Compute on ts.ckks_vector_from("
                      f"ts.context_from(context), ciphertext).")
    return values[:n]


def _server_error(exc: LearnerError, params: CKKSParams, name: str) -> Mistake | None:
    """A teaching Mistake for the usual errors of server-side code, else None."""
    text = exc.evalue.lower()
    if "secret" in text and "key" in text:
        return Mistake(f"Your {name} tried to decrypt on the server ({exc.ename}: {exc.evalue}). "
                       f"The server's context has no secret key — that is the whole point: it "
                       f"computes on ciphertexts it cannot read and returns a ciphertext. Return "
                       f"result.serialize() and let the client decrypt.")
    if "scale out of bounds" in text:
        explained = explain_scale_error(ValueError(exc.evalue), params, params.depth)
        return Mistake(f"Depth exhausted. {explained}")
    return None


# --- L07.E2: a polynomial, homomorphically, on the server -------------------------------------
POLY_CASES = [
    # (params, coefficients lowest degree first, seed offset); each chain is exactly as deep
    # as the polynomial needs (⌈log2(degree + 1)⌉ levels), so a wasteful order fails
    (CKKSParams(8192, (60, 40, 40, 60), 40), [0.5, -1.2, 0.3, 0.8], 21),
    (CKKSParams(8192, (50, 36, 36, 36, 60), 36), [-0.3, 0.9, 0.4, -0.7], 22),
    (CKKSParams(8192, (50, 36, 36, 36, 60), 36), [0.2, -0.5, 0.1, 0.3, -0.2, 0.4], 23),
]
#: (params, coefficients) the ciphertext cannot afford: the server must refuse before computing
POLY_REFUSED = [(CKKSParams(8192, (60, 40, 40, 60), 40), [0.1, 0.2, -0.3, 0.1, 0.5], 24)]


def polynomial_depth(coefficients) -> int:
    """Levels TenSEAL's polyval uses for a polynomial of this degree: ⌈log2(degree + 1)⌉."""
    degree = max((k for k, c in enumerate(coefficients) if c != 0), default=0)
    return math.ceil(math.log2(degree + 1)) if degree > 0 else 0


def poly_tolerance(params: CKKSParams, coefficients) -> float:
    """The accepted max error: MODEL_MARGIN · Σ|c_k| · 2**-(predicted bits after its depth)."""
    bits = predicted_precision_bits(params, max(polynomial_depth(coefficients), 1))
    return MODEL_MARGIN * float(np.sum(np.abs(coefficients))) * 2.0 ** -bits


def _call_polynomial(ns, params, coefficients, xs):
    import tenseal as ts

    ctx, public = client_and_server(params)
    ciphertext = ts.ckks_vector(ctx, list(xs)).serialize()
    try:
        raw = ns.call("encrypted_polynomial", ciphertext, public, list(coefficients))
    except LearnerError as exc:
        mistake = _server_error(exc, params, "encrypted_polynomial")
        if mistake is not None:
            raise Mistake(f"{mistake} A degree-{len(coefficients) - 1} polynomial needs "
                          f"{polynomial_depth(coefficients)} levels when evaluated well: "
                          f"Horner's rule or x·x·x·c₃ needs one per degree (a scalar "
                          f"multiplication costs a level too). Square-and-combine (compute x² "
                          f"once) or TenSEAL's polyval fit.") from None
        raise
    return ctx, raw


def check_encrypted_polynomial(ns):
    for params, coefficients, offset in POLY_REFUSED:
        xs = case_rng(SEED, offset).uniform(-1, 1, 16)
        need = polynomial_depth(coefficients)
        try:
            ctx, raw = _call_polynomial(ns, params, coefficients, xs)
            read_server_result(ctx, raw, "encrypted_polynomial")  # a ciphertext at least?
        except LearnerError as exc:
            if exc.ename == "ValueError" and "scale out of bounds" not in exc.evalue:
                continue  # refused up front, in its own words
            raise
        except Mistake as mistake:
            if str(mistake).startswith("Depth exhausted"):
                raise Mistake(f"A degree-{len(coefficients) - 1} polynomial needs {need} levels, "
                              f"but the ciphertext you were given has only {params.depth}: your "
                              f"server started computing anyway, and TenSEAL failed halfway with "
                              f"'scale out of bounds'. A server should check first — compare "
                              f"the levels the ciphertext has left (levels_left) with the depth "
                              f"the polynomial needs, ⌈log2(degree + 1)⌉ — and raise a "
                              f"ValueError that says so, before spending any work.") from None
            raise
        raise Mistake(f"A degree-{len(coefficients) - 1} polynomial needs {need} levels but the "
                      f"ciphertext had only {params.depth}, and your function returned a result "
                      f"anyway: it cannot be right. Refuse with a ValueError instead.")
    for params, coefficients, offset in POLY_CASES:
        xs = case_rng(SEED, offset).uniform(-1, 1, 64)
        ctx, raw = _call_polynomial(ns, params, coefficients, xs)
        got = decrypt_server_result(ctx, raw, "encrypted_polynomial", len(xs))
        want = np.polynomial.polynomial.polyval(xs, coefficients)
        err = float(np.max(np.abs(got - want))) if np.all(np.isfinite(got)) else math.inf
        tol = poly_tolerance(params, coefficients)
        case = (f"(degree {len(coefficients) - 1}, coefficients {coefficients}, under "
                f"{params.label()}: max error {err:.2e}, accepted ≤ {tol:.2e})")
        if err <= tol:
            continue
        if np.max(np.abs(got - xs)) <= tol:
            raise Mistake(f"You returned the input ciphertext unchanged: no polynomial was "
                          f"evaluated. {case}")
        if np.max(np.abs(got - np.polynomial.polynomial.polyval(xs, coefficients[::-1]))) <= tol:
            raise Mistake(f"You evaluated the coefficients in the wrong order: the coefficients "
                          f"are given lowest degree first [c₀, c₁, c₂, …], which is what "
                          f"TenSEAL's polyval expects; numpy's np.polyval expects highest "
                          f"first. Do not reverse them. {case}")
        if err > 1e3 * (1 + float(np.sum(np.abs(coefficients)))):
            raise Mistake(f"Your result decrypts to garbage under the client's key: it was not "
                          f"computed from the ciphertext you were given, under the context you "
                          f"were given (a context of your own has other keys). Load both with "
                          f"ts.context_from(context) and ts.ckks_vector_from(ctx, ciphertext). "
                          f"{case}")
        raise Mistake(f"That is not p(x) = Σ c_k x^k of the encrypted x. {case}")
    return ("Your server computed a polynomial on data it could not read, within the exact depth "
            "budget — and refused the one it could not afford before spending any work. On CKKS, "
            "depth is the budget to plan.")


# --- L07.E3: an encrypted dot product, on the server -------------------------------------------
DOT_PARAMS = CKKSParams(8192, (60, 40, 40, 60), 40)
DOT_CASES = [(100, 31), (1000, 32)]


def check_encrypted_dot(ns):
    import tenseal as ts

    ctx, public = client_and_server(DOT_PARAMS, galois_keys=True)
    for n, offset in DOT_CASES:
        rng = case_rng(SEED, offset)
        a, b = rng.uniform(-1, 1, n), rng.uniform(-1, 1, n)
        ciphertext = ts.ckks_vector(ctx, a.tolist()).serialize()
        try:
            raw = ns.call("encrypted_dot", ciphertext, public, b.copy())
        except LearnerError as exc:
            mistake = _server_error(exc, DOT_PARAMS, "encrypted_dot")
            if mistake is not None:
                raise mistake from None
            raise
        values = decrypt_server_result(ctx, raw, "encrypted_dot", 1)
        values = np.asarray(read_server_result(ctx, raw, "encrypted_dot").decrypt(), dtype=float)
        want = float(a @ b)
        got = float(values[0])
        tol = MODEL_MARGIN * float(np.sum(np.abs(b))) * 2.0 ** -predicted_precision_bits(
            DOT_PARAMS, 1)
        case = f"(n={n}: expected {want:.6f} in slot 0, decrypted {got:.6f}, accepted error ≤ " \
               f"{tol:.1e})"
        if abs(got - want) <= tol:
            continue
        if values.size >= n and np.max(np.abs(values[:n] - a * b)) <= tol:
            raise Mistake(f"Your ciphertext holds the elementwise product a·b in {n} slots, not "
                          f"their sum. Multiplying slot by slot is only half of a dot product; "
                          f"the server must also add up the slots — by rotating the ciphertext "
                          f"(enc.dot(b), or (enc * b).sum()). {case}")
        if abs(got - float(np.sum(a))) <= tol:
            raise Mistake(f"You summed a without weighting it by b: multiply by b first (or "
                          f"use enc.dot(b)). {case}")
        if values.size >= n and np.max(np.abs(values[:n] - a)) <= tol:
            raise Mistake(f"You returned the input ciphertext unchanged: nothing was computed. "
                          f"{case}")
        if abs(got) > 1e3 * (1 + float(np.sum(np.abs(b)))):
            raise Mistake(f"Your result decrypts to garbage under the client's key: it was not "
                          f"computed from the ciphertext and context you were given. {case}")
        raise Mistake(f"That is not the dot product a·b in slot 0. {case}")
    return ("One plaintext multiplication (1 level) and log2(slots) rotations, on a ciphertext "
            "the server could not read: the rotations, not the multiplication, dominate the time.")


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
    "You are the server: load what you were sent with ts.context_from(context) and "
    "ts.ckks_vector_from(ctx, ciphertext), compute, and return result.serialize(). You cannot "
    "decrypt — there is no secret key.",
    "Each multiplication uses a level and the ciphertext has exactly as many as a good "
    "evaluation needs: ⌈log2(degree + 1)⌉. TenSEAL's polyval evaluates that well; Horner's rule "
    "does not. levels_left(x) tells you how many the ciphertext has.",
    "Before computing, compare levels_left(x) with the depth the degree needs (the degree is "
    "the index of the last coefficient) and raise ValueError if it does not fit; otherwise "
    "evaluate with the coefficients lowest degree first, exactly as given.",
)
HINT_DOT = (
    "You are the server again: load the context and the ciphertext from bytes; b stays a "
    "plaintext list; return the encrypted result serialized.",
    "The encrypted vector has a .dot method; it adds up the slots by rotating the ciphertext, "
    "which needs the Galois keys that came with the public context.",
    "The dot product must end up in slot 0 of the ciphertext you return: enc.dot(b) (or a "
    "slot-wise product followed by .sum()) does that — serialize the result.",
)
HINT_FACTS = (
    "Slots: CKKS packs N/2 values. Depth: one level per middle prime.",
    "A fresh ciphertext is 2 polynomials of N coefficients, each stored modulo every prime of "
    "the chain except the special one, one 64-bit word (8 bytes) per coefficient per prime.",
    "With L = len(chain) − 1 primes in a ciphertext: depth is one less than L (the first prime "
    "stays), and bytes multiplies the pair, N, L and 8.",
)

LESSON = Lesson("L07", "CKKS arithmetic with TenSEAL", "07_ckks", (
    Exercise("L07.E1", "Parameters for a circuit", 3, check_choose_params, HINT_PARAMS,
             shortcuts=("pets_helpers.he:propose_params",)),
    Exercise("L07.E2", "A polynomial, homomorphically", 3, check_encrypted_polynomial,
             HINT_POLY),
    Exercise("L07.E3", "An encrypted dot product", 2, check_encrypted_dot, HINT_DOT),
    Exercise("L07.E4", "What one ciphertext costs", 2, check_ciphertext_facts, HINT_FACTS,
             shortcuts=tuple(f"pets_helpers.he.params:CKKSParams.{fact}"
                             for fact in ("slots", "depth", "ciphertext_bytes"))),
))
