"""CKKS parameters: the 128-bit security table, a validated parameter set and a proposer.

A CKKS parameter set has three knobs:

- ``poly_modulus_degree`` N (a power of two): N/2 slots per ciphertext; larger N is slower but
  allows a longer modulus chain at the same security.
- ``coeff_mod_bit_sizes``: the bit sizes of the primes of the coefficient modulus, in order
  ``[first, middle…, special]``. Each multiplication is followed by a *rescale* that drops one
  middle prime (one *level*), so the number of middle primes is the multiplicative depth.
  The first prime holds the result at the last level (scale bits + integer bits of the value);
  the special (last) prime is used only for key switching and must be the largest.
- ``scale_bits``: values are encoded as round(x · 2**scale_bits).

Security: the sum of all prime bit sizes (including the special prime) must not exceed the
HomomorphicEncryption.org table for the chosen N (:data:`SECURITY_TABLE_128`); SEAL refuses
anything above it with an unhelpful "encryption parameters are not set correctly", so
:meth:`CKKSParams.validate` explains it first.

Why middle primes must equal ``scale_bits`` (an error here, not a warning): after each
rescale TenSEAL divides by the dropped prime q but then *declares* the scale to be exactly
2**scale_bits again. A 30-bit prime under a 40-bit scale therefore multiplies every value by
2**10 (0.25² decrypts to 256, measured). Even a prime of the right size is not exactly 2**s:
primes usable for N must be ≡ 1 mod 2N, so |q − 2**s|/2**s ≥ ~2N/2**s, and this relative
drift accumulates with each multiplication. Precision model (:func:`predicted_precision_bits`,
checked against measurements in the tests to within ~1 bit)::

    max abs error after d multiplications ≈ 2N/2**s  +  Σ_{d rescaling primes} |q − 2**s|/2**s

i.e. fresh precision ≈ scale_bits − log2(N) − 1 bits, then a few bits lost per multiplication
(more for small scales, where the prime gap is relatively large).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from ..validation import check_int, check_real

#: Maximum total coefficient-modulus bits (log2 of q·p, special prime included) for 128-bit
#: classical security with ternary secrets: Albrecht et al., "Homomorphic Encryption Security
#: Standard", HomomorphicEncryption.org, Nov 2018, Table 1 (the same numbers as
#: ``seal::CoeffModulus::MaxBitCount(N, sec_level_type::tc128)``).
SECURITY_TABLE_128 = {1024: 27, 2048: 54, 4096: 109, 8192: 218, 16384: 438, 32768: 881}

#: SEAL's bounds on the bit size of a single prime of the coefficient modulus.
MIN_PRIME_BITS = 20
MAX_PRIME_BITS = 60


class InsecureParameters(ValueError):
    """The coefficient modulus is larger than the 128-bit table allows for this degree."""



@dataclass(frozen=True)
class CKKSParams:
    """A CKKS parameter set: degree N, prime bit sizes ``[first, middle…, special]``, scale bits.

    Construct freely; :meth:`validate` (called by :func:`~pets_helpers.he.make_context`)
    checks it. ``coeff_mod_bit_sizes`` is stored as a tuple so that the set is hashable.
    """

    poly_modulus_degree: int
    coeff_mod_bit_sizes: tuple
    scale_bits: int

    def __post_init__(self) -> None:
        sizes = self.coeff_mod_bit_sizes
        if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
            raise TypeError(
                f"coeff_mod_bit_sizes must be a list of prime bit sizes, e.g. [50, 36, 36, 60], "
                f"got {sizes!r}."
            )
        object.__setattr__(self, "coeff_mod_bit_sizes", tuple(sizes))

    # ---- derived quantities -------------------------------------------------------------
    @property
    def depth(self) -> int:
        """Multiplicative levels available: the number of middle primes (len(chain) − 2)."""
        return max(len(self.coeff_mod_bit_sizes) - 2, 0)

    @property
    def total_bits(self) -> int:
        """Total coefficient-modulus bits, special prime included (what the table bounds)."""
        return int(sum(self.coeff_mod_bit_sizes))

    @property
    def slots(self) -> int:
        """Number of real values one ciphertext holds (N/2)."""
        return self.poly_modulus_degree // 2

    @property
    def integer_bits(self) -> int:
        """Bits left above the scale in the first prime: |values| must stay below ~2**this
        (with one bit of sign) at the last level."""
        return self.coeff_mod_bit_sizes[0] - self.scale_bits

    @property
    def max_total_bits(self) -> int | None:
        """The 128-bit table's limit for this degree (None if the degree is not in the table)."""
        return SECURITY_TABLE_128.get(self.poly_modulus_degree)

    @property
    def is_secure(self) -> bool:
        """True iff the degree is in the 128-bit table and ``total_bits`` is within its limit."""
        limit = self.max_total_bits
        return limit is not None and self.total_bits <= limit

    @property
    def ciphertext_bytes(self) -> int:
        """Uncompressed bytes of a fresh ciphertext: 2 polynomials × N coefficients × one 64-bit
        word per data prime (the special prime is not part of a ciphertext)."""
        return 2 * self.poly_modulus_degree * (len(self.coeff_mod_bit_sizes) - 1) * 8

    def as_dict(self) -> dict:
        """The set as plain data (``poly_modulus_degree``, ``coeff_mod_bit_sizes`` as a list,
        ``scale_bits``): what crosses to learner code or a config file."""
        return {"poly_modulus_degree": self.poly_modulus_degree,
                "coeff_mod_bit_sizes": list(self.coeff_mod_bit_sizes),
                "scale_bits": self.scale_bits}

    def label(self) -> str:
        """A short label for titles and messages: N, the prime chain and the scale."""
        return (f"N={self.poly_modulus_degree}, chain {list(self.coeff_mod_bit_sizes)}, "
                f"scale 2**{self.scale_bits}")

    def describe(self) -> str:
        """One line: N, chain, scale, depth, slots and the security budget used."""
        limit = self.max_total_bits
        budget = f"{self.total_bits}/{limit} bits" if limit else f"{self.total_bits} bits"
        return (
            f"N={self.poly_modulus_degree}, coeff_mod_bit_sizes={list(self.coeff_mod_bit_sizes)}, "
            f"scale=2**{self.scale_bits}: depth {self.depth}, {self.slots} slots, {budget}"
        )

    # ---- validation ---------------------------------------------------------------------
    def validate(self) -> "CKKSParams":
        """Return self, or raise one clear error.

        Raises ``TypeError`` for non-integers, ``ValueError`` for a malformed set (degree not in
        the table, fewer than 2 primes, a prime outside 20–60 bits, a middle prime ≠ scale_bits,
        the special prime not the largest, the first prime not above the scale) and
        :class:`InsecureParameters` when the total exceeds the 128-bit table.
        """
        n = check_int(self.poly_modulus_degree, "poly_modulus_degree")
        sizes = [check_int(b, f"coeff_mod_bit_sizes[{i}]")
                 for i, b in enumerate(self.coeff_mod_bit_sizes)]
        scale = check_int(self.scale_bits, "scale_bits")
        if n not in SECURITY_TABLE_128:
            raise ValueError(
                f"poly_modulus_degree must be one of {sorted(SECURITY_TABLE_128)} (a power of two "
                f"in the 128-bit security table), got {n}."
            )
        if len(sizes) < 2:
            raise ValueError(
                f"coeff_mod_bit_sizes needs at least 2 primes ([first, special]; add one middle "
                f"prime per multiplication), got {sizes}."
            )
        for i, b in enumerate(sizes):
            if not MIN_PRIME_BITS <= b <= MAX_PRIME_BITS:
                raise ValueError(
                    f"coeff_mod_bit_sizes[{i}] = {b}: each prime must have "
                    f"{MIN_PRIME_BITS}–{MAX_PRIME_BITS} bits (SEAL's limits)."
                )
        if not MIN_PRIME_BITS <= scale <= MAX_PRIME_BITS:
            raise ValueError(
                f"scale_bits must lie in {MIN_PRIME_BITS}–{MAX_PRIME_BITS} (it equals the middle "
                f"primes' size), got {scale}."
            )
        for i, b in enumerate(sizes[1:-1], start=1):
            if b != scale:
                raise ValueError(
                    f"coeff_mod_bit_sizes[{i}] = {b} but scale_bits = {scale}: every middle prime "
                    f"must have exactly scale_bits bits. Each rescale divides by one middle prime "
                    f"and TenSEAL then resets the scale to 2**{scale}, so a {b}-bit prime scales "
                    f"every value by about 2**{scale - b}. Use [{sizes[0]}, "
                    f"{', '.join([str(scale)] * (len(sizes) - 2))}, {sizes[-1]}]."
                )
        if sizes[-1] < max(sizes[:-1]):
            raise ValueError(
                f"the special (last) prime has {sizes[-1]} bits but the largest other prime has "
                f"{max(sizes[:-1])}: the special prime is used for key switching and must be the "
                f"largest, otherwise relinearization noise swamps the result. Put the largest "
                f"prime last, e.g. {sizes[:-1] + [max(sizes[:-1])]}."
            )
        if sizes[0] <= scale:
            raise ValueError(
                f"the first prime has {sizes[0]} bits but scale_bits = {scale}: at the last level "
                f"a value x is stored as x·2**{scale} under the first prime, so it needs "
                f"scale_bits + the integer bits of your largest |x| (e.g. {scale + 10} bits for "
                f"|x| < 2**9)."
            )
        limit = SECURITY_TABLE_128[n]
        total = sum(sizes)
        if total > limit:
            raise InsecureParameters(
                f"coeff_mod_bit_sizes {sizes} total {total} bits, but at poly_modulus_degree={n} "
                f"the HomomorphicEncryption.org 128-bit table allows at most {limit} bits "
                f"({total - limit} too many). Use fewer or smaller primes (less depth or a smaller "
                f"scale) or a larger degree ({_larger_degree_hint(n, total)})."
            )
        return self


