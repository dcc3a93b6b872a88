"""A gRPC encrypted-scoring service (Lesson 08): the lender scores ciphertexts it cannot read.

Protocol (``protos/scoring.proto``, loaded at run time with ``grpc.protos_and_services``, which
needs ``grpcio-tools``; nothing generated is committed):

1. ``RegisterContext(public_context)`` → ``context_id``, ``fingerprint`` (hex SHA-256 of the
   exact bytes registered), the feature order, the slot count and the decision threshold.
   The server **refuses a context that carries a secret key** (``INVALID_ARGUMENT``), a context
   whose parameters differ from the model's (``INVALID_ARGUMENT``) and bytes that are not a
   TenSEAL context (``INVALID_ARGUMENT``). It keeps at most :data:`MAX_CONTEXTS` contexts
   (oldest evicted), so memory stays bounded.
2. ``Score(context_id, fingerprint, n_applicants, feature_ciphertexts, binding_tags)`` →
   ``score_ciphertext``: one ciphertext per feature (applicants in the slots), one ciphertext
   of polynomial scores p(z/A) back.

Binding ciphertexts to the registered context — what it does and does not do
--------------------------------------------------------------------------
A CKKS ciphertext does not say which key encrypted it: a ciphertext made under *another*
context with the same parameters deserializes fine and decrypts to garbage. So the client
library binds each ciphertext explicitly:

- every request quotes the ``context_id`` and ``fingerprint``; an unknown id is ``NOT_FOUND``,
  a fingerprint that is not the registered one is ``FAILED_PRECONDITION``;
- every ciphertext i carries ``tag_i = SHA-256(fingerprint ‖ i ‖ ciphertext bytes)``, which
  :class:`ScoringClient` computes from the context that *actually encrypted* the vector (it
  refuses, before sending, a vector whose context is not the registered one). The server
  recomputes the tag with the registered fingerprint: a mismatch (foreign context, reordered,
  truncated or corrupted bytes) is ``FAILED_PRECONDITION``.

The tags are unkeyed hashes, not MACs: they catch honest mistakes (a ciphertext from the wrong
context, corruption in transit, mixed-up batches), not a malicious client — one can tag any
bytes it likes. That is acceptable here because such a client only harms itself: the server
cannot decrypt anything (it never has a secret key) and returns only ciphertexts under the
client's own key, so garbage in means garbage out *for the client*. What the server must
guarantee against hostile bytes is that it **never crashes and never spends unbounded
memory**, so after the tag check every ciphertext is also validated structurally:

- size bounds *before* TenSEAL sees the bytes (a fresh ciphertext at these parameters is
  ~0.4 MB; anything empty, tiny or larger than the uncompressed size is refused);
- deserialization inside ``try`` (TenSEAL/SEAL raise ``ValueError`` on malformed protobuf,
  bad compression or coefficients out of range → ``INVALID_ARGUMENT``);
- the loaded vector must hold exactly ``n_applicants`` values in one 2-polynomial ciphertext
  at the first (fresh) level of the registered parameters, in NTT form, at scale
  2**scale_bits — otherwise ``INVALID_ARGUMENT`` (a wrong scale or level would otherwise make
  the circuit fail midway or silently change the result).

Any unexpected exception while scoring becomes ``INTERNAL`` with a message; the process goes on.
Message limits are :data:`MAX_MESSAGE_BYTES` (64 MiB) both ways: gRPC's default 4 MiB is too
small for a 6-feature batch (~2.4 MB) plus a registered context (~2.6 MB, more with Galois
keys).

Running it: :func:`serve` (in-process, returns ``(server, port)``), :class:`ScoringServer` (a
context manager for notebooks), :class:`ServerProcess` (``python -m pets_helpers.he.service
--port 0`` in a subprocess, which prints ``PORT <n>``), and :class:`ScoringClient`.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import secrets
import signal
import subprocess
import sys
import threading
import time
from concurrent import futures
from pathlib import Path

import grpc
import numpy as np
import tenseal as ts
from tenseal import sealapi  # noqa: F401 — registers SEAL types (Modulus) with pybind

from .scoring import ScoringModel, encrypt_batch, train_model

#: Largest gRPC message accepted or sent, both directions.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
#: Registered contexts kept at once (oldest evicted first).
MAX_CONTEXTS = 4
#: Concurrent RPCs the server will run (each holds a few MB of ciphertexts).
MAX_CONCURRENT_RPCS = 4
PROTO_DIR = Path(__file__).resolve().parent / "protos"
PROTO_FILE = "scoring.proto"

_proto_lock = threading.Lock()
_proto_cache: dict = {}


def load_protos():
    """``(messages, services)`` modules for ``protos/scoring.proto``, compiled at run time."""
    with _proto_lock:
        if "mods" not in _proto_cache:
            sys.path.insert(0, str(PROTO_DIR))
            try:
                _proto_cache["mods"] = grpc.protos_and_services(PROTO_FILE)
            finally:
                sys.path.remove(str(PROTO_DIR))
        return _proto_cache["mods"]


def grpc_options():
    """Channel/server options raising gRPC's 4 MiB default to MAX_MESSAGE_BYTES both ways."""
    return [("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES)]


def fingerprint(public_context_bytes: bytes) -> str:
    """Hex SHA-256 of the serialized public context (what requests quote)."""
    return hashlib.sha256(public_context_bytes).hexdigest()


def binding_tag(fingerprint_hex: str, index: int, ciphertext: bytes) -> bytes:
    """SHA-256(fingerprint ‖ index ‖ ciphertext): binds ciphertext ``index`` to a context."""
    h = hashlib.sha256(bytes.fromhex(fingerprint_hex))
    h.update(int(index).to_bytes(4, "big"))
    h.update(ciphertext)
    return h.digest()


class _Reject(Exception):
    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _Registered:
    """A registered public context and what validation needs from it."""

    def __init__(self, context: ts.Context, fp: str, params) -> None:
        self.context = context
        self.fingerprint = fp
        data = context.seal_context().data
        self.first_parms_id = list(data.first_parms_id())
        n = params.poly_modulus_degree
        levels = len(params.coeff_mod_bit_sizes) - 1  # data primes in a fresh ciphertext
        self.scale = 2.0 ** params.scale_bits
        self.slots = n // 2
        # Bounds on a serialized fresh ciphertext: compressed coefficients are ~75 % of
        # 2 polynomials × N × levels × 8 bytes; never more than that plus headers.
        self.max_ciphertext_bytes = 2 * n * levels * 8 + 64 * 1024
        self.min_ciphertext_bytes = 2 * n * levels  # ≥ 1 byte per coefficient, generously


class ScoringServicer:
    """The Scoring service: registers public contexts and scores encrypted batches."""

    def __init__(self, model: ScoringModel) -> None:
        model.guard_depth()
        self.model = model
        self.params = model.params
        self._contexts: collections.OrderedDict = collections.OrderedDict()
        self._lock = threading.Lock()
        self.messages, _ = load_protos()

    # ---- helpers -----------------------------------------------------------------------
    def _check_params(self, ctx: ts.Context) -> None:
        p = self.params
        parms = ctx.seal_context().data.key_context_data().parms()
        got_n = int(parms.poly_modulus_degree())
        got_bits = [int(m.bit_count()) for m in parms.coeff_modulus()]
        if parms.scheme().name != "CKKS" or got_n != p.poly_modulus_degree \
                or got_bits != list(p.coeff_mod_bit_sizes):
            raise _Reject(grpc.StatusCode.INVALID_ARGUMENT,
                          f"context parameters N={got_n}, coeff_mod_bit_sizes={got_bits} do not "
                          f"match the model's {p.describe()}; build the context with "
                          f"make_context(COURSE_PARAMS['scoring']).")
        if not ctx.has_relin_keys():
            raise _Reject(grpc.StatusCode.INVALID_ARGUMENT,
                          "the context has no relinearization keys (needed for the polynomial); "
                          "keep the default keys when making it public.")

    def _register(self, blob: bytes):
        if not blob:
            raise _Reject(grpc.StatusCode.INVALID_ARGUMENT, "public_context is empty.")
        try:
            ctx = ts.context_from(blob)
        except Exception as exc:  # noqa: BLE001 — any parse failure is the caller's bytes
            raise _Reject(grpc.StatusCode.INVALID_ARGUMENT,
                          f"public_context is not a serialized TenSEAL context ({exc}).") from None
        if ctx.is_private() or ctx.has_secret_key():
            raise _Reject(grpc.StatusCode.INVALID_ARGUMENT,
                          "refused: this context carries a SECRET KEY. The scoring server must "
                          "never be able to decrypt: send a copy after "
                          "ctx.make_context_public() (ScoringClient does this for you).")
        self._check_params(ctx)
        fp = fingerprint(blob)
        context_id = secrets.token_hex(16)
        with self._lock:
            self._contexts[context_id] = _Registered(ctx, fp, self.params)
            while len(self._contexts) > MAX_CONTEXTS:
                self._contexts.popitem(last=False)
        return context_id, fp

    def _load_column(self, reg: _Registered, index: int, blob: bytes, n: int):
        name = self.model.feature_names[index]
        if not reg.min_ciphertext_bytes <= len(blob) <= reg.max_ciphertext_bytes:
            raise _Reject(grpc.StatusCode.INVALID_ARGUMENT,
                          f"ciphertext {index} ({name}) has {len(blob)} bytes; a fresh ciphertext "
                          f"at these parameters has {reg.min_ciphertext_bytes}–"
                          f"{reg.max_ciphertext_bytes} (truncated or not a ciphertext).")
        try:
            vec = ts.ckks_vector_from(reg.context, blob)
            cts = vec.ciphertext()
        except Exception as exc:  # noqa: BLE001
            raise _Reject(grpc.StatusCode.INVALID_ARGUMENT,
                          f"ciphertext {index} ({name}) does not deserialize as a CKKS vector "
                          f"under the registered context ({exc}).") from None
        problems = []
        if vec.size() != n:
            problems.append(f"holds {vec.size()} values, not n_applicants={n}")
        if len(cts) != 1:
            problems.append(f"has {len(cts)} ciphertexts, not 1")
        else:
            ct = cts[0]
            if ct.size() != 2:
                problems.append(f"has {ct.size()} polynomials, not 2 (not relinearized)")
            if list(ct.parms_id()) != reg.first_parms_id:
                problems.append("is not at the first (fresh) level of the registered parameters")
            if not ct.is_ntt_form():
                problems.append("is not in NTT form")
            if ct.scale != reg.scale:
                problems.append(f"has scale {ct.scale!r}, not 2**{self.params.scale_bits}")
        if problems:
            raise _Reject(grpc.StatusCode.INVALID_ARGUMENT,
                          f"ciphertext {index} ({name}) " + "; ".join(problems) + ".")
        return vec

    def _score(self, request):
        with self._lock:
            reg = self._contexts.get(request.context_id)
        if reg is None:
            raise _Reject(grpc.StatusCode.NOT_FOUND,
                          f"unknown context_id {request.context_id[:40]!r}: call "
                          f"RegisterContext first (the server keeps the last {MAX_CONTEXTS}).")
        if request.fingerprint != reg.fingerprint:
            raise _Reject(grpc.StatusCode.FAILED_PRECONDITION,
                          "the fingerprint does not match the context registered under this "
                          "id: these ciphertexts belong to another context.")
        n, d = int(request.n_applicants), self.model.n_features
        if not 1 <= n <= reg.slots:
            raise _Reject(grpc.StatusCode.INVALID_ARGUMENT,
                          f"n_applicants must be in 1..{reg.slots}, got {n}.")
        blobs, tags = list(request.feature_ciphertexts), list(request.binding_tags)
        if len(blobs) != d or len(tags) != d:
            raise _Reject(grpc.StatusCode.INVALID_ARGUMENT,
                          f"expected {d} feature ciphertexts and {d} binding tags (features "
                          f"{list(self.model.feature_names)}), got {len(blobs)} and {len(tags)}.")
        for i, (blob, tag) in enumerate(zip(blobs, tags)):
            if binding_tag(reg.fingerprint, i, blob) != tag:
                raise _Reject(grpc.StatusCode.FAILED_PRECONDITION,
                              f"ciphertext {i} ({self.model.feature_names[i]}) is not bound to "
                              f"the registered context: its tag does not match (encrypted under "
                              f"another context, reordered or corrupted).")
        cols = [self._load_column(reg, i, blob, n) for i, blob in enumerate(blobs)]
        from .scoring import score_encrypted_batch
        return score_encrypted_batch(cols, self.model).serialize()

    # ---- RPCs --------------------------------------------------------------------------
    def RegisterContext(self, request, context):  # noqa: N802 — gRPC method name
        try:
            context_id, fp = self._register(request.public_context)
        except _Reject as rej:
            context.abort(rej.code, rej.message)
        except Exception as exc:  # noqa: BLE001 — never let a request take the server down
            context.abort(grpc.StatusCode.INTERNAL, f"registration failed: {exc}")
        return self.messages.RegisterContextReply(
            context_id=context_id, fingerprint=fp,
            feature_names=list(self.model.feature_names),
            max_applicants=self.params.slots, poly_threshold=self.model.poly_threshold)

    def Score(self, request, context):  # noqa: N802
        start = time.perf_counter()
        try:
            out = self._score(request)
        except _Reject as rej:
            context.abort(rej.code, rej.message)
        except Exception as exc:  # noqa: BLE001
            context.abort(grpc.StatusCode.INTERNAL, f"scoring failed: {type(exc).__name__}: {exc}")
        return self.messages.ScoreReply(score_ciphertext=out, n_applicants=request.n_applicants,
                                        server_ms=(time.perf_counter() - start) * 1e3)


_default_model_cache: dict = {}


def default_model() -> ScoringModel:
    """Lesson 08's model: trained on ``credit_applicants(5_000, seed=0)`` (cached)."""
    if "model" not in _default_model_cache:
        from ..datasets import CREDIT_FEATURES, credit_applicants
        _default_model_cache["model"] = train_model(credit_applicants(5_000, seed=0),
                                                    CREDIT_FEATURES)
    return _default_model_cache["model"]


def serve(port: int = 0, model: ScoringModel | None = None, host: str = "127.0.0.1",
          max_workers: int = 2):
    """Start the service in this process; returns ``(server, port)`` (port 0 = any free
    port). Stop it with ``server.stop(grace)``."""
    _, services = load_protos()
    servicer = ScoringServicer(model if model is not None else default_model())
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=max_workers),
                         options=grpc_options(), maximum_concurrent_rpcs=MAX_CONCURRENT_RPCS)
    services.add_ScoringServicer_to_server(servicer, server)
    bound = server.add_insecure_port(f"{host}:{int(port)}")
    if bound == 0:
        raise OSError(f"could not bind the scoring server to {host}:{port}.")
    server.start()
    return server, bound


