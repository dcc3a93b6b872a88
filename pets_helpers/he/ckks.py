"""TenSEAL CKKS contexts, depth accounting and measurements of precision, size and latency.

- :func:`make_context` builds a validated, 128-bit-secure TenSEAL context.
- Depth: each multiplication (ciphertext × ciphertext, × plaintext or × scalar) is followed by
  a rescale that consumes one prime of the modulus chain (one *level*). :func:`levels_left`
  reads what a ciphertext has left, :func:`guard_depth` refuses a circuit *before* it runs out,
  and :func:`explain_scale_error` turns TenSEAL's terse ``ValueError('scale out of bounds')``
  into a :class:`DepthExhausted` that says what happened and what to do.
- :func:`measure` and :func:`error_vs_depth` measure precision (bits), ciphertext size (bytes)
  and per-operation latency (milliseconds) for the Lesson 07 explorer.
"""

from __future__ import annotations

import functools
import math
import time

import numpy as np
import pandas as pd
import tenseal as ts

from ..randomness import resolve_rng
from ..validation import check_finite_array, check_int
from .params import CKKSParams, predicted_precision_bits


class DepthExhausted(ValueError):
    """A circuit needs more multiplications than the modulus chain has levels."""

    def __init__(self, message: str, available: int, attempted: int) -> None:
        super().__init__(message)
        self.available = available
        self.attempted = attempted


def _check_params(params) -> CKKSParams:
    if not isinstance(params, CKKSParams):
        raise TypeError(
            f"params must be a CKKSParams (e.g. COURSE_PARAMS['scoring'] or propose_params(...)), "
            f"got {type(params).__name__}."
        )
    return params.validate()


def _check_count(value, name: str) -> int:
    value = check_int(value, name)
    if value < 0:
        raise ValueError(f"{name} must be ≥ 0, got {value}.")
    return int(value)


def make_context(params: CKKSParams, galois_keys: bool = False) -> ts.Context:
    """A private TenSEAL CKKS context for ``params`` (validated first; insecure sets raise).

    Sets ``global_scale = 2**scale_bits``; generates Galois keys (needed for rotations, ``sum``
    and ``dot`` of two ciphertexts; ~0.5 s and tens of MB at N=8192) only if asked. The context
    holds the secret key: send ``ctx.make_context_public()``'d copies to servers.
    """
    params = _check_params(params)
    ctx = ts.context(
        ts.SCHEME_TYPE.CKKS,
        poly_modulus_degree=params.poly_modulus_degree,
        coeff_mod_bit_sizes=list(params.coeff_mod_bit_sizes),
    )
    ctx.global_scale = 2.0 ** params.scale_bits
    if galois_keys:
        ctx.generate_galois_keys()
    return ctx


def levels_left(vector) -> int:
    """Multiplications a CKKS ciphertext (``ts.CKKSVector`` / ``ts.CKKSTensor``) can still take."""
    try:
        cts = vector.ciphertext()
    except AttributeError:
        raise TypeError(
            f"levels_left needs a TenSEAL CKKS vector or tensor, got {type(vector).__name__}."
        ) from None
    ct = cts[0] if isinstance(cts, (list, tuple)) else cts
    # coeff_modulus_size counts the data primes still present (the special prime is never
    # part of a ciphertext); the last one (the first prime) cannot be rescaled away.
    return int(ct.coeff_modulus_size()) - 1


def _depth_message(params: CKKSParams, attempted: int, when: str) -> str:
    return (
        f"{when}: this circuit needs {attempted} multiplications in a row, but these parameters "
        f"allow only depth {params.depth}. Each multiplication consumes one prime of the modulus "
        f"chain (one level): the chain {list(params.coeff_mod_bit_sizes)} (N="
        f"{params.poly_modulus_degree}) has {params.depth} middle primes, so after "
        f"{params.depth} multiplications the ciphertext has no level left to rescale into and "
        f"TenSEAL reports 'scale out of bounds'. Choose parameters with enough depth, e.g. "
        f"propose_params(depth={attempted}), or make the circuit shallower (a lower-degree "
        f"polynomial, or multiply by plaintexts that were pre-combined in the clear)."
    )


