"""Lesson 08 — Encrypted credit scoring: exercises, checks and hints.

TenSEAL objects do not pickle, so exercises take and return plain values (numbers, numpy
arrays, dicts of parameters, serialized contexts as ``bytes``); the learner's function builds
its TenSEAL objects inside. References come from :mod:`pets_helpers.he.scoring` and the real
gRPC service (:mod:`pets_helpers.he.service`), which E4's check starts on localhost itself.

Cleartext shortcut (E2): an honest CKKS result differs from float64 by at least the fresh
encoding noise (≫ 1e-12), so agreement within ``CLEARTEXT_ATOL`` everywhere means the scores
were computed in the clear.
"""

from __future__ import annotations

import math

import numpy as np

from ..grading import Exercise, Lesson, Mistake
from ..grading.answers import as_array
from ..he import COURSE_PARAMS, predicted_precision_bits
from ..he.scoring import fit_sigmoid_polynomial, logit, sigmoid

SEED = 20260808
CLEARTEXT_ATOL = 1e-12
MODEL_MARGIN = 4.0
#: A learner's sigmoid fit may be this much worse (max error) than the library's and still pass.
FIT_SLACK = 0.10


def _coefficients(value, name: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float).reshape(-1)
    except Exception:
        raise Mistake(f"{name} should return a list or array of numbers (the polynomial's "
                      f"coefficients), got {type(value).__name__}.") from None
    if arr.size == 0 or not np.all(np.isfinite(arr)):
        raise Mistake(f"{name} returned no coefficients or non-finite ones: {value!r:.100}.")
    return arr


# --- L08.E1: the polynomial sigmoid ----------------------------------------------------------
FIT_CASES = [(3.0, 3), (6.0, 3), (9.5, 3), (4.0, 1)]
GRID = np.linspace(-1.0, 1.0, 2001)


def _max_error(coef, bound: float) -> float:
    return float(np.max(np.abs(np.polynomial.polynomial.polyval(GRID, coef)
                               - sigmoid(bound * GRID))))


def check_fit_sigmoid(ns):
    for bound, degree in FIT_CASES:
        coef = _coefficients(ns.call("fit_sigmoid", bound, degree), "fit_sigmoid")
        # Plain least squares (smallest mean square error) and the library's increasing fit
        # (used when the least-squares cubic turns down): either is a right answer.
        least_squares = _max_error(np.polynomial.polynomial.polyfit(
            GRID, sigmoid(bound * GRID), degree), bound)
        best = max(least_squares, fit_sigmoid_polynomial(bound, degree).max_error)
        tol = best * (1.0 + FIT_SLACK)
        case = f"(bound A={bound}, degree {degree})"
        if coef.size != degree + 1:
            raise Mistake(f"A degree-{degree} polynomial has {degree + 1} coefficients "
                          f"[c₀, …, c{degree}], you returned {coef.size}. {case} A lower degree "
                          f"saves a level but cannot follow the sigmoid's S-shape.")
        err = _max_error(coef, bound)
        if err <= tol:
            continue
        if _max_error(coef[::-1], bound) <= tol:
            raise Mistake(f"Your coefficients are highest degree first — np.polyfit's order. "
                          f"TenSEAL's polyval (and np.polynomial.polynomial) take them lowest "
                          f"degree first [c₀, c₁, …]: use np.polynomial.polynomial.polyfit, or "
                          f"reverse np.polyfit's result. {case}")
        if _max_error(coef, 1.0) <= 0.05:
            raise Mistake(f"You fitted σ(t), not σ(A·t): the server computes t = z/A (1/A is "
                          f"folded into the weights), so the polynomial must approximate "
                          f"σ(A·t) on t ∈ [-1, 1]. Your fit is off by {err:.3f} there. {case}")
        raise Mistake(f"Your polynomial is off from σ(A·t) by up to {err:.3f} on [-1, 1]; a "
                      f"least-squares fit of this degree gets within {best:.3f}. "
                      f"Fit on a fine uniform grid of t ∈ [-1, 1] (say 2001 points). {case}")
    return ("Degree 3 costs 2 levels. The wider the score range A, the worse any cubic fits "
            "σ(A·t) — and from A ≈ 3 on, the plain least-squares cubic even turns down near ±1, so "
            "the library then fits the best *increasing* cubic instead (ranking must survive).")


