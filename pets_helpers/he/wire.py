"""Inspect TenSEAL's wire formats *before* any byte reaches SEAL (the scoring service's gate).

A serialized TenSEAL context is a ``TenSEALContextProto`` and a serialized CKKS vector a
``CKKSVectorProto`` (TenSEAL ships the ``.proto`` files in ``tenseal/proto``; they are compiled
here at run time with ``grpc.protos``). Inside them, every SEAL object (parameters, keys,
ciphertexts) starts with SEAL's 16-byte header ``<magic 0xA15E, header size 16, version major,
minor, compression mode, reserved 0, total size>``.

Why inspect instead of calling ``ts.context_from`` and checking afterwards: TenSEAL honours a
private part's ``relin_keys_generated`` / ``galois_keys_generated`` flags while *loading*, i.e.
it generates keys for whoever sends a secret key — seconds and gigabytes at N = 16384 before any
check can run. Here the protobuf alone is parsed (bounded by the message size, no SEAL object
made) and everything the service does not expect is refused with a :class:`WireError` whose
message says what to send instead:

- a context: no private part at all, the service's exact encryption parameters (compared as
  SEAL bytes with the server's own reference context), ``encryption_type`` 0 (public key),
  ``auto_flags`` = 7 (auto relinearize, rescale and mod-switch, which the circuit relies on),
  ``scale`` = 2**scale_bits, a public key and relinearization keys of plausible size and no
  Galois keys (the batched layout never rotates; they would cost the server ~50 MB each);
- a ciphertext: one chunk (``sizes`` = [n_applicants], so ``[2**32 - 1, 11]`` — which TenSEAL
  sums modulo 2**32 — is refused), one SEAL ciphertext with a sound header and a size no larger
  than an uncompressed fresh ciphertext, and ``scale`` exactly 2**scale_bits (NaN, 0, −1,
  1e300 and 2**37 are all refused).

What is forwarded to TenSEAL is the *re-serialized* message that was inspected (canonical
bytes), so duplicate or unknown fields cannot make TenSEAL read something other than what was
checked. Unknown fields are refused anyway.
"""

from __future__ import annotations

import math
import os
import struct
import sys
import threading
from dataclasses import dataclass

import tenseal as ts

from .params import CKKSParams

SEAL_MAGIC = 0xA15E
SEAL_HEADER = struct.Struct("<HBBBBHQ")
#: SEAL compression modes: none, zlib, zstd.
SEAL_COMPRESSION = {0: "none", 1: "zlib", 2: "zstd"}
#: TenSEAL's auto flags: relinearize | rescale | mod-switch (the default, what the circuit needs).
AUTO_FLAGS = 1 | 2 | 4

_lock = threading.Lock()
_cache: dict = {}


class WireError(ValueError):
    """Bytes a client sent are not what the service accepts (→ INVALID_ARGUMENT)."""


def tenseal_protos():
    """``(TenSEALContextProto, CKKSVectorProto)`` compiled from TenSEAL's own .proto files."""
    import grpc

    with _lock:
        if "protos" not in _cache:
            proto_dir = os.path.join(os.path.dirname(ts.__file__), "proto")
            sys.path.insert(0, proto_dir)
            try:
                context_pb2 = grpc.protos("tensealcontext.proto")
                tensors_pb2 = grpc.protos("tensors.proto")
            finally:
                sys.path.remove(proto_dir)
            _cache["protos"] = (context_pb2.TenSEALContextProto, tensors_pb2.CKKSVectorProto)
        return _cache["protos"]


def seal_header(blob: bytes, what: str) -> dict:
    """Parse and check SEAL's 16-byte serialization header of ``blob`` (raises WireError)."""
    if len(blob) < SEAL_HEADER.size:
        raise WireError(f"{what} has {len(blob)} bytes, fewer than a SEAL header "
                        f"({SEAL_HEADER.size}).")
    magic, hsize, major, minor, mode, reserved, size = SEAL_HEADER.unpack_from(blob)
    if magic != SEAL_MAGIC or hsize != SEAL_HEADER.size or reserved != 0:
        raise WireError(f"{what} does not start with a SEAL header (magic {magic:#06x}); send "
                        f"bytes produced by TenSEAL's serialize().")
    if major != 4:
        raise WireError(f"{what} was written by SEAL {major}.{minor}; the service reads SEAL 4.x "
                        f"(TenSEAL 0.3.x).")
    if mode not in SEAL_COMPRESSION:
        raise WireError(f"{what} declares an unknown compression mode {mode}.")
    if size != len(blob):
        raise WireError(f"{what} declares {size} bytes but has {len(blob)} (truncated or "
                        f"padded).")
    return {"version": (major, minor), "compression": SEAL_COMPRESSION[mode], "size": size}