def guard_depth(params: CKKSParams, multiplications) -> int:
    """Raise :class:`DepthExhausted` *before* running a circuit of ``multiplications``
    sequential multiplications that ``params`` cannot carry; otherwise return the levels spare.

    Count multiplications along the longest path: a plaintext dot product is 1, a degree-d
    polynomial evaluated by TenSEAL's ``polyval`` is ⌈log2(d+1)⌉ more (2 for degree 3).
    """
    params = _check_params(params)
    multiplications = _check_count(multiplications, "multiplications")
    if multiplications > params.depth:
        raise DepthExhausted(
            _depth_message(params, multiplications, "Depth exhausted (checked before running)"),
            available=params.depth, attempted=multiplications,
        )
    return params.depth - multiplications


def explain_scale_error(exc: BaseException, params: CKKSParams, operations_done) -> BaseException:
    """Turn TenSEAL's ``ValueError('scale out of bounds')`` into a :class:`DepthExhausted`.

    ``operations_done``: multiplications that succeeded before the failing one (so the circuit
    attempted ``operations_done + 1``). Any other exception is returned unchanged, so the idiom
    ``except ValueError as e: raise explain_scale_error(e, params, k) from e`` is always safe.
    """
    params = _check_params(params)
    operations_done = _check_count(operations_done, "operations_done")
    if not (isinstance(exc, ValueError) and "scale out of bounds" in str(exc)):
        return exc
    attempted = max(operations_done + 1, params.depth + 1)
    return DepthExhausted(
        _depth_message(params, attempted, f"TenSEAL raised '{exc}' at multiplication "
                                          f"{operations_done + 1}"),
        available=params.depth, attempted=attempted,
    )


def precision_bits(expected, decrypted) -> float:
    """Bits of absolute precision: −log2(max |expected − decrypted|); ``inf`` if exact.

    Compares the first ``len(expected)`` decrypted values (CKKS decryption may return padding).
    """
    exp = check_finite_array(expected, "expected").reshape(-1)
    dec = check_finite_array(decrypted, "decrypted").reshape(-1)
    if exp.size == 0:
        raise ValueError("expected is empty: need at least one value to compare.")
    if dec.size < exp.size:
        raise ValueError(f"decrypted has {dec.size} values but expected has {exp.size}.")
    err = float(np.max(np.abs(exp - dec[: exp.size])))
    return math.inf if err == 0.0 else -math.log2(err)


# ---- measurements ------------------------------------------------------------------------
@functools.lru_cache(maxsize=6)
def _measurement_context(params: CKKSParams, galois_keys: bool) -> ts.Context:
    # Throwaway contexts for measurements only (never for real data), cached so that sliders
    # stay responsive: key generation dominates small experiments.
    return make_context(params, galois_keys=galois_keys)


def _check_size(size, params: CKKSParams) -> int:
    if size is None:
        return params.slots
    size = _check_count(size, "size")
    if not 1 <= size <= params.slots:
        raise ValueError(f"size must be in 1..{params.slots} (the slots at N="
                         f"{params.poly_modulus_degree}), got {size}.")
    return size


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1e3