# --- L08.E2: batched encrypted scoring ---------------------------------------------------------
SCORE_PARAMS = COURSE_PARAMS["scoring"]
SCORE_CASES = [(300, 11), (1, 12)]


def _model():
    from ..he.service import default_model
    return default_model()


def check_score_batch(ns):
    from ..datasets import credit_applicants

    model = _model()
    w, b = model.encrypted_weights()
    coef = np.array(model.polynomial.coefficients)
    bits = predicted_precision_bits(SCORE_PARAMS, model.depth)
    tol = MODEL_MARGIN * float(np.sum(np.abs(coef))) * 2.0 ** -bits
    for n, seed in SCORE_CASES:
        x = model.features(credit_applicants(n, seed=seed))
        raw = ns.call("score_batch", x.copy(), w.copy(), b, list(coef),
                      SCORE_PARAMS.as_dict())
        try:
            got = np.asarray(raw, dtype=float).reshape(-1)
        except Exception:
            raise Mistake(f"score_batch should return a numpy array of decrypted scores, got "
                          f"{type(raw).__name__}.") from None
        if got.size == SCORE_PARAMS.slots and n != got.size:
            raise Mistake(f"You returned all {got.size} slots. A CKKSVector decrypts to as many "
                          f"values as were encrypted — here each column held {n} applicant(s); "
                          f"keep the first n = {n} values (decrypt()[:n]).")
        got = as_array(got, (n,), "score_batch", "one score per applicant")
        t = x @ w + b
        want = np.polynomial.polynomial.polyval(t, coef)
        err = float(np.max(np.abs(got - want)))
        case = f"({n} applicant(s): max error {err:.2e}, accepted ≤ {tol:.1e})"
        if err <= CLEARTEXT_ATOL:
            raise Mistake(f"Your scores equal float64's to within {CLEARTEXT_ATOL}: they were "
                          f"computed in the clear. The lender never sees the features — "
                          f"encrypt each feature column with ts.ckks_vector and compute on the "
                          f"ciphertexts. {case}")
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
                          f"multiplies column j (features[:, j]). {case}")
        raise Mistake(f"These are not the scores p(Σ wᵢ·xᵢ + b). Encrypt one ciphertext per "
                      f"feature column, multiply each by its weight, add them and the bias, "
                      f"then polyval. {case}")
    return ("Six scalar products, six additions and one polyval score every applicant in the "
            "batch at once: with 4,096 slots, 1 applicant and 1,000 cost the same (~0.2 s).")


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
                raise Mistake("private_bytes holds no secret key: you called "
                              "make_context_public() on the client's own context, in place, "
                              "which throws its secret key away. Make the public one from a "
                              "copy: public = ctx.copy(); public.make_context_public().")
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
    "Sample t on a fine grid of [-1, 1], compute the target σ(A·t) = 1/(1 + exp(−A·t)), and "
    "fit a polynomial of the given degree by least squares.",
    "np.polynomial.polynomial.polyfit(t, target, degree) returns the coefficients lowest degree "
    "first — the order TenSEAL's polyval wants. (np.polyfit returns them highest first.)",
    "t = np.linspace(-1, 1, 2001); return np.polynomial.polynomial.polyfit(t, 1 / (1 + "
    "np.exp(-bound * t)), degree)",
)
HINT_SCORE = (
    "Build the context from the params (make_context(CKKSParams(**params))) and encrypt one "
    "ciphertext per feature COLUMN: ts.ckks_vector(ctx, features[:, j].tolist()).",
    "acc = cols[0] * float(weights[0]); add cols[j] * float(weights[j]) for the others, then "
    "+ bias. A plaintext scalar product costs one level, the cubic two more.",
    "scores = acc.polyval(list(coefficients)); return np.array(scores.decrypt())[:n] with n = "
    "len(features).",
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
    "make_context_public() works in place: call it on ctx.copy(), not on ctx. Serialize the "
    "private one with save_secret_key=True and the public one with save_galois_keys=False.",
    "ctx = make_context(CKKSParams(**params)); pub = ctx.copy(); pub.make_context_public(); "
    "return ctx.serialize(save_secret_key=True), pub.serialize(save_galois_keys=False)",
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