def _larger_degree_hint(n: int, total: int) -> str:
    for degree in sorted(SECURITY_TABLE_128):
        if degree > n and SECURITY_TABLE_128[degree] >= total:
            return f"N={degree} allows {SECURITY_TABLE_128[degree]} bits"
    return "no degree in the table allows that many bits"


# ---- precision model --------------------------------------------------------------------
@functools.lru_cache(maxsize=512)
def _primes(n: int, sizes: tuple) -> tuple | None:
    """The primes SEAL generates for (N, bit sizes), or None if there are not enough."""
    from tenseal import sealapi

    try:
        return tuple(int(p.value()) for p in sealapi.CoeffModulus.Create(n, list(sizes)))
    except (RuntimeError, ValueError):
        return None


def predicted_precision_bits(params: CKKSParams, multiplications: int | None = None) -> float:
    """Predicted bits of absolute precision after ``multiplications`` ciphertext products.

    Model (see the module docstring): error ≈ 2N/2**s (fresh encryption/encoding noise) plus
    the relative drift Σ|q − 2**s|/2**s of the primes dropped by the rescales, for values in
    [-1, 1] multiplied by values near 1. It uses the actual primes SEAL generates, matches
    :func:`~pets_helpers.he.measure` to about one bit, and is what :func:`propose_params` uses.
    Defaults to ``params.depth`` multiplications.
    """
    params.validate()
    d = params.depth if multiplications is None else check_int(multiplications, "multiplications")
    if not 0 <= d <= params.depth:
        raise ValueError(f"multiplications must be in 0..{params.depth} (the depth), got {d}.")
    primes = _primes(params.poly_modulus_degree, params.coeff_mod_bit_sizes)
    if primes is None:
        raise ValueError(f"SEAL cannot generate enough primes for {params.describe()}.")
    s = 2.0 ** params.scale_bits
    dropped = primes[:-1][::-1][:d]  # each rescale drops the last remaining data prime
    error = 2.0 * params.poly_modulus_degree / s + sum(abs(q - s) / s for q in dropped)
    return -math.log2(error)