def _no_unknown_fields(message, what: str) -> None:
    from google.protobuf import unknown_fields

    if len(unknown_fields.UnknownFieldSet(message)):
        raise WireError(f"{what} carries fields TenSEAL does not define; send "
                        f"TenSEAL's own serialize() output.")


@dataclass(frozen=True)
class Expected:
    """What the service accepts, derived once from the server's own reference context."""

    params: CKKSParams
    encryption_parameters: bytes
    public_key_bytes: tuple  # (min, max) serialized sizes
    relin_keys_bytes: tuple
    ciphertext_bytes: tuple

    @property
    def scale(self) -> float:
        return 2.0 ** self.params.scale_bits

    @property
    def slots(self) -> int:
        return self.params.poly_modulus_degree // 2

    @classmethod
    def for_params(cls, params: CKKSParams, reference: ts.Context) -> "Expected":
        """Bounds for ``params`` from ``reference`` (a context the *server* made for itself).

        Key and ciphertext sizes: at most the uncompressed size (polynomials × N × primes × 8
        bytes + headers), at least half of the reference's compressed size (random
        coefficients do not compress further)."""
        context_proto, _ = tenseal_protos()
        pub = reference.copy()
        pub.make_context_public()
        ref = context_proto.FromString(pub.serialize(save_galois_keys=False))
        n, k = params.poly_modulus_degree, len(params.coeff_mod_bit_sizes)
        slack = 4096
        ct_len = len(ts.ckks_vector(reference, [0.0]).serialize())
        return cls(
            params=params,
            encryption_parameters=bytes(ref.encryption_parameters),
            public_key_bytes=(len(ref.public_context.public_key) // 2, 2 * n * k * 8 + slack),
            relin_keys_bytes=(len(ref.public_context.relin_keys) // 2,
                              (k - 1) * 2 * n * k * 8 + slack),
            ciphertext_bytes=(ct_len // 2, 2 * n * (k - 1) * 8 + slack),
        )


def inspect_context(blob: bytes, expected: Expected) -> bytes:
    """Check a registration's public context without deserializing it into SEAL objects.

    Returns the canonical bytes to hand to ``ts.context_from`` (raises :class:`WireError`)."""
    p = expected.params
    advice = (f"build it with make_context(COURSE_PARAMS['scoring']) (CKKS, N={p.poly_modulus_degree}"
              f", coeff_mod_bit_sizes={list(p.coeff_mod_bit_sizes)}, scale 2**{p.scale_bits}), "
              f"then send public = ctx.copy(); public.make_context_public(); "
              f"public.serialize(save_galois_keys=False)")
    if not blob:
        raise WireError(f"public_context is empty: {advice}.")
    context_proto, _ = tenseal_protos()
    try:
        msg = context_proto.FromString(bytes(blob))
    except Exception:  # noqa: BLE001 — any protobuf failure is the caller's bytes
        raise WireError(f"public_context is not a serialized TenSEAL context (not a "
                        f"TenSEALContextProto): {advice}.") from None
    _no_unknown_fields(msg, "public_context")
    _no_unknown_fields(msg.public_context, "public_context's public part")
    if msg.HasField("private_context"):
        raise WireError("refused: this context carries a private part (a SECRET KEY or key "
                        "generation flags). The scoring server must never be able to decrypt, "
                        "and never generates keys for a client: send a copy after "
                        "ctx.make_context_public() (ScoringClient does this for you).")
    if msg.encryption_type != 0:
        raise WireError(f"encryption_type is {msg.encryption_type}, not 0 (public key): the "
                        f"server adds encrypted constants, so it needs the public key of an "
                        f"asymmetric context; {advice}.")
    if bytes(msg.encryption_parameters) != expected.encryption_parameters:
        raise WireError(f"the encryption parameters are not the service's scoring set: {advice}.")
    pub = msg.public_context
    if pub.auto_flags != AUTO_FLAGS:
        raise WireError(f"auto_flags is {pub.auto_flags}, not {AUTO_FLAGS} (auto relinearize, "
                        f"rescale and mod-switch, which the scoring circuit relies on): keep "
                        f"TenSEAL's defaults (do not turn auto_relin/auto_rescale/auto_mod_switch "
                        f"off).")
    if not (math.isfinite(pub.scale) and pub.scale == expected.scale):
        raise WireError(f"the context's global scale is {pub.scale!r}, not 2**{p.scale_bits}: "
                        f"set ctx.global_scale = 2**{p.scale_bits} (make_context does).")
    if pub.galois_keys:
        raise WireError(f"the context carries Galois keys ({len(pub.galois_keys) / 1e6:.1f} MB) "
                        f"that batched scoring never uses: serialize the public context with "
                        f"save_galois_keys=False.")
    for field, bounds, label in [("public_key", expected.public_key_bytes, "public key"),
                                 ("relin_keys", expected.relin_keys_bytes,
                                  "relinearization keys")]:
        data = bytes(getattr(pub, field))
        if not data:
            raise WireError(f"the context has no {label} (the polynomial needs "
                            f"{'encrypted constants' if field == 'public_key' else 'relinearization'}"
                            f"): {advice}.")
        seal_header(data, f"the {label}")
        if not bounds[0] <= len(data) <= bounds[1]:
            raise WireError(f"the {label} have {len(data)} bytes, outside {bounds[0]}–"
                            f"{bounds[1]} for the service's parameters: {advice}.")
    return msg.SerializeToString()


def inspect_ciphertext(blob: bytes, expected: Expected, n: int, what: str) -> bytes:
    """Check a serialized CKKS vector's header fields (TenSEAL's proto and SEAL's header).

    ``n``: the applicants it must hold. Returns canonical bytes for ``ts.ckks_vector_from``."""
    lo, hi = expected.ciphertext_bytes
    if not lo <= len(blob) <= hi + 64:
        raise WireError(f"{what} has {len(blob)} bytes; a fresh ciphertext at these parameters "
                        f"has {lo}–{hi} (truncated or not a ciphertext).")
    _, vector_proto = tenseal_protos()
    try:
        msg = vector_proto.FromString(bytes(blob))
    except Exception:  # noqa: BLE001
        raise WireError(f"{what} is not a serialized CKKS vector (CKKSVectorProto).") from None
    _no_unknown_fields(msg, what)
    sizes = list(msg.sizes)
    if sizes != [n]:
        raise WireError(f"{what} declares chunk sizes {sizes[:4]}{'…' if len(sizes) > 4 else ''}"
                        f", not [{n}] (one ciphertext holding n_applicants={n} values): "
                        f"encrypt the column with ts.ckks_vector(ctx, column).")
    if len(msg.ciphertexts) != 1:
        raise WireError(f"{what} holds {len(msg.ciphertexts)} SEAL ciphertexts, not 1.")
    if not (math.isfinite(msg.scale) and msg.scale == expected.scale):
        raise WireError(f"{what} has scale {msg.scale!r}, not 2**{expected.params.scale_bits}: "
                        f"send fresh ciphertexts encrypted with the registered context's "
                        f"global scale.")
    inner = bytes(msg.ciphertexts[0])
    seal_header(inner, f"{what}'s SEAL ciphertext")
    if not lo // 2 <= len(inner) <= hi:
        raise WireError(f"{what}'s SEAL ciphertext has {len(inner)} bytes, outside {lo // 2}–"
                        f"{hi}.")
    return msg.SerializeToString()


__all__ = [
    "AUTO_FLAGS",
    "Expected",
    "WireError",
    "inspect_ciphertext",
    "inspect_context",
    "seal_header",
    "tenseal_protos",
]