def measure(params: CKKSParams, depth=None, size=None, repeats=3, rng=None,
            galois_keys: bool = False) -> dict:
    """Encrypt, compute and decrypt once per repeat and report precision, size and latency.

    Circuit: x uniform in [-1, 1] (``size`` values, default all slots) is encrypted, then
    multiplied ``depth`` times (default ``params.depth``) by fresh *ciphertexts* of values
    uniform in [0.9, 1.1] (ciphertext × ciphertext: relinearization + rescale, the costlier
    case), then decrypted and compared with the same product in float64.

    Returns a dict: ``precision_bits`` (worst over repeats, bits of absolute precision),
    ``predicted_bits`` (the model of :func:`~pets_helpers.he.predicted_precision_bits`),
    ``ciphertext_bytes`` (a fresh serialized ciphertext), ``context_public_bytes`` (the public
    context without Galois keys), and median latencies in milliseconds: ``encrypt_ms``,
    ``add_ms`` (ct + ct), ``multiply_ms`` (ct × ct incl. relinearize + rescale, first level),
    ``rotate_ms`` (one slot rotation; NaN without ``galois_keys``; the first call pays ~0.5 s
    of key generation at N=8192, later calls are cached) and ``decrypt_ms``.
    """
    params = _check_params(params)
    depth = params.depth if depth is None else _check_count(depth, "depth")
    guard_depth(params, depth)
    size = _check_size(size, params)
    repeats = _check_count(repeats, "repeats")
    if repeats < 1:
        raise ValueError("repeats must be ≥ 1.")
    gen = resolve_rng(rng)
    ctx = _measurement_context(params, bool(galois_keys))
    times = {k: [] for k in ("encrypt", "add", "multiply", "rotate", "decrypt")}
    worst = math.inf
    ct_bytes = 0
    for _ in range(repeats):
        x = gen.random(size) * 2.0 - 1.0
        factors = [0.9 + 0.2 * gen.random(size) for _ in range(max(depth, 1))]
        start = time.perf_counter()
        enc = ts.ckks_vector(ctx, x.tolist())
        times["encrypt"].append(_ms(start))
        ct_bytes = len(enc.serialize())
        enc_factors = [ts.ckks_vector(ctx, f.tolist()) for f in factors]
        start = time.perf_counter()
        enc + enc_factors[0]
        times["add"].append(_ms(start))
        if galois_keys:
            times["rotate"].append(_rotate_ms(ctx, enc))
        result, expected = enc, x
        for k in range(depth):
            start = time.perf_counter()
            try:
                result = result * enc_factors[k]
            except ValueError as exc:  # pragma: no cover - guarded above
                raise explain_scale_error(exc, params, k) from exc
            if k == 0:
                times["multiply"].append(_ms(start))
            expected = expected * factors[k]
        if depth == 0 and params.depth > 0:
            start = time.perf_counter()
            enc * enc_factors[0]
            times["multiply"].append(_ms(start))
        start = time.perf_counter()
        out = result.decrypt()
        times["decrypt"].append(_ms(start))
        worst = min(worst, precision_bits(expected, out))
    public = ctx.copy()
    public.make_context_public()
    return {
        "poly_modulus_degree": params.poly_modulus_degree,
        "coeff_mod_bit_sizes": list(params.coeff_mod_bit_sizes),
        "scale_bits": params.scale_bits,
        "depth": depth,
        "size": size,
        "precision_bits": worst,
        "predicted_bits": predicted_precision_bits(params, depth),
        "ciphertext_bytes": ct_bytes,
        "context_public_bytes": len(public.serialize(save_galois_keys=False)),
        **{f"{k}_ms": float(np.median(v)) if v else math.nan for k, v in times.items()},
    }


def _rotate_ms(ctx: ts.Context, vector) -> float:
    """Time one left rotation by one slot with SEAL's evaluator (TenSEAL 0.3 exposes no
    ``rotate`` on CKKSVector; ``sum`` is log2(slots) of these)."""
    from tenseal import sealapi

    evaluator = sealapi.Evaluator(ctx.seal_context().data)
    out = sealapi.Ciphertext()
    ct = vector.ciphertext()[0]
    start = time.perf_counter()
    evaluator.rotate_vector(ct, 1, ctx.galois_keys().data, out)
    return _ms(start)


def error_vs_depth(params: CKKSParams, rng=None, size=None) -> pd.DataFrame:
    """Precision after 0, 1, …, ``params.depth`` multiplications, in one pass.

    Same circuit as :func:`measure` (x in [-1, 1] times fresh ciphertexts of values in
    [0.9, 1.1]). Columns: ``depth``, ``max_abs_error``, ``precision_bits`` (measured),
    ``predicted_bits`` (model), ``levels_left`` (read from the ciphertext).
    """
    params = _check_params(params)
    size = _check_size(size, params)
    gen = resolve_rng(rng)
    ctx = _measurement_context(params, False)
    x = gen.random(size) * 2.0 - 1.0
    result, expected = ts.ckks_vector(ctx, x.tolist()), x
    rows = []
    for k in range(params.depth + 1):
        if k:
            factor = 0.9 + 0.2 * gen.random(size)
            result = result * ts.ckks_vector(ctx, factor.tolist())
            expected = expected * factor
        bits = precision_bits(expected, result.decrypt())
        rows.append({
            "depth": k,
            "max_abs_error": 2.0 ** -bits,
            "precision_bits": bits,
            "predicted_bits": predicted_precision_bits(params, k),
            "levels_left": levels_left(result),
        })
    return pd.DataFrame(rows)


__all__ = [
    "DepthExhausted",
    "error_vs_depth",
    "explain_scale_error",
    "guard_depth",
    "levels_left",
    "make_context",
    "measure",
    "precision_bits",
]