# ---- proposer ----------------------------------------------------------------------------
#: Bits of safety between the model and the requested precision in :func:`propose_params`.
PRECISION_MARGIN_BITS = 1.0


def _search(depth: int, precision_bits: float, integer_bits: int):
    """Smallest degree (then smallest scale) meeting the request, or None."""
    for n in sorted(SECURITY_TABLE_128):
        limit = SECURITY_TABLE_128[n]
        for s in range(MIN_PRIME_BITS, MAX_PRIME_BITS - integer_bits + 1):
            first = s + integer_bits
            if 2 * first + depth * s > limit:
                break  # larger scales only cost more bits
            if s - math.log2(2 * n) < precision_bits + PRECISION_MARGIN_BITS:
                continue  # fresh noise alone already too large (cheap pre-filter)
            params = CKKSParams(n, (first,) + (s,) * depth + (first,), s)
            if _primes(n, params.coeff_mod_bit_sizes) is None:
                continue
            if predicted_precision_bits(params) >= precision_bits + PRECISION_MARGIN_BITS:
                return params
    return None


def propose_params(depth, precision_bits=20, integer_bits=10, security=128) -> CKKSParams:
    """The cheapest 128-bit-secure parameters for ``depth`` multiplications.

    Chain: ``[scale + integer_bits] + depth × [scale] + [special]`` with the special prime as
    large as the first (the largest). The degree is the smallest in :data:`SECURITY_TABLE_128`
    whose budget fits, and the scale the smallest for which the model of
    :func:`predicted_precision_bits` leaves ``precision_bits`` (+1 bit margin) of absolute
    precision after ``depth`` ciphertext multiplications of values in [-1, 1] by values near 1.
    Rule of thumb behind it: fresh precision ≈ scale_bits − log2(N) − 1, minus a few bits per
    multiplication. ``integer_bits``: values (at every level) must satisfy
    |x| < 2**(integer_bits−1).

    Raises ``ValueError`` naming the largest feasible depth (or precision) when nothing in the
    table fits.
    """
    depth = check_int(depth, "depth")
    integer_bits = check_int(integer_bits, "integer_bits")
    precision_bits = check_real(precision_bits, "precision_bits", low=0, closed="neither")
    if depth < 0:
        raise ValueError(f"depth must be ≥ 0 (multiplications in the circuit), got {depth}.")
    if not 1 <= integer_bits <= MAX_PRIME_BITS - MIN_PRIME_BITS:
        raise ValueError(
            f"integer_bits must lie in 1–{MAX_PRIME_BITS - MIN_PRIME_BITS} (the first prime, "
            f"scale + integer_bits, has at most {MAX_PRIME_BITS} bits), got {integer_bits}."
        )
    if security != 128:
        raise ValueError(
            f"security={security!r}: only the 128-bit table (SECURITY_TABLE_128) is shipped."
        )
    found = _search(depth, float(precision_bits), integer_bits)
    if found is not None:
        return found
    if _search(0, float(precision_bits), integer_bits) is None:
        best = max(
            (predicted_precision_bits(CKKSParams(n, (s + integer_bits,) * 2, s))
             for n in sorted(SECURITY_TABLE_128)
             for s in range(MIN_PRIME_BITS, MAX_PRIME_BITS + 1 - integer_bits)
             if 2 * (s + integer_bits) <= SECURITY_TABLE_128[n]),
            default=0.0,
        )
        raise ValueError(
            f"precision_bits={precision_bits} is out of reach even without multiplications: "
            f"with integer_bits={integer_bits} the best within the 128-bit table is about "
            f"{best - PRECISION_MARGIN_BITS:.0f} bits. Ask for less precision or fewer "
            f"integer bits."
        )
    low, high = 0, depth  # feasible, infeasible
    while high - low > 1:
        mid = (low + high) // 2
        if _search(mid, float(precision_bits), integer_bits) is not None:
            low = mid
        else:
            high = mid
    raise ValueError(
        f"no parameter set within the 128-bit table gives depth {depth} with "
        f"{precision_bits} bits of precision and integer_bits={integer_bits}: the maximum depth "
        f"at this precision is {low} (propose_params(depth={low}, precision_bits="
        f"{precision_bits})). Reduce the circuit's depth (e.g. a lower-degree polynomial) or ask "
        f"for less precision."
    )


#: The named parameter sets the course ships; every one is validated secure at import.
COURSE_PARAMS = {
    # Lesson 07 warm-up: tiny and fast, one multiplication, visibly imprecise (~10 bits).
    "lesson07_small": CKKSParams(4096, (35, 25, 35), 25),
    # Lesson 07 default: the classic TenSEAL tutorial set, two multiplications, ~20 bits.
    "lesson07_default": CKKSParams(8192, (60, 40, 40, 60), 40),
    # Lesson 08 scoring: a plaintext dot product (1 level) + a degree-3 sigmoid (2 levels).
    "scoring": CKKSParams(8192, (50, 36, 36, 36, 60), 36),
    # Deeper circuits (Lesson 07 "depth" slider upper end, capstone): seven levels.
    "deep": CKKSParams(16384, (60, 40, 40, 40, 40, 40, 40, 40, 60), 40),
}
for _params in COURSE_PARAMS.values():
    _params.validate()
del _params
