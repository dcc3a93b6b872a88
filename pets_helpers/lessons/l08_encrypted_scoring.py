"""Lesson 08 — Encrypted credit scoring: exercises, checks and hints.

Only plain data crosses between the learner's code and the checks (numbers, numpy arrays, dicts
of parameters, TenSEAL contexts and ciphertexts as serialized ``bytes``). References come from
:mod:`pets_helpers.he.scoring` and the real gRPC service (:mod:`pets_helpers.he.service`), which
E4's check starts on localhost itself.

E2 is real encryption by construction: the learner's ``score_batch`` is the lender's server. The
check (the applicant's side) encrypts the feature columns under its own key, sends them with a
public context, and decrypts the ciphertext ``score_batch`` returns — scoring in the clear is
impossible without the key, and a result computed under any other key decrypts to garbage.
"""

from __future__ import annotations

import math

import numpy as np

from ..grading import Exercise, Lesson, Mistake
from ..he import COURSE_PARAMS, predicted_precision_bits
from ..he.scoring import fit_sigmoid_polynomial, logit, sigmoid

SEED = 20260808
MODEL_MARGIN = 4.0


def _coefficients(value, name: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float).reshape(-1)
    except Exception:
        raise Mistake(f"{name} should return a list or array of numbers (the polynomial's "
                      f"coefficients), got {type(value).__name__}.") from None
    if arr.size == 0 or not np.all(np.isfinite(arr)):
        raise Mistake(f"{name} returned no coefficients or non-finite ones: {value!r:.100}.")
    return arr


# --- L08.E1: the polynomial sigmoid, as cheap as the accuracy allows -------------------------
#: (score bound A, largest accepted max |p(t) − σ(A·t)| on [-1, 1])
FIT_CASES = [(3.0, 0.02), (6.0, 0.05), (2.0, 0.05), (9.5, 0.03)]
GRID = np.linspace(-1.0, 1.0, 2001)
MAX_DEGREE = 15


def _max_error(coef, bound: float) -> float:
    return float(np.max(np.abs(np.polynomial.polynomial.polyval(GRID, coef)
                               - sigmoid(bound * GRID))))


def _levels(degree: int) -> int:
    """Levels polyval spends on a degree-d polynomial: ⌈log2(d + 1)⌉."""
    return math.ceil(math.log2(degree + 1)) if degree > 0 else 0


def cheapest_fit_levels(bound: float, max_error: float) -> tuple[int, int]:
    """(levels, degree) of the cheapest least-squares fit of σ(A·t) within ``max_error``."""
    for degree in range(1, MAX_DEGREE + 1):
        coef = np.polynomial.polynomial.polyfit(GRID, sigmoid(bound * GRID), degree)
        if _max_error(coef, bound) <= max_error:
            return _levels(degree), degree
    raise ValueError(f"no polynomial up to degree {MAX_DEGREE} reaches {max_error}")


def check_fit_sigmoid(ns):
    for bound, target in FIT_CASES:
        coef = _coefficients(ns.call("fit_sigmoid", bound, target), "fit_sigmoid")
        nonzero = np.flatnonzero(np.abs(coef) > 1e-12)
        degree = int(nonzero[-1]) if nonzero.size else 0
        levels, best_degree = cheapest_fit_levels(bound, target)
        err = _max_error(coef, bound)
        case = (f"(bound A={bound}, max error {target}: you returned degree {degree}, "
                f"{_levels(degree)} level(s), max error {err:.4f})")
        if _max_error(coef[::-1], bound) <= target < err:
            raise Mistake(f"Your coefficients are highest degree first — np.polyfit's order. "
                          f"TenSEAL's polyval (and np.polynomial.polynomial) take them lowest "
                          f"degree first [c₀, c₁, …]: use np.polynomial.polynomial.polyfit, or "
                          f"reverse np.polyfit's result. {case}")
        if err > target:
            if _max_error(coef, 1.0) <= target:
                raise Mistake(f"You fitted σ(t), not σ(A·t): the server computes t = z/A (1/A is "
                              f"folded into the weights), so the polynomial must approximate "
                              f"σ(A·t) on t ∈ [-1, 1]. {case}")
            raise Mistake(f"Not accurate enough: the fit is off from σ(A·t) by up to {err:.4f}, "
                          f"more than the {target} allowed. A higher degree fits better — and "
                          f"costs levels: find the cheapest one that meets the target. {case}")
        if _levels(degree) > levels:
            raise Mistake(f"Accurate enough, but more expensive than needed: degree {degree} "
                          f"costs {_levels(degree)} levels, and a fit with only {levels} "
                          f"level(s) already stays within {target}. Every level is paid on every "
                          f"ciphertext and every operation. {case}")
    return ("Each extra level of polynomial buys precision in σ and is paid for on every "
            "encrypted score. Note how degrees 2k and 2k − 1 fit equally well (σ − ½ is odd) "
            "while 2k may cost a level more: the cheapest fits are odd.")


