"""Secure aggregation from scratch: the server learns the sum of the updates, nothing else.

Building blocks, each usable on its own:

- **Secret sharing over the prime field** GF(p), p = 2^521 − 1 (a Mersenne prime, so 256-bit
  keys and seeds fit): :func:`additive_share` (all n shares needed) and :func:`shamir_share`
  (any t of n suffice, t − 1 reveal nothing — Shamir 1979), :func:`shamir_reconstruct`.
- **Fixed point** (:class:`FixedPoint`): float updates with |x| ≤ ``bound`` become integers in the
  ring Z_R, R = 2^ring_bits. The codec refuses any setting in which the sum of n encodings could
  leave the signed range of the ring (or 2^53, where float64 stops being exact), and refuses any
  value above the bound: overflow is detected, never wrapped silently. Decoding error of a sum of
  n updates ≤ n · 2^−(frac_bits+1) per entry.
- **Masks** (:func:`prg_mask`): AES-256 in counter mode keyed with a 256-bit seed expands to a
  vector uniform in Z_R.
- **The protocol of Bonawitz et al. (CCS 2017)**, semi-honest version with dropout recovery:
  :class:`SecAggClient` and :class:`SecAggServer`, driven by :func:`secure_sum`.
  Every client has two X25519 key pairs: one (``c``) to encrypt the shares it sends through
  the server (AES-GCM), one (``s``) whose agreement with every other client gives the pairwise
  mask seeds s_uv. Client u sends y_u = x_u + PRG(b_u) + Σ_{v>u} PRG(s_uv) − Σ_{v<u} PRG(s_uv)
  (mod R), with a fresh self-mask seed b_u; Shamir shares of b_u and of its ``s`` secret key went
  to the others beforehand. Pairwise masks cancel in the sum; for a client that dropped out
  the survivors hand over shares of its ``s`` key (so the server can remove its pairwise masks),
  for a survivor shares of b_u (so the server can remove its self mask).

Guarantees: with ≥ t clients surviving every step, the server obtains Σ x_u mod R over the
clients whose masked input it received, exactly. Below t it aborts (:class:`SecAggAbort`). Each
masked input alone is uniform on Z_R^m to the server (it never holds both b_u and u's ``s`` key:
a client refuses an unmask request listing some client as both surviving and dropped —
:class:`UnmaskRefused`). Assumptions stated plainly: semi-honest server that sends every client
the same unmask request (the paper's extra consistency round with signatures, which defends
against a server lying differently to different clients, is not implemented), t > n/2, and an
authenticated channel for the public keys.
"""

from __future__ import annotations

import numbers
import os
import secrets
import struct
from dataclasses import dataclass, field

import numpy as np
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..validation import check_finite_array, check_positive, check_positive_int

PRIME = 2**521 - 1
"""The field of the secret sharing: a Mersenne prime above every 256-bit key or seed."""

SEED_BYTES = 32
"""Mask seeds (self masks and pairwise) are 256-bit AES keys."""


class SecAggAbort(RuntimeError):
    """The protocol stopped: fewer than ``threshold`` clients are left at some step."""


class UnmaskRefused(ValueError):
    """An honest client refused an unmask request that would reveal someone's input."""


# ------------------------------------------------------------------------------- randomness
def _random_bytes(n: int, rng) -> bytes:
    """``n`` random bytes: the OS's secure source by default, a seeded Generator in tests."""
    if rng is None:
        return os.urandom(n)
    if isinstance(rng, np.random.Generator):
        return rng.bytes(n)
    raise TypeError(f"rng must be None (secure) or a numpy.random.Generator, got "
                    f"{type(rng).__name__}.")


def _random_below(modulus: int, rng) -> int:
    if rng is None:
        return secrets.randbelow(modulus)
    bits = modulus.bit_length()
    nbytes = (bits + 7) // 8
    while True:  # rejection sampling: exactly uniform on [0, modulus)
        value = int.from_bytes(_random_bytes(nbytes, rng), "big") & ((1 << bits) - 1)
        if value < modulus:
            return value


