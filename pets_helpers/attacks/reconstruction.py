"""Dinur–Nissim reconstruction: too many too-precise answers reveal a secret column.

Setting (Dinur & Nissim 2003, "Revealing information while preserving privacy"): a database
holds one secret bit x_j ∈ {0, 1} per person (j = 1..n). An analyst asks m subset-sum queries
"how many people in subset S_i have x = 1?" and gets answers a_i = Σ_{j∈S_i} x_j + e_i with
some noise e_i. Writing the subsets as a 0/1 matrix Q (m × n), a = Qx + e.

- If the noise is bounded by E = o(√n), then with m = O(n log² n) random queries the linear
  program "find x ∈ [0,1]^n with |Qx − a| ≤ E", rounded, agrees with the secret on all but
  o(n) people (with all 2^n subsets, even E = o(n) suffices). Least squares does as well with
  m = O(n) random queries: x̂ = Q⁺a has per-person error ≈ N(0, 4σ²/(m − n)) for noise of
  standard deviation σ, so rounding is right with probability ≈ Φ(√(m − n) / (4σ))
  (:func:`predicted_lstsq_accuracy`).
- Once the noise is much larger than √n, every method drops to accuracy 1/2: no better than
  guessing each bit with a coin flip.

Link to differential privacy: a subset sum has sensitivity 1, so answering it with Laplace
noise of scale b is (1/b)-DP, and m such answers are (m/b)-DP by sequential composition. To
keep a total budget ε for m = 4n queries each answer needs noise of scale 4n/ε ≫ √n — the
attack fails. Conversely noise small enough for the attack (≈ √n) means a total ε ≈ 4√n,
which is no meaningful guarantee at all (:func:`dp_laplace_scale`).

The noise samplers here are a *simulation tool* for the attack, not a release mechanism:
they use textbook floating-point formulas (inverse CDF, Box–Muller), which are known to leak
through their low-order bits (Mironov 2012). Use the ``dp`` mechanisms for real releases.
"""

from __future__ import annotations

import math
from contextlib import contextmanager

import numpy as np

from ..randomness import resolve_rng
from ..validation import check_binary, check_epsilon, check_positive_int, check_real

MECHANISMS = ("uniform", "laplace", "gaussian")
METHODS = ("lstsq", "lp")


def make_secret_column(n, rng=None) -> np.ndarray:
    """n independent uniform secret bits (int8 0/1), one per person."""
    n = check_positive_int(n, "n")
    return np.asarray(resolve_rng(rng).integers(0, 2, size=n), dtype=np.int8)


def random_subset_queries(n, m, rng=None) -> np.ndarray:
    """An m × n 0/1 matrix (int8): row i is a random subset, each person in it w.p. 1/2."""
    n = check_positive_int(n, "n")
    m = check_positive_int(m, "m")
    return np.asarray(resolve_rng(rng).integers(0, 2, size=(m, n)), dtype=np.int8)


def _check_queries(queries) -> np.ndarray:
    q = np.asarray(queries)
    if q.ndim != 2 or q.shape[0] == 0 or q.shape[1] == 0:
        raise ValueError(f"queries must be a non-empty 2-D 0/1 matrix (m queries × n people), "
                         f"got shape {q.shape}.")
    if q.dtype.kind == "b":
        return q.astype(np.int8)
    if q.dtype.kind not in "iuf" or not np.all((q == 0) | (q == 1)):
        raise ValueError("queries must contain only 0 and 1 (1 = the person is in the subset).")
    return q.astype(np.int8, copy=False)


def _check_noise_scale(noise_scale) -> float:
    return check_real(noise_scale, "noise_scale", low=0, closed="both",
                      hint="Use 0 for exact answers.")


