"""Encrypted credit scoring (Lesson 08): a cleartext logistic regression evaluated on CKKS
ciphertexts with a polynomial sigmoid.

Pipeline
--------
1. :func:`train_model` fits a scikit-learn ``LogisticRegression`` on standardized features, in
   the clear (the lender's own historical loan book).
2. :func:`fit_sigmoid_polynomial` fits a low-degree polynomial to the sigmoid on the range of
   scores the model actually produces. With z the logit, A the *score bound* and t = z / A,
   the polynomial p(t) ≈ σ(A·t) is a least-squares fit on a uniform grid of t ∈ [-1, 1].
   A = ``SCORE_MARGIN`` × max |z| over the training applicants, rounded up to a multiple of
   0.5: outside [-A, A] a polynomial diverges, so the bound must cover (with room) every score
   the model will see. The maximum approximation error on [-1, 1] is reported with the fit.
3. :meth:`ScoringModel.encrypted_weights` folds the standardization (mean, std) and 1/A into
   the plaintext weights, so the server computes t = Σ wᵢ·xᵢ + b on *raw* encrypted features
   (one multiplication by plaintext scalars: 1 level) and then p(t) with TenSEAL's ``polyval``
   (degree 3: 2 levels). Depth 3 = ``COURSE_PARAMS["scoring"]`` (checked with
   :func:`~pets_helpers.he.ckks.guard_depth` before any ciphertext is touched).
4. Batched (SIMD) layout — :func:`encrypt_batch`: one ciphertext per *feature*, holding that
   feature for up to N/2 = 4096 applicants in its slots; the whole batch is scored with six
   scalar multiplications, five additions and one polynomial. The per-applicant layout —
   :func:`encrypt_single` / :func:`score_encrypted_single` — is one ciphertext per applicant
   holding its six features, scored with a ``dot`` (needs Galois keys: rotations) and
   ``polyval``: several hundred times slower for 1,000 applicants (benchmarks/bench_he.py).

Decisions. The lender declines an applicant when the predicted default probability is at least
``threshold``. In the clear: σ(z) ≥ threshold ⇔ z ≥ logit(threshold). On ciphertexts the result
is p(z/A), so the same decision is p(z/A) ≥ p(logit(threshold)/A) (:attr:`ScoringModel.
poly_threshold`): p is increasing on [-1, 1] (checked when fitting), so the two rules agree
exactly except for applicants within the CKKS noise (~1e-5) of the threshold.
:func:`compare_with_cleartext` measures both the score error and the decision agreement.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import tenseal as ts

from ..validation import check_int, check_real
from .ckks import guard_depth
from .params import COURSE_PARAMS, CKKSParams

#: Multiplicative margin on the largest training |logit| when choosing the score bound A.
SCORE_MARGIN = 1.25
#: Default decision threshold on the predicted default probability (decline if ≥).
DEFAULT_THRESHOLD = 0.2


# ---- the polynomial sigmoid ---------------------------------------------------------------
@dataclass(frozen=True)
class SigmoidPolynomial:
    """p(t) = Σ coefficients[k]·t**k ≈ σ(bound·t) for t ∈ [-1, 1] (lowest degree first, the
    order TenSEAL's ``polyval`` takes). ``max_error``: max |p(t) − σ(bound·t)| on the fit grid."""

    coefficients: tuple
    bound: float
    max_error: float

    @property
    def degree(self) -> int:
        return len(self.coefficients) - 1

    def __call__(self, t) -> np.ndarray:
        """Evaluate p at ``t`` (already divided by the bound)."""
        return np.polynomial.polynomial.polyval(np.asarray(t, dtype=float), self.coefficients)

    def sigmoid_of_logit(self, z) -> np.ndarray:
        """p(z / bound): the polynomial's approximation of σ(z) for a logit z."""
        return self(np.asarray(z, dtype=float) / self.bound)

    def error_curve(self, points: int = 401) -> pd.DataFrame:
        """Columns ``logit``, ``sigmoid``, ``polynomial``, ``error`` on [-bound, bound] (for
        the approximation-error plot)."""
        z = np.linspace(-self.bound, self.bound, int(points))
        exact = sigmoid(z)
        approx = self.sigmoid_of_logit(z)
        return pd.DataFrame({"logit": z, "sigmoid": exact, "polynomial": approx,
                             "error": approx - exact})


def sigmoid(z) -> np.ndarray:
    """The logistic function 1 / (1 + e^(−z)), elementwise, stable for large |z|."""
    z = np.asarray(z, dtype=float)
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _increasing(coef) -> bool:
    t = np.linspace(-1.0, 1.0, 4001)
    slope = np.polynomial.polynomial.polyval(t, np.polynomial.polynomial.polyder(coef))
    return bool(np.all(slope >= -1e-12))


def fit_sigmoid_polynomial(score_bound, degree: int = 3, points: int = 2001) -> SigmoidPolynomial:
    """Least-squares fit of σ(A·t) on a uniform grid of ``points`` values of t ∈ [-1, 1].

    ``score_bound`` A > 0 is the largest |logit| the polynomial must handle (see the module
    docstring for how :func:`train_model` chooses it). Odd degrees only make sense here
    (σ(z) − 1/2 is odd). The fit must be non-decreasing on [-1, 1] (the decision rule relies
    on it): when the plain least-squares cubic is not (already from A ≈ 3 on, so for any
    realistic score range), the best monotone odd cubic 1/2 + a·(t − t³/3) is fitted
    instead. Raises ``ValueError`` if no monotone fit is found (other degrees with a too
    wide range).
    """
    score_bound = check_real(score_bound, "score_bound", low=0, closed="neither",
                             hint="It is the largest |logit| to approximate, e.g. 8.0.")
    degree = check_int(degree, "degree", low=1, high=7)  # each doubling costs a level
    t = np.linspace(-1.0, 1.0, int(points))
    target = sigmoid(float(score_bound) * t)
    coef = np.polynomial.polynomial.polyfit(t, target, int(degree))
    if not _increasing(coef) and degree == 3:
        # Already from A ≈ 3 on, the plain least-squares cubic turns down near ±1. Refit the
        # odd cubic 1/2 + a·t + b·t³ on the boundary of the constraint p'(±1) = a + 3b ≥ 0,
        # i.e. p(t) = 1/2 + a·(t − t³/3): the monotone least-squares cubic (flat at ±1).
        basis = t - t ** 3 / 3.0
        a = float(basis @ (target - 0.5) / (basis @ basis))
        coef = np.array([0.5, a, 0.0, -a / 3.0])
    if not _increasing(coef):
        raise ValueError(
            f"the degree-{degree} least-squares fit of the sigmoid on [-{score_bound}, "
            f"{score_bound}] is not increasing on the whole range, so thresholding it would not "
            f"rank applicants like the sigmoid. Use a smaller score bound or a higher degree.")
    approx = np.polynomial.polynomial.polyval(t, coef)
    return SigmoidPolynomial(tuple(float(c) for c in coef), float(score_bound),
                             float(np.max(np.abs(approx - target))))


# ---- the model ----------------------------------------------------------------------------
@dataclass
class ScoringModel:
    """A logistic regression on standardized features plus its polynomial sigmoid.

    ``coef``/``intercept`` act on standardized features (x − mean) / std. ``polynomial``
    approximates σ on [-A, A] with A = ``polynomial.bound``. ``threshold``: decline when the
    predicted default probability is ≥ it.
    """

    feature_names: tuple
    mean: np.ndarray
    std: np.ndarray
    coef: np.ndarray
    intercept: float
    polynomial: SigmoidPolynomial
    threshold: float = DEFAULT_THRESHOLD
    params: CKKSParams = field(default_factory=lambda: COURSE_PARAMS["scoring"])

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    @property
    def score_bound(self) -> float:
        return self.polynomial.bound

    @property
    def depth(self) -> int:
        """Multiplications along the encrypted circuit: 1 (weights) + ⌈log2(degree+1)⌉."""
        return 1 + math.ceil(math.log2(self.polynomial.degree + 1))

    def features(self, data) -> np.ndarray:
        """The model's feature matrix (n, d) from a DataFrame (by column name) or an array."""
        if isinstance(data, pd.DataFrame):
            missing = [c for c in self.feature_names if c not in data.columns]
            if missing:
                raise ValueError(f"the table lacks feature columns {missing}; the model uses "
                                 f"{list(self.feature_names)}.")
            data = data[list(self.feature_names)].to_numpy(dtype=float)
        x = np.asarray(data, dtype=float)
        if x.ndim == 1:
            x = x.reshape(1, -1)
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise ValueError(f"features must have shape (n_applicants, {self.n_features}) "
                             f"(columns {list(self.feature_names)}), got {x.shape}.")
        if not np.all(np.isfinite(x)):
            raise ValueError("features contain NaN or infinite values; impute them first.")
        return x

    def logits(self, data) -> np.ndarray:
        """Cleartext scores z = coef · (x − mean)/std + intercept."""
        x = self.features(data)
        return (x - self.mean) / self.std @ self.coef + self.intercept

    def predict_proba(self, data) -> np.ndarray:
        """Cleartext default probabilities σ(z) (exact sigmoid)."""
        return sigmoid(self.logits(data))

    def polynomial_scores(self, data) -> np.ndarray:
        """What the encrypted circuit computes, in the clear: p(z / A)."""
        return self.polynomial.sigmoid_of_logit(self.logits(data))

    def decide(self, data) -> np.ndarray:
        """Cleartext decisions: True = decline (σ(z) ≥ threshold)."""
        return self.logits(data) >= logit(self.threshold)

    @property
    def poly_threshold(self) -> float:
        """The threshold on p(z/A) equivalent to σ(z) ≥ threshold (p is increasing)."""
        return float(self.polynomial.sigmoid_of_logit(logit(self.threshold)))

    def decide_from_scores(self, poly_scores) -> np.ndarray:
        """Decisions (True = decline) from decrypted polynomial scores p(z/A)."""
        return np.asarray(poly_scores, dtype=float) >= self.poly_threshold

    def encrypted_weights(self) -> tuple[np.ndarray, float]:
        """Weights and bias on *raw* features with standardization and 1/A folded in:
        t = Σ wᵢ·xᵢ + b = z / A."""
        a = self.score_bound
        w = self.coef / self.std / a
        b = (self.intercept - float(np.sum(self.coef * self.mean / self.std))) / a
        return w, float(b)

    def guard_depth(self) -> int:
        """Raise DepthExhausted if the circuit does not fit ``params``; else the spare levels."""
        return guard_depth(self.params, self.depth)


def logit(p: float) -> float:
    """ln(p / (1 − p)): the logit of a probability p in (0, 1) (inverse of :func:`sigmoid`)."""
    return math.log(p / (1.0 - p))


def train_model(frame: pd.DataFrame, features, target: str = "default",
                degree: int = 3, threshold: float = DEFAULT_THRESHOLD,
                params: CKKSParams | None = None, C: float = 1.0) -> ScoringModel:
    """Fit the lender's model in the clear and prepare it for encrypted inference.

    ``features`` names the feature columns of ``frame``, in the order the model uses them (e.g.
    :data:`pets_helpers.datasets.CREDIT_FEATURES`). Standardizes them (mean/std of ``frame``), fits ``LogisticRegression(C=C)``, sets
    the score bound A = ``SCORE_MARGIN`` × max |z| on ``frame`` (rounded up to a multiple of
    0.5) and fits the degree-``degree`` polynomial sigmoid on [-A, A]. The circuit depth is
    checked against ``params`` (default ``COURSE_PARAMS["scoring"]``) before returning.
    """
    from sklearn.linear_model import LogisticRegression

    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}.")
    features = tuple(features)
    if target not in frame.columns:
        raise ValueError(f"frame has no target column {target!r}.")
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be a probability in (0, 1), got {threshold!r}.")
    x = frame[list(features)].to_numpy(dtype=float) if set(features) <= set(frame.columns) \
        else None
    if x is None:
        raise ValueError(f"frame lacks some of the feature columns {list(features)}.")
    y = frame[target].to_numpy()
    if len(np.unique(y)) != 2:
        raise ValueError("the target needs both classes (defaulted and repaid) to train.")
    mean, std = x.mean(axis=0), x.std(axis=0)
    if np.any(std == 0):
        raise ValueError("a feature is constant in the training data; drop it.")
    clf = LogisticRegression(C=C, max_iter=1000).fit((x - mean) / std, y)
    coef, intercept = clf.coef_[0].astype(float), float(clf.intercept_[0])
    z = (x - mean) / std @ coef + intercept
    bound = math.ceil(2.0 * SCORE_MARGIN * float(np.max(np.abs(z)))) / 2.0
    model = ScoringModel(features, mean, std, coef, intercept,
                         fit_sigmoid_polynomial(bound, degree), float(threshold),
                         params if params is not None else COURSE_PARAMS["scoring"])
    model.guard_depth()
    return model