# --- L08.E2: batched encrypted scoring ---------------------------------------------------------
SCORE_PARAMS = COURSE_PARAMS["scoring"]
SCORE_CASES = [(300, 11), (1, 12)]


def _model():
    from ..he.service import default_model
    return default_model()


def check_score_batch(ns):
    import tenseal as ts

    from ..datasets import credit_applicants
    from ..grading.namespace import LearnerError
    from .l07_ckks import client_and_server, decrypt_server_result

    model = _model()
    w, b = model.encrypted_weights()
    coef = np.array(model.polynomial.coefficients)
    bits = predicted_precision_bits(SCORE_PARAMS, model.depth)
    tol = MODEL_MARGIN * float(np.sum(np.abs(coef))) * 2.0 ** -bits
    ctx, public = client_and_server(SCORE_PARAMS)
    for n, seed in SCORE_CASES:
        x = model.features(credit_applicants(n, seed=seed))
        columns = [ts.ckks_vector(ctx, x[:, j].tolist()).serialize() for j in range(x.shape[1])]
        try:
            raw = ns.call("score_batch", columns, public, w.copy(), b, list(coef))
        except LearnerError as exc:
            text = exc.evalue.lower()
            if "secret" in text and "key" in text:
                raise Mistake(f"Your score_batch tried to decrypt ({exc.ename}: {exc.evalue}). "
                              f"It runs on the lender's server, whose context has no secret "
                              f"key: compute the scores on the ciphertexts and return the "
                              f"encrypted scores, serialized.") from None
            if "scale out of bounds" in text:
                raise Mistake(f"Depth exhausted ({exc.evalue}): the chain allows "
                              f"{SCORE_PARAMS.depth} levels — one for the scalar products, two "
                              f"for the cubic. Multiply each column by its weight once, add, "
                              f"add the bias (free), then one polyval.") from None
            raise
        got = decrypt_server_result(ctx, raw, "score_batch", n)
        t = x @ w + b
        want = np.polynomial.polynomial.polyval(t, coef)
        err = float(np.max(np.abs(got - want))) if np.all(np.isfinite(got)) else math.inf
        case = f"({n} applicant(s): max error {err:.2e}, accepted ≤ {tol:.1e})"
        if err <= tol:
            continue
        close = lambda ref: float(np.max(np.abs(got - ref))) <= tol  # noqa: E731, B023
        if close(np.polynomial.polynomial.polyval(x @ w, coef)):
            raise Mistake(f"You forgot the bias: t = Σ wᵢ·colᵢ + bias. Adding a plaintext "
                          f"scalar to a ciphertext is free (no level). {case}")
        if close(np.polynomial.polynomial.polyval(t, coef[::-1])):
            raise Mistake(f"You evaluated the coefficients in the wrong order: they are lowest "
                          f"degree first, as TenSEAL's polyval takes them. Do not reverse them. "
                          f"{case}")
        if close(t):
            raise Mistake(f"You returned the (scaled) logit t, not the score: apply the "
                          f"polynomial sigmoid on the ciphertext, enc_t.polyval(coefficients). "
                          f"{case}")
        if close(x[:, ::-1] @ w + b) or close(np.polynomial.polynomial.polyval(
                x[:, ::-1] @ w + b, coef)):
            raise Mistake(f"The weights are paired with the wrong feature columns: weight j "
                          f"multiplies column j (columns[j]). {case}")
        if err > 1e3:
            raise Mistake(f"Your result decrypts to garbage under the client's key: it was not "
                          f"computed from the ciphertexts you were given, under the context you "
                          f"were given. {case}")
        raise Mistake(f"These are not the scores p(Σ wᵢ·xᵢ + b). Multiply each encrypted "
                      f"column by its weight, add them and the bias, then polyval. {case}")
    return ("Six scalar products, six additions and one polyval score every applicant in the "
            "batch at once, on ciphertexts the lender cannot read: with 4,096 slots, 1 applicant "
            "and 1,000 cost the same (~0.2 s).")


# --- L08.E3: the decision threshold on the polynomial ------------------------------------------
THRESHOLD_CASES = [(0.2, 9.5), (0.5, 6.0), (0.05, 3.0)]