@contextmanager
def _single_threaded_blas():
    """Run small dense linear algebra on one BLAS thread.

    For matrices of a few hundred columns threading gains nothing, and on a busy 2-core machine
    OpenBLAS's spinning threads made ``lstsq`` 10–50× slower. Uses threadpoolctl (installed with
    scikit-learn) when available.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _noise(rng, mechanism: str, scale: float, size) -> np.ndarray:
    """Simulation noise from uniform draws (works with the secure generator too)."""
    if mechanism == "uniform":  # bounded: |e| ≤ scale, std scale/√3
        return scale * (2.0 * rng.random(size) - 1.0)
    if mechanism == "laplace":  # scale b: difference of two Exp(1) draws, std √2·b
        return scale * (np.log1p(-rng.random(size)) - np.log1p(-rng.random(size)))
    if mechanism == "gaussian":  # Box–Muller, std σ = scale
        radius = np.sqrt(-2.0 * np.log1p(-rng.random(size)))
        return scale * radius * np.cos(2.0 * np.pi * rng.random(size))
    raise ValueError(f"mechanism must be one of {MECHANISMS}, got {mechanism!r}.")


def noise_std(noise_scale, mechanism: str = "uniform") -> float:
    """Standard deviation of the simulated noise: E/√3 (uniform on [−E, E]), √2·b (Laplace
    of scale b), σ (Gaussian)."""
    scale = _check_noise_scale(noise_scale)
    factors = {"uniform": 1.0 / math.sqrt(3.0), "laplace": math.sqrt(2.0), "gaussian": 1.0}
    if mechanism not in factors:
        raise ValueError(f"mechanism must be one of {MECHANISMS}, got {mechanism!r}.")
    return scale * factors[mechanism]


def answer_queries(queries, secret, noise_scale, rng=None,
                   mechanism: str = "uniform") -> np.ndarray:
    """Noisy subset sums a = Q·secret + e (float64, length m).

    ``mechanism``: "uniform" — bounded noise, uniform on [−E, E] with E = ``noise_scale`` (the
    Dinur–Nissim model: every answer within E of the truth); "laplace" — Laplace of scale b =
    ``noise_scale`` (what an ε = 1/b DP answer of one subset sum would add); "gaussian" —
    N(0, σ²), σ = ``noise_scale``. ``noise_scale`` = 0 gives exact answers.
    """
    q = _check_queries(queries)
    secret = check_binary(secret, "secret")
    if secret.shape[0] != q.shape[1]:
        raise ValueError(f"secret has {secret.shape[0]} entries but queries has {q.shape[1]} "
                         "columns (one per person); they must match.")
    scale = _check_noise_scale(noise_scale)
    if mechanism not in MECHANISMS:
        raise ValueError(f"mechanism must be one of {MECHANISMS}, got {mechanism!r}.")
    exact = q.astype(np.float64) @ secret.astype(np.float64)
    if scale == 0.0:
        return exact
    return exact + _noise(resolve_rng(rng), mechanism, scale, q.shape[0])


def _check_answers(answers, m: int) -> np.ndarray:
    a = np.asarray(answers, dtype=np.float64)
    if a.shape != (m,):
        raise ValueError(f"answers must be a 1-D array with one answer per query ({m}), "
                         f"got shape {a.shape}.")
    if not np.all(np.isfinite(a)):
        raise ValueError("answers contains NaN or infinite values.")
    return a


def _lp_solution(q: np.ndarray, a: np.ndarray) -> np.ndarray:
    """x ∈ [0,1]^n minimising max_i |(Qx)_i − a_i| (Dinur–Nissim's LP with the smallest E)."""
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix, hstack, vstack

    m, n = q.shape
    qs = csr_matrix(q.astype(np.float64))
    ones = csr_matrix(np.ones((m, 1)))
    a_ub = vstack([hstack([qs, -ones]), hstack([-qs, -ones])]).tocsr()
    b_ub = np.concatenate([a, -a])
    c = np.zeros(n + 1)
    c[-1] = 1.0
    bounds = [(0.0, 1.0)] * n + [(0.0, None)]
    res = linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
    if not res.success:  # pragma: no cover - the LP is always feasible (x = 0, t large)
        raise RuntimeError(f"the reconstruction LP failed: {res.message}")
    return res.x[:n]


def reconstruct(queries, answers, method: str = "lstsq") -> np.ndarray:
    """The attacker's guess of the secret bits (int8 0/1) from subset queries and answers.

    ``method="lstsq"``: x̂ = argmin ‖Qx − a‖₂ (numpy least squares), rounded at 1/2 — fast,
    works for thousands of people. ``method="lp"``: Dinur–Nissim's linear program, x ∈ [0,1]^n
    minimising the largest residual max_i |(Qx)_i − a_i| (the smallest E for which
    "|Qx − a| ≤ E" is feasible), rounded at 1/2 — solved with scipy's HiGHS; use it for small n
    (a few hundred people at most).
    """
    q = _check_queries(queries)
    a = _check_answers(answers, q.shape[0])
    if method == "lstsq":
        with _single_threaded_blas():
            x = np.linalg.lstsq(q.astype(np.float64), a, rcond=None)[0]
    elif method == "lp":
        x = _lp_solution(q, a)
    else:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}.")
    return (x > 0.5).astype(np.int8)


def reconstruction_accuracy(secret, guess) -> float:
    """Fraction of people whose secret bit the guess gets right (1/2 = coin flipping)."""
    secret = check_binary(secret, "secret")
    guess = check_binary(guess, "guess")
    if secret.shape != guess.shape:
        raise ValueError(f"secret and guess differ in length ({secret.shape[0]} vs "
                         f"{guess.shape[0]}).")
    return float(np.mean(secret == guess))