# ---- encryption and encrypted scoring -----------------------------------------------------
def _check_context(context) -> None:
    if not isinstance(context, ts.Context):
        raise TypeError(f"context must be a tenseal Context (make_context(COURSE_PARAMS"
                        f"['scoring'])), got {type(context).__name__}.")


def symmetric_context(context):
    """A copy of a private ``context`` that encrypts with the *secret* key (symmetric CKKS).

    The client holds the secret key anyway, and symmetric encryption skips the public-key
    multiplication: about half the time, same ciphertext size (benchmarks/bench_service.py).
    Ciphertexts decrypt with the original context too. The copy keeps no public, relin or
    Galois keys (it only encrypts and decrypts) and can never be made public: register the
    original's public copy with servers.
    """
    _check_context(context)
    if not context.is_private():
        raise ValueError("symmetric encryption needs the secret key: pass the client's private "
                         "context (not its public copy).")
    from .wire import tenseal_protos

    context_proto, _ = tenseal_protos()
    msg = context_proto.FromString(context.serialize(
        save_public_key=False, save_secret_key=True, save_galois_keys=False,
        save_relin_keys=False))
    msg.encryption_type = int(ts.ENCRYPTION_TYPE.SYMMETRIC.value)
    msg.private_context.relin_keys_generated = False  # do not regenerate keys it never uses
    msg.private_context.galois_keys_generated = False
    return ts.context_from(msg.SerializeToString())