def _rng(rng):
    if rng is None or isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be None (secure), an int seed or a numpy.random.Generator, "
                    f"got {type(rng).__name__}.")


# --------------------------------------------------------------------------- secret sharing
def _check_secret(secret, prime: int) -> int:
    if isinstance(secret, bool) or not isinstance(secret, numbers.Integral):
        raise TypeError(f"secret must be an integer, got {type(secret).__name__}.")
    if not 0 <= int(secret) < prime:
        raise ValueError(f"secret must lie in [0, prime) = [0, {prime}), got {secret}.")
    return int(secret)


def _check_prime(prime) -> int:
    if isinstance(prime, bool) or not isinstance(prime, numbers.Integral) or prime < 3:
        raise ValueError(f"prime must be an integer prime ≥ 3, got {prime!r}.")
    return int(prime)


def additive_share(secret, n, prime=PRIME, rng=None) -> list[int]:
    """n shares summing to ``secret`` mod ``prime``; any n − 1 of them are jointly uniform."""
    prime = _check_prime(prime)
    secret = _check_secret(secret, prime)
    n = check_positive_int(n, "n", minimum=2)
    rng = _rng(rng)
    shares = [_random_below(prime, rng) for _ in range(n - 1)]
    shares.append((secret - sum(shares)) % prime)
    return shares


def additive_reconstruct(shares, prime=PRIME) -> int:
    """The secret: the sum of *all* shares mod ``prime``."""
    prime = _check_prime(prime)
    return sum(int(s) for s in shares) % prime


def shamir_share(secret, n, t, prime=PRIME, rng=None) -> list[tuple[int, int]]:
    """Shamir's (t, n) sharing: points (i, f(i)), i = 1..n, of a random degree-(t−1) polynomial f
    with f(0) = ``secret``. Any t shares determine the secret; any t − 1 are jointly uniform."""
    prime = _check_prime(prime)
    secret = _check_secret(secret, prime)
    n = check_positive_int(n, "n")
    t = check_positive_int(t, "t")
    if t > n:
        raise ValueError(f"threshold t = {t} exceeds the number of shares n = {n}.")
    if n >= prime:
        raise ValueError(f"n = {n} shares need a prime larger than n, got {prime}.")
    rng = _rng(rng)
    coefficients = [secret] + [_random_below(prime, rng) for _ in range(t - 1)]
    shares = []
    for x in range(1, n + 1):
        y = 0
        for c in reversed(coefficients):  # Horner
            y = (y * x + c) % prime
        shares.append((x, y))
    return shares


def lagrange_at_zero(xs, prime=PRIME) -> list[int]:
    """Coefficients λ_i with f(0) = Σ λ_i f(x_i) mod p for any polynomial of degree < len(xs)."""
    xs = [int(x) for x in xs]
    if len(set(x % prime for x in xs)) != len(xs) or any(x % prime == 0 for x in xs):
        raise ValueError(f"share x-coordinates must be distinct and non-zero mod p, got {xs}.")
    out = []
    for i, xi in enumerate(xs):
        num = den = 1
        for j, xj in enumerate(xs):
            if j != i:
                num = num * xj % prime
                den = den * (xj - xi) % prime
        out.append(num * pow(den, -1, prime) % prime)
    return out


def shamir_reconstruct(shares, prime=PRIME) -> int:
    """f(0) from shares (x, y) by Lagrange interpolation mod p. Give at least t shares: with
    fewer the result is a uniformly random field element, not an error (that is the point)."""
    prime = _check_prime(prime)
    shares = [(int(x), int(y)) for x, y in shares]
    if not shares:
        raise ValueError("no shares given.")
    lambdas = lagrange_at_zero([x for x, _ in shares], prime)
    return sum(lam * y for lam, (_, y) in zip(lambdas, shares)) % prime