def check_poly_threshold(ns):
    for tau, bound in THRESHOLD_CASES:
        poly = fit_sigmoid_polynomial(bound, 3)
        coef = list(poly.coefficients)
        raw = ns.call("poly_threshold", tau, coef, bound)
        try:
            got = float(np.asarray(raw, dtype=float).reshape(-1)[0]) \
                if np.size(raw) == 1 else None
        except Exception:
            got = None
        if got is None or not math.isfinite(got):
            raise Mistake(f"poly_threshold should return one number, got {raw!r:.80}.")
        want = float(poly.sigmoid_of_logit(logit(tau)))
        case = f"(τ={tau}, A={bound}: expected {want:.6f}, got {got:.6f})"
        if math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12):
            continue
        same = lambda v: math.isclose(got, v, rel_tol=1e-9, abs_tol=1e-12)  # noqa: E731, B023
        if same(tau) and tau != 0.5:
            raise Mistake(f"You kept τ itself. The decrypted score is p(z/A), not σ(z); p only "
                          f"approximates σ (off by up to {poly.max_error:.2f} here), so compare "
                          f"scores with the polynomial's value at the cleartext boundary: "
                          f"p(logit(τ)/A). {case}")
        if same(float(np.polyval(coef, logit(tau) / bound))):
            raise Mistake(f"np.polyval takes the coefficients highest degree first, but these "
                          f"are lowest degree first (TenSEAL's order): you evaluated the reversed "
                          f"polynomial. Use np.polynomial.polynomial.polyval(t, coefficients), "
                          f"or np.polyval(coefficients[::-1], t). {case}")
        if same(float(np.polyval(coef, logit(tau)))):
            raise Mistake(f"Two slips: np.polyval takes the coefficients highest degree first "
                          f"(these are lowest first), and p takes t = logit(τ)/A, not "
                          f"logit(τ). {case}")
        if same(float(np.polynomial.polynomial.polyval(logit(tau), coef))):
            raise Mistake(f"You evaluated p at logit(τ) without dividing by A: p takes t = z/A "
                          f"(the score bound is folded into the weights). {case}")
        if same(logit(tau) / bound) or same(logit(tau)):
            raise Mistake(f"That is a threshold on the logit, but the server returns scores "
                          f"p(z/A): push the boundary through the polynomial too. {case}")
        raise Mistake(f"Decline ⇔ σ(z) ≥ τ ⇔ z ≥ logit(τ) = ln(τ/(1−τ)); since p is increasing "
                      f"on [-1, 1], that is p(z/A) ≥ p(logit(τ)/A). {case}")
    return ("Because p is increasing on [-1, 1], thresholding p(z/A) at p(logit(τ)/A) gives "
            "exactly the cleartext decisions — the approximation error of p does not matter "
            "for decisions, only CKKS noise right at the boundary could.")


# --- L08.E4: the client's two contexts ---------------------------------------------------------
MAX_PUBLIC_BYTES = 10 * 1024 * 1024


def _load_context(blob, what: str):
    import tenseal as ts

    if not isinstance(blob, (bytes, bytearray)):
        raise Mistake(f"{what} should be bytes (ctx.serialize(...)), got {type(blob).__name__}.")
    try:
        return ts.context_from(bytes(blob))
    except Exception as exc:
        raise Mistake(f"{what} is not a serialized TenSEAL context ({exc}).") from None