def encrypt_batch(context, features, model: ScoringModel | None = None) -> list:
    """One ``CKKSVector`` per feature column, each holding that feature for all applicants.

    ``features``: an (n, d) array, or a DataFrame (then ``model`` picks the columns by name).
    n must not exceed the slot count (N/2 = 4096 for the scoring parameters).
    """
    _check_context(context)
    x = model.features(features) if model is not None else np.asarray(features, dtype=float)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"features must be a non-empty (n_applicants, n_features) array, "
                         f"got shape {x.shape}.")
    if not np.all(np.isfinite(x)):
        raise ValueError("features contain NaN or infinite values.")
    slots = context.seal_context().data.key_context_data().parms().poly_modulus_degree() // 2
    if x.shape[0] > slots:
        raise ValueError(f"{x.shape[0]} applicants do not fit in one ciphertext ({slots} slots):"
                         f" split the batch into chunks of at most {slots}.")
    return [ts.ckks_vector(context, np.ascontiguousarray(x[:, j]).tolist())
            for j in range(x.shape[1])]


def score_encrypted_batch(encrypted_columns, model: ScoringModel):
    """Encrypted scores p(z/A) for a batch: Σ wᵢ·colᵢ + b, then the polynomial (depth 3)."""
    model.guard_depth()
    cols = list(encrypted_columns)
    if len(cols) != model.n_features:
        raise ValueError(f"expected {model.n_features} encrypted feature columns "
                         f"({list(model.feature_names)}), got {len(cols)}.")
    w, b = model.encrypted_weights()
    acc = cols[0] * float(w[0])
    for col, wi in zip(cols[1:], w[1:]):
        acc += col * float(wi)
    acc += b
    return acc.polyval(list(model.polynomial.coefficients))