# ------------------------------------------------------------------------------ fixed point
@dataclass(frozen=True)
class FixedPoint:
    """Float vectors with entries in [−bound, bound] ↔ integers mod R = 2^ring_bits.

    x ↦ round(x · 2^frac_bits) mod R. The sum of ``n_summands`` encodings decodes exactly to the
    sum of the rounded values, error ≤ n_summands · 2^−(frac_bits+1) per entry
    (:attr:`max_sum_error`), provided n_summands · (bound · 2^frac_bits + ½) < 2^(ring_bits−1)
    and ≤ 2^53 — checked at construction. ``frac_bits=None`` picks the largest that fits.
    """

    bound: float
    n_summands: int
    ring_bits: int = 64
    frac_bits: int | None = None
    _frac: int = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        bound = check_positive(self.bound, "bound")
        n = check_positive_int(self.n_summands, "n_summands")
        bits = check_positive_int(self.ring_bits, "ring_bits", minimum=8)
        if bits > 64:
            raise ValueError(f"ring_bits must be ≤ 64 (one uint64 per entry), got {bits}.")
        limit = min(2.0 ** (bits - 1) - 1, 2.0**53)
        if self.frac_bits is None:
            frac = int(np.floor(np.log2((limit / n - 0.5) / bound))) if limit / n > 0.5 else -1
        else:
            frac = check_positive_int(self.frac_bits, "frac_bits", minimum=0)
        if frac < 0 or n * (bound * 2.0**frac + 0.5) >= limit:
            raise ValueError(
                f"{n} summands of |x| ≤ {bound} with {frac} fractional bits can reach "
                f"{n * (bound * 2.0 ** max(frac, 0) + 0.5):.3g}, beyond the ring's signed range "
                f"(< {limit:.3g} for R = 2^{bits}): the sum would wrap around. Use fewer "
                f"fractional bits, a larger ring or a smaller bound (clip the updates).")
        object.__setattr__(self, "_frac", frac)

    @property
    def scale(self) -> float:
        return 2.0**self._frac

    @property
    def fractional_bits(self) -> int:
        return self._frac

    @property
    def modulus_mask(self) -> np.uint64:
        return np.uint64((1 << self.ring_bits) - 1)

    @property
    def max_sum_error(self) -> float:
        """Worst-case |decoded sum − true sum| per entry for ``n_summands`` encodings."""
        return self.n_summands * 2.0 ** -(self._frac + 1)

    def encode(self, values) -> np.ndarray:
        """uint64 array of round(x · 2^f) mod R; raises on NaN/inf or |x| > bound."""
        arr = check_finite_array(values, "values")   # a model update: numbers, finite
        too_big = np.abs(arr) > self.bound
        if too_big.any():
            i = int(np.flatnonzero(too_big.ravel())[0])
            raise ValueError(
                f"value {arr.ravel()[i]!r} at position {i} exceeds the fixed-point bound "
                f"{self.bound}: encoding it could overflow the ring. Clip updates to the bound "
                f"first (e.g. L2 clipping to C makes every entry ≤ C).")
        q = np.rint(arr * self.scale).astype(np.int64)
        return q.view(np.uint64) & self.modulus_mask

    def decode_sum(self, ring_sum, n_summands: int | None = None) -> np.ndarray:
        """Float64 sum from a sum of encodings mod R (signed representative, divided by 2^f)."""
        n = self.n_summands if n_summands is None else check_positive_int(n_summands,
                                                                          "n_summands")
        if n > self.n_summands:
            raise ValueError(f"this codec was sized for ≤ {self.n_summands} summands, got {n}: "
                             "the sum may have wrapped around.")
        s = np.asarray(ring_sum, dtype=np.uint64) & self.modulus_mask
        half = np.uint64(1 << (self.ring_bits - 1))
        signed = np.where(s >= half, -(((~s) & self.modulus_mask) + np.uint64(1)).astype(np.float64),
                          s.astype(np.float64))
        return signed / self.scale