def check_client_contexts(ns):
    import grpc
    import tenseal as ts

    from ..datasets import credit_applicants
    from ..he.service import ScoringServer, grpc_options, binding_tag, load_protos

    answer = ns.call("client_contexts", SCORE_PARAMS.as_dict())
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise Mistake(f"client_contexts should return a pair (private_bytes, public_bytes), got "
                      f"{type(answer).__name__}.")
    private_blob, public_blob = answer
    private = _load_context(private_blob, "private_bytes")
    public = _load_context(public_blob, "public_bytes")
    model = _model()
    messages, services = load_protos()
    with ScoringServer(model) as server:
        channel = grpc.insecure_channel(server.address, options=grpc_options())
        stub = services.ScoringStub(channel)
        try:
            try:
                reply = stub.RegisterContext(
                    messages.RegisterContextRequest(public_context=bytes(public_blob)), timeout=60)
            except grpc.RpcError as exc:
                code, details = exc.code().name, exc.details()
                if public.is_private():
                    raise Mistake(f"The real scoring server refused your public context: "
                                  f"{code} — {details}\nYou sent the SECRET KEY: whoever holds "
                                  f"it can decrypt every applicant. Serialize a copy after "
                                  f"make_context_public().") from None
                raise Mistake(f"The real scoring server refused your public context: {code} — "
                              f"{details}") from None
            if public.has_galois_keys() or len(public_blob) > MAX_PUBLIC_BYTES:
                raise Mistake(f"Your public context is {len(public_blob) / 1e6:.1f} MB because "
                              f"it carries Galois keys. The batched layout never rotates, so "
                              f"serialize with save_galois_keys=False (≈ 2.6 MB) — or build the "
                              f"context without galois_keys=True.")
            if not private.is_private():
                raise Mistake("private_bytes holds no secret key, so the client could never "
                              "decrypt its scores. Two ways to lose it: ctx.serialize() leaves "
                              "the secret key out unless you pass save_secret_key=True; and "
                              "make_context_public() called on the client's own context (in "
                              "place, not on a copy) throws the key away. Keep the key in the "
                              "client's bytes, and make the public context from ctx.copy().")
            x = model.features(credit_applicants(50, seed=13))
            cols = [ts.ckks_vector(public, x[:, j].tolist()).serialize()
                    for j in range(x.shape[1])]
            request = messages.ScoreRequest(
                context_id=reply.context_id, fingerprint=reply.fingerprint, n_applicants=50,
                feature_ciphertexts=cols,
                binding_tags=[binding_tag(reply.fingerprint, i, c) for i, c in enumerate(cols)])
            out = stub.Score(request, timeout=60)
        finally:
            channel.close()
    scores = np.asarray(ts.ckks_vector_from(private, out.score_ciphertext).decrypt())[:50]
    want = model.polynomial_scores(x)
    err = float(np.max(np.abs(scores - want))) if np.all(np.isfinite(scores)) else math.inf
    if not err <= 1e-3:
        raise Mistake(f"The server scored ciphertexts made with your public context, but your "
                      f"private context decrypts them to garbage (error {err:.3g}): the two "
                      f"come from different key pairs. Call make_context once, and derive the "
                      f"public context from a copy of that same context.")
    return (f"The server registered {len(public_blob) / 1e6:.1f} MB of public keys, scored 50 "
            f"applicants it could not read, and only your private context decrypted the result "
            f"(max error {err:.1e}).")


HINT_FIT = (
    "Fit on a fine uniform grid of t ∈ [-1, 1] the target σ(A·t) = 1/(1 + exp(−A·t)) by least "
    "squares, for degree 1, 2, 3, … and measure each fit's largest error on the grid.",
    "A degree-d polynomial costs ⌈log2(d + 1)⌉ levels: what matters is the number of levels, "
    "not the degree. np.polynomial.polynomial.polyfit returns coefficients lowest degree first.",
    "Stop at the first degree whose max error is within the target — it has the fewest "
    "levels — and return its coefficients in TenSEAL's order.",
)
HINT_SCORE = (
    "You are the lender's server: ts.context_from(context) and ts.ckks_vector_from(ctx, c) for "
    "each serialized column; no secret key, so return the encrypted scores, serialized.",
    "t = Σ_j columns[j] · weights[j] + bias, on the ciphertexts: a plaintext scalar product "
    "costs one level, adding the bias none, and the cubic two more.",
    "Accumulate the weighted columns into one ciphertext, add the bias, apply the polynomial "
    "with the coefficients as given (lowest degree first), and serialize that.",
)
HINT_THRESHOLD = (
    "In the clear the lender declines when σ(z) ≥ τ, i.e. when the logit z ≥ logit(τ).",
    "The server returns p(z/A) and p is increasing: where does the boundary z = logit(τ) land "
    "after dividing by A and applying p?",
    "return np.polynomial.polynomial.polyval(np.log(threshold / (1 - threshold)) / bound, "
    "coefficients)",
)
HINT_CONTEXTS = (
    "The client makes ONE context (it holds the secret key) and sends the server a copy "
    "without it. Both are returned serialized, as bytes.",
    "One make_context call; a public copy; then two serialize calls whose flags decide what "
    "leaves the client: the secret key only in the bytes the client keeps, no Galois keys in "
    "the bytes the server gets.",
    "make_context_public() works in place, so call it on ctx.copy(), not on ctx. serialize() "
    "leaves the secret key out unless asked (save_secret_key) and keeps Galois keys unless "
    "told not to (save_galois_keys).",
)

LESSON = Lesson("L08", "Encrypted credit scoring", "08_encrypted_scoring", (
    Exercise("L08.E1", "A polynomial sigmoid", 2, check_fit_sigmoid, HINT_FIT,
             shortcuts=("pets_helpers.he.scoring:fit_sigmoid_polynomial",)),
    Exercise("L08.E2", "Batched encrypted scoring", 3, check_score_batch, HINT_SCORE,
             shortcuts=("pets_helpers.he.scoring:encrypt_batch", "pets_helpers.he.scoring:score_encrypted_batch",)),
    Exercise("L08.E3", "The decision threshold on scores", 2, check_poly_threshold,
             HINT_THRESHOLD,
             shortcuts=("pets_helpers.he.scoring:ScoringModel.poly_threshold",)),
    Exercise("L08.E4", "The client's two contexts", 3, check_client_contexts, HINT_CONTEXTS),
))