def encrypt_single(context, row) -> object:
    """One applicant's features in one ciphertext (the slow layout, for comparison)."""
    _check_context(context)
    x = np.asarray(row, dtype=float).reshape(-1)
    return ts.ckks_vector(context, x.tolist())


def score_encrypted_single(encrypted_row, model: ScoringModel):
    """Encrypted score of one applicant encrypted with :func:`encrypt_single`: ``dot`` with
    the weights (rotations: the context needs Galois keys) + bias, then the polynomial."""
    model.guard_depth()
    w, b = model.encrypted_weights()
    try:
        z = encrypted_row.dot(w.tolist())
    except ValueError as exc:
        if "Galois" in str(exc):
            raise ValueError("score_encrypted_single needs rotations: build the context with "
                             "make_context(params, galois_keys=True).") from exc
        raise
    return (z + b).polyval(list(model.polynomial.coefficients))


def decrypt_scores(encrypted_scores, n: int | None = None) -> np.ndarray:
    """Decrypt (the context must hold the secret key) and keep the first ``n`` slots."""
    values = np.asarray(encrypted_scores.decrypt(), dtype=float)
    return values if n is None else values[:n]


def compare_with_cleartext(decrypted_scores, data, model: ScoringModel) -> dict:
    """Accuracy of encrypted scoring against the cleartext model on the same applicants.

    Returns ``n``, ``max_abs_error_ckks`` (vs p(z/A) in float64: the encryption noise),
    ``max_abs_error_sigmoid`` (vs σ(z): noise + polynomial approximation), ``agreement``
    (share of identical decline/approve decisions), ``disagreements`` and
    ``out_of_range`` (applicants with |z| > A, where the polynomial is not valid).
    """
    z = model.logits(data)
    scores = np.asarray(decrypted_scores, dtype=float)[: len(z)]
    if scores.size != z.size:
        raise ValueError(f"{scores.size} decrypted scores for {z.size} applicants.")
    clear_dec = z >= logit(model.threshold)
    enc_dec = model.decide_from_scores(scores)
    return {
        "n": int(z.size),
        "max_abs_error_ckks": float(np.max(np.abs(scores - model.polynomial.sigmoid_of_logit(z)))),
        "max_abs_error_sigmoid": float(np.max(np.abs(scores - sigmoid(z)))),
        "agreement": float(np.mean(clear_dec == enc_dec)),
        "disagreements": int(np.sum(clear_dec != enc_dec)),
        "out_of_range": int(np.sum(np.abs(z) > model.score_bound)),
    }


__all__ = [
    "DEFAULT_THRESHOLD",
    "SCORE_MARGIN",
    "ScoringModel",
    "SigmoidPolynomial",
    "compare_with_cleartext",
    "decrypt_scores",
    "encrypt_batch",
    "encrypt_single",
    "fit_sigmoid_polynomial",
    "logit",
    "sigmoid",
    "score_encrypted_batch",
    "score_encrypted_single",
    "symmetric_context",
    "train_model",
]