def predicted_lstsq_accuracy(n, m, noise_std_) -> float:
    """Approximate accuracy of least-squares reconstruction: Φ(√(m − n) / (4σ)).

    For random subsets (each person in w.p. 1/2) and i.i.d. noise of standard deviation σ,
    each coordinate of Q⁺e is close to N(0, 4σ²/(m − n)) (the inverse-Wishart mean), and
    rounding errs when it exceeds 1/2 in the wrong direction. Needs m > n; 1.0 for σ = 0.
    """
    from scipy.stats import norm

    n = check_positive_int(n, "n")
    m = check_positive_int(m, "m")
    if m <= n:
        raise ValueError(
            f"the prediction needs more queries than people (m > n), got m={m}, n={n}."
        )
    sigma = check_real(noise_std_, "noise_std", low=0, closed="both")
    if sigma == 0.0:
        return 1.0
    return float(norm.cdf(math.sqrt(m - n) / (4.0 * sigma)))


def dp_laplace_scale(m, total_epsilon, sensitivity=1.0) -> float:
    """Laplace scale per answer so that m answers (each of ℓ1-sensitivity Δ) are jointly
    ``total_epsilon``-DP by sequential composition: b = m·Δ/ε."""
    m = check_positive_int(m, "m")
    total_epsilon = check_epsilon(total_epsilon, "total_epsilon")
    sensitivity = check_real(sensitivity, "sensitivity", low=0, closed="neither")
    return m * sensitivity / total_epsilon


def accuracy_vs_noise(n, m=None, noise_scales=None, trials=3, rng=None, method: str = "lstsq",
                      mechanism: str = "uniform"):
    """Reconstruction accuracy against the noise level: a DataFrame with one row per level.

    For each trial a fresh secret column and fresh m random subsets (default m = 4n) are drawn,
    and the same queries are answered at every noise level. Columns: ``noise`` (the
    noise_scale), ``noise_std``, ``noise_over_sqrt_n`` (std / √n), ``accuracy_mean``,
    ``accuracy_std`` (over trials; 0 with one trial) and, for lstsq, ``predicted`` (from
    :func:`predicted_lstsq_accuracy`). Default noise levels: 0 and 11 log-spaced levels from
    0.03√n to 30√n. With lstsq all levels share one pseudo-inverse per trial, so n = 200,
    m = 800, 12 levels, 3 trials take well under a second.
    """
    import pandas as pd

    n = check_positive_int(n, "n")
    m = 4 * n if m is None else check_positive_int(m, "m")
    trials = check_positive_int(trials, "trials")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}.")
    if mechanism not in MECHANISMS:
        raise ValueError(f"mechanism must be one of {MECHANISMS}, got {mechanism!r}.")
    if noise_scales is None:
        levels = np.concatenate([[0.0], math.sqrt(n) * np.geomspace(0.03, 30.0, 11)])
    else:
        levels = np.atleast_1d(np.asarray(noise_scales, dtype=np.float64))
        if levels.ndim != 1 or levels.size == 0:
            raise ValueError("noise_scales must be a non-empty 1-D list of noise levels.")
        for i, s in enumerate(levels):
            check_real(float(s), f"noise_scales[{i}]", low=0, closed="both")
    gen = resolve_rng(rng)
    acc = np.empty((trials, levels.size))
    for t in range(trials):
        secret = make_secret_column(n, gen)
        q = random_subset_queries(n, m, gen)
        qf = q.astype(np.float64)
        exact = qf @ secret.astype(np.float64)
        noise = _noise(gen, mechanism, 1.0, (m, levels.size)) * levels  # column k: scale k
        answers = exact[:, None] + noise
        if method == "lstsq":
            with _single_threaded_blas():  # n × levels, one factorisation for all levels
                x = np.linalg.lstsq(qf, answers, rcond=None)[0]
            guesses = x > 0.5
            acc[t] = np.mean(guesses == secret[:, None].astype(bool), axis=0)
        else:
            for k in range(levels.size):
                guess = (_lp_solution(q, answers[:, k]) > 0.5)
                acc[t, k] = np.mean(guess == secret.astype(bool))
    stds = np.array([noise_std(float(s), mechanism) for s in levels])
    out = pd.DataFrame({
        "noise": levels,
        "noise_std": stds,
        "noise_over_sqrt_n": stds / math.sqrt(n),
        "accuracy_mean": acc.mean(axis=0),
        "accuracy_std": acc.std(axis=0, ddof=1) if trials > 1 else np.zeros(levels.size),
    })
    if method == "lstsq" and m > n:
        out["predicted"] = [predicted_lstsq_accuracy(n, m, s) for s in stds]
    return out