# ------------------------------------------------------------------------------------ masks
def prg_mask(seed: bytes, length: int, ring_bits: int = 64) -> np.ndarray:
    """``length`` entries uniform on Z_R (R = 2^ring_bits) from AES-256-CTR keyed by ``seed``."""
    if not isinstance(seed, (bytes, bytearray)) or len(seed) != SEED_BYTES:
        raise ValueError(f"seed must be {SEED_BYTES} bytes (a 256-bit key), got {seed!r:.40}.")
    length = check_positive_int(length, "length", minimum=0)
    stream = Cipher(algorithms.AES(bytes(seed)), modes.CTR(bytes(16))).encryptor()
    out = np.frombuffer(stream.update(bytes(8 * length)), dtype=np.uint64)
    if ring_bits < 64:
        out = out & np.uint64((1 << ring_bits) - 1)
    return out


def _kdf(shared: bytes, purpose: bytes, round_id: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=SEED_BYTES, salt=None,
                info=b"pets-secagg/" + purpose + struct.pack(">Q", round_id)).derive(shared)


def pairwise_seed(private: X25519PrivateKey, peer_public: bytes, round_id: int = 0) -> bytes:
    """The 256-bit mask seed s_uv both u and v derive from X25519 agreement (+ HKDF-SHA256)."""
    return _kdf(private.exchange(X25519PublicKey.from_public_bytes(peer_public)), b"mask",
                round_id)