class ScoringServer:
    """``with ScoringServer() as srv: ScoringClient(srv.address, ctx)…`` — starts the service
    in this process (background threads) and stops it cleanly on exit."""

    def __init__(self, model: ScoringModel | None = None, port: int = 0,
                 host: str = "127.0.0.1") -> None:
        self.model, self.host, self._port = model, host, port
        self.server = None
        self.port = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> "ScoringServer":
        if self.server is None:
            self.server, self.port = serve(self._port, self.model, self.host)
        return self

    def stop(self, grace: float = 1.0) -> None:
        if self.server is not None:
            self.server.stop(grace).wait(grace + 5.0)
            self.server = None

    def __enter__(self) -> "ScoringServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class ServerProcess:
    """The service in a child process (``python -m pets_helpers.he.service --port 0``).

    ``with ServerProcess() as proc: proc.address, proc.pid`` — waits for the ``PORT <n>`` line
    (``timeout`` seconds), and on exit sends SIGTERM and waits (then kills if needed).
    """

    def __init__(self, timeout: float = 60.0, extra_args=()) -> None:
        self.timeout = timeout
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def start(self) -> "ServerProcess":
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pets_helpers.he.service", "--port", "0", *self.extra_args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            cwd=str(Path(__file__).resolve().parents[2]))
        result: dict = {}

        def read_port():
            for line in self.proc.stdout:
                if line.startswith("PORT "):
                    result["port"] = int(line.split()[1])
                    return

        reader = threading.Thread(target=read_port, daemon=True)
        reader.start()
        reader.join(self.timeout)
        if "port" not in result:
            self.stop()
            raise RuntimeError(f"the scoring server did not start within {self.timeout} s.")
        self.port = result["port"]
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 10.0):
        """SIGTERM, wait, kill if needed; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        return self.proc.returncode

    def __enter__(self) -> "ServerProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class ScoringClient:
    """The key holder's side: registers ``context``'s public part once, then scores batches.

    ``context`` must hold the secret key (to decrypt the scores); only a public copy (without
    Galois keys) is sent. ``score(features)`` encrypts, sends, receives and decrypts;
    ``score_encrypted(columns, n)`` sends vectors you encrypted yourself (they must come from
    this context) and returns the encrypted scores.
    """

    def __init__(self, address: str, context: ts.Context, timeout: float = 60.0) -> None:
        if not isinstance(context, ts.Context):
            raise TypeError(f"context must be a tenseal Context, got {type(context).__name__}.")
        if not context.is_private():
            raise ValueError("the client's context must hold the secret key (it decrypts the "
                             "scores); only a public copy is sent to the server.")
        self.context = context
        self.timeout = timeout
        self.messages, services = load_protos()
        self.channel = grpc.insecure_channel(address, options=grpc_options())
        self.stub = services.ScoringStub(self.channel)
        public = context.copy()
        public.make_context_public()
        self.public_context_bytes = public.serialize(save_galois_keys=False)
        self.fingerprint = fingerprint(self.public_context_bytes)
        reply = self.stub.RegisterContext(
            self.messages.RegisterContextRequest(public_context=self.public_context_bytes),
            timeout=timeout)
        if reply.fingerprint != self.fingerprint:
            raise RuntimeError("the server computed a different context fingerprint.")
        self.context_id = reply.context_id
        self.feature_names = tuple(reply.feature_names)
        self.max_applicants = int(reply.max_applicants)
        self.poly_threshold = float(reply.poly_threshold)
        self.last_request_bytes = 0
        self.last_reply_bytes = 0
        self.last_server_ms = float("nan")

    def request_for(self, ciphertexts, n: int):
        """The ScoreRequest for serialized ciphertexts (tags computed with this context)."""
        return self.messages.ScoreRequest(
            context_id=self.context_id, fingerprint=self.fingerprint, n_applicants=int(n),
            feature_ciphertexts=list(ciphertexts),
            binding_tags=[binding_tag(self.fingerprint, i, c) for i, c in enumerate(ciphertexts)])

    def score_encrypted(self, columns, n: int):
        """Send encrypted feature columns (from this client's context); returns a CKKSVector."""
        for i, col in enumerate(columns):
            if col.context().data is not self.context.data:
                raise ValueError(f"column {i} was encrypted under another context: its scores "
                                 f"would decrypt to garbage. Encrypt with this client's context.")
        request = self.request_for([c.serialize() for c in columns], n)
        reply = self.stub.Score(request, timeout=self.timeout)
        self.last_request_bytes = request.ByteSize()
        self.last_reply_bytes = reply.ByteSize()
        self.last_server_ms = reply.server_ms
        return ts.ckks_vector_from(self.context, reply.score_ciphertext)

    def score(self, features) -> np.ndarray:
        """Encrypt an (n, d) array of raw features (columns in ``feature_names`` order), score
        remotely, decrypt: the polynomial scores p(z/A) of the n applicants."""
        x = np.asarray(features, dtype=float)
        if x.ndim != 2 or x.shape[1] != len(self.feature_names):
            raise ValueError(f"features must have shape (n, {len(self.feature_names)}) with "
                             f"columns {list(self.feature_names)}, got {x.shape}.")
        cols = encrypt_batch(self.context, x)
        return np.asarray(self.score_encrypted(cols, x.shape[0]).decrypt())[: x.shape[0]]

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> "ScoringClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Encrypted credit-scoring gRPC server "
                                                 "(localhost only).")
    parser.add_argument("--port", type=int, default=0, help="0 = any free port (printed)")
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    server, port = serve(args.port, host=args.host)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"PORT {port}", flush=True)
    while not stop.wait(0.5):
        pass
    server.stop(1.0).wait(5.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = [
    "MAX_CONTEXTS",
    "MAX_MESSAGE_BYTES",
    "ScoringClient",
    "ScoringServer",
    "ScoringServicer",
    "ServerProcess",
    "binding_tag",
    "default_model",
    "fingerprint",
    "load_protos",
    "serve",
]