def _int_bytes(value: int) -> bytes:
    return value.to_bytes((PRIME.bit_length() + 7) // 8, "big")


# ---------------------------------------------------------------------------------- protocol
@dataclass(frozen=True)
class UnmaskRequest:
    """What the server asks in the last step: shares of b_u for ``survivors``, of the ``s`` key
    for ``dropped``."""

    survivors: tuple[int, ...]
    dropped: tuple[int, ...]


class SecAggClient:
    """One client of the Bonawitz et al. protocol (ids are integers 1..n, the Shamir x's)."""

    def __init__(self, client_id: int, threshold: int, ring_bits: int = 64, round_id: int = 0,
                 rng=None):
        self.id = check_positive_int(client_id, "client_id")
        self.threshold = check_positive_int(threshold, "threshold", minimum=2)
        self.ring_bits = check_positive_int(ring_bits, "ring_bits", minimum=8)
        self.round_id = int(round_id)
        self._rng = _rng(rng)
        self._c_key = self._new_key()
        self._s_key = self._new_key()
        self._roster: dict[int, tuple[bytes, bytes]] = {}
        self._held: dict[int, tuple[int, int]] = {}  # u -> (share of b_u, share of s_u key)
        self._self_seed = b""
        self._answered = False

    def _new_key(self) -> X25519PrivateKey:
        if self._rng is None:
            return X25519PrivateKey.generate()
        return X25519PrivateKey.from_private_bytes(_random_bytes(32, self._rng))

    def advertise_keys(self) -> tuple[bytes, bytes]:
        """Step 0: the two public keys (c for encrypting shares, s for mask agreement)."""
        return (self._c_key.public_key().public_bytes_raw(),
                self._s_key.public_key().public_bytes_raw())

    def _channel(self, peer: int) -> AESGCM:
        c_pub = self._roster[peer][0]
        shared = self._c_key.exchange(X25519PublicKey.from_public_bytes(c_pub))
        return AESGCM(_kdf(shared, b"shares", self.round_id))

    def share_keys(self, roster: dict[int, tuple[bytes, bytes]]) -> dict[int, bytes]:
        """Step 1: pick the self-mask seed b_u, Shamir-share it and the ``s`` secret key with
        threshold t among the roster, and encrypt each peer's pair of shares for that peer."""
        if self.id not in roster:
            raise ValueError(f"client {self.id} is missing from the roster it was sent.")
        if len(roster) < self.threshold:
            raise SecAggAbort(f"only {len(roster)} clients advertised keys, fewer than the "
                              f"threshold t = {self.threshold}.")
        self._roster = dict(roster)
        n = max(self._roster)
        self._self_seed = _random_bytes(SEED_BYTES, self._rng)
        s_secret = int.from_bytes(self._s_key.private_bytes_raw(), "big")
        b_shares = dict(shamir_share(int.from_bytes(self._self_seed, "big"), n,
                                     self.threshold, rng=self._rng))
        s_shares = dict(shamir_share(s_secret, n, self.threshold, rng=self._rng))
        out = {}
        for v in self._roster:
            if v == self.id:
                self._held[v] = (b_shares[v], s_shares[v])
                continue
            nonce = _random_bytes(12, self._rng)
            body = struct.pack(">QQ", self.id, v) + _int_bytes(b_shares[v]) + _int_bytes(
                s_shares[v])
            out[v] = nonce + self._channel(v).encrypt(nonce, body, struct.pack(">QQ", self.id, v))
        return out

    def receive_shares(self, ciphertexts: dict[int, bytes]) -> None:
        """Step 1 (end): decrypt and keep the shares the other clients sent, via the server."""
        size = len(_int_bytes(0))
        for u, blob in ciphertexts.items():
            if u not in self._roster or u == self.id:
                raise ValueError(f"shares from unknown client {u}.")
            body = self._channel(u).decrypt(blob[:12], blob[12:], struct.pack(">QQ", u, self.id))
            sender, receiver = struct.unpack(">QQ", body[:16])
            if (sender, receiver) != (u, self.id):
                raise ValueError(f"share addressed from {sender} to {receiver}, not {u}→{self.id}.")
            self._held[u] = (int.from_bytes(body[16:16 + size], "big"),
                             int.from_bytes(body[16 + size:], "big"))
        if len(self._held) < self.threshold:
            raise SecAggAbort(f"client {self.id} holds shares of {len(self._held)} clients, "
                              f"fewer than the threshold t = {self.threshold}.")

    def masked_input(self, encoded) -> np.ndarray:
        """Step 2: y_u = x_u + PRG(b_u) + Σ_{v>u} PRG(s_uv) − Σ_{v<u} PRG(s_uv) mod R, over the
        clients whose shares this client holds. ``encoded`` is a uint64 vector (FixedPoint)."""
        x = np.asarray(encoded)
        if x.dtype != np.uint64 or x.ndim != 1:
            raise TypeError("masked_input takes a 1-D uint64 vector (FixedPoint.encode).")
        if not self._self_seed:
            raise RuntimeError("share_keys/receive_shares must run before masked_input.")
        y = x + prg_mask(self._self_seed, x.size, 64)
        for v in sorted(self._held):
            if v == self.id:
                continue
            mask = prg_mask(pairwise_seed(self._s_key, self._roster[v][1], self.round_id),
                            x.size, 64)
            if v > self.id:
                y += mask
            else:
                y -= mask
        return y & np.uint64((1 << self.ring_bits) - 1) if self.ring_bits < 64 else y

    def unmask(self, request: UnmaskRequest) -> dict[str, dict[int, int]]:
        """Step 3: shares of b_v for survivors, of the ``s`` key for dropped clients — refused
        if a client is listed as both, if fewer than t survive, or if asked twice."""
        survivors, dropped = set(request.survivors), set(request.dropped)
        both = survivors & dropped
        if both:
            raise UnmaskRefused(
                f"client {self.id} refuses: the request lists {sorted(both)} as both surviving "
                f"and dropped. Answering would give the server both the self-mask seed and the "
                f"mask key of those clients, i.e. their unmasked input.")
        if self._answered:
            raise UnmaskRefused(f"client {self.id} already answered an unmask request this "
                                f"round; a second one could ask for the complementary shares.")
        if self.id not in survivors:
            raise UnmaskRefused(f"client {self.id} is not in the survivor list it was sent.")
        if len(survivors) < self.threshold:
            raise UnmaskRefused(f"only {len(survivors)} survivors, fewer than t = "
                                f"{self.threshold}: the sum would not hide individual inputs.")
        unknown = (survivors | dropped) - set(self._held)
        if unknown:
            raise UnmaskRefused(f"client {self.id} holds no shares of {sorted(unknown)}.")
        self._answered = True
        return {"self_mask": {v: self._held[v][0] for v in survivors},
                "key": {v: self._held[v][1] for v in dropped}}


class SecAggServer:
    """The aggregator: routes messages, and in the end removes the masks it can reconstruct."""

    def __init__(self, threshold: int, ring_bits: int = 64, round_id: int = 0):
        self.threshold = check_positive_int(threshold, "threshold", minimum=2)
        self.ring_bits = check_positive_int(ring_bits, "ring_bits", minimum=8)
        if self.ring_bits > 64:
            raise ValueError(f"ring_bits must be ≤ 64, got {ring_bits}.")
        self.round_id = int(round_id)
        self.roster: dict[int, tuple[bytes, bytes]] = {}
        self.sharers: tuple[int, ...] = ()
        self.masked: dict[int, np.ndarray] = {}

    def _need(self, count: int, step: str) -> None:
        if count < self.threshold:
            raise SecAggAbort(f"abort at {step}: {count} clients left, fewer than the "
                              f"threshold t = {self.threshold}. Nothing is revealed.")

    def collect_keys(self, adverts: dict[int, tuple[bytes, bytes]]) -> dict:
        self._need(len(adverts), "key advertisement")
        self.roster = dict(adverts)
        return dict(self.roster)

    def route_shares(self, outgoing: dict[int, dict[int, bytes]]) -> dict[int, dict[int, bytes]]:
        """Forward u's ciphertext for v to v; ``outgoing`` keys are the clients that shared."""
        self._need(len(outgoing), "share keys")
        self.sharers = tuple(sorted(outgoing))
        inbox: dict[int, dict[int, bytes]] = {v: {} for v in self.sharers}
        for u, boxes in outgoing.items():
            for v, blob in boxes.items():
                if v in inbox:
                    inbox[v][u] = blob
        return inbox

    def collect_masked(self, masked: dict[int, np.ndarray]) -> UnmaskRequest:
        """Keep the masked inputs; ask for the shares that remove exactly their masks."""
        self._need(len(masked), "masked input collection")
        unknown = set(masked) - set(self.sharers)
        if unknown:
            raise ValueError(f"masked inputs from clients {sorted(unknown)} that shared no keys.")
        sizes = {np.asarray(y).shape for y in masked.values()}
        if len(sizes) != 1:
            raise ValueError(f"masked inputs of different shapes {sorted(sizes)}.")
        self.masked = {u: np.asarray(y, dtype=np.uint64) for u, y in masked.items()}
        survivors = tuple(sorted(self.masked))
        return UnmaskRequest(survivors, tuple(u for u in self.sharers if u not in self.masked))

    def unmask(self, responses: dict[int, dict[str, dict[int, int]]]) -> np.ndarray:
        """Σ_u x_u mod R over the survivors, from ≥ t clients' unmask responses."""
        self._need(len(responses), "unmasking")
        survivors = sorted(self.masked)
        dropped = [u for u in self.sharers if u not in self.masked]
        responders = sorted(responses)[: self.threshold]  # any t shares suffice
        lambdas = lagrange_at_zero(responders)

        def reconstruct(kind: str, v: int) -> int:
            try:
                ys = [int(responses[r][kind][v]) for r in responders]
            except KeyError:
                raise SecAggAbort(f"a response lacks the {kind} share of client {v}.") from None
            return sum(lam * y for lam, y in zip(lambdas, ys)) % PRIME

        length = next(iter(self.masked.values())).size
        total = np.zeros(length, dtype=np.uint64)
        for u in survivors:
            total += self.masked[u]
        for u in survivors:  # remove self masks
            seed = reconstruct("self_mask", u).to_bytes(SEED_BYTES, "big")
            total -= prg_mask(seed, length, 64)
        for v in dropped:  # remove the pairwise masks the dropped client shares with survivors
            key = X25519PrivateKey.from_private_bytes(
                reconstruct("key", v).to_bytes(32, "big"))
            for u in survivors:
                mask = prg_mask(pairwise_seed(key, self.roster[u][1], self.round_id), length, 64)
                if v > u:    # u added +PRG(s_uv) for v > u
                    total -= mask
                else:
                    total += mask
        if self.ring_bits < 64:
            total &= np.uint64((1 << self.ring_bits) - 1)
        return total


@dataclass
class SecAggResult:
    """Outcome of one round: the sum (mod R), who survived, and what the server saw."""

    total: np.ndarray
    survivors: tuple[int, ...]
    dropped: tuple[int, ...]
    server_view: dict[int, np.ndarray]


def secure_sum(encoded_inputs, threshold: int, *, drop_before_masking=(),
               drop_before_unmasking=(), ring_bits: int = 64, round_id: int = 0,
               rng=None) -> SecAggResult:
    """Run one full round among clients 1..n holding ``encoded_inputs`` (n uint64 vectors).

    ``drop_before_masking``: ids that vanish after sharing keys (their input is left out of
    the sum and their pairwise masks are recovered). ``drop_before_unmasking``: ids that send
    a masked input but do not answer the unmask request (their input is in the sum). Raises
    :class:`SecAggAbort` if fewer than ``threshold`` clients are left at any step.
    """
    inputs = [np.asarray(x) for x in encoded_inputs]
    n = len(inputs)
    threshold = check_positive_int(threshold, "threshold", minimum=2)
    if threshold > n:
        raise ValueError(f"threshold t = {threshold} exceeds the number of clients n = {n}.")
    if 2 * threshold <= n:
        raise ValueError(f"threshold t = {threshold} must exceed n/2 = {n / 2}: otherwise two "
                         f"disjoint groups of t clients could each reveal one kind of share.")
    ids = range(1, n + 1)
    for name, group in (("drop_before_masking", drop_before_masking),
                        ("drop_before_unmasking", drop_before_unmasking)):
        bad = set(group) - set(ids)
        if bad:
            raise ValueError(f"{name} lists unknown client ids {sorted(bad)}; ids are 1..{n}.")
    rng = _rng(rng)
    clients = {i: SecAggClient(i, threshold, ring_bits, round_id, rng) for i in ids}
    server = SecAggServer(threshold, ring_bits, round_id)
    roster = server.collect_keys({i: c.advertise_keys() for i, c in clients.items()})
    inbox = server.route_shares({i: c.share_keys(roster) for i, c in clients.items()})
    for v, boxes in inbox.items():
        clients[v].receive_shares(boxes)
    alive = [i for i in ids if i not in set(drop_before_masking)]
    request = server.collect_masked({i: clients[i].masked_input(inputs[i - 1]) for i in alive})
    answering = [i for i in request.survivors if i not in set(drop_before_unmasking)]
    total = server.unmask({i: clients[i].unmask(request) for i in answering})
    return SecAggResult(total, request.survivors, request.dropped, dict(server.masked))


__all__ = [
    "PRIME",
    "SEED_BYTES",
    "FixedPoint",
    "SecAggAbort",
    "SecAggClient",
    "SecAggResult",
    "SecAggServer",
    "UnmaskRefused",
    "UnmaskRequest",
    "additive_reconstruct",
    "additive_share",
    "lagrange_at_zero",
    "pairwise_seed",
    "prg_mask",
    "secure_sum",
    "shamir_reconstruct",
    "shamir_share",
]
