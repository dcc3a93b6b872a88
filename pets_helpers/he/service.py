"""A gRPC encrypted-scoring service (Lesson 08): the lender scores ciphertexts it cannot read.

Protocol (``protos/scoring.proto``, loaded at run time with ``grpc.protos_and_services``, which
needs ``grpcio-tools``; nothing generated is committed):

1. ``RegisterContext(public_context, client_token)`` → ``context_id``, ``fingerprint`` (hex
   SHA-256 of the exact bytes registered), ``client_token``, the feature order, the slot count
   and the decision threshold.
2. ``Score(context_id, fingerprint, n_applicants, feature_ciphertexts, binding_tags)`` →
   ``score_ciphertext``: one ciphertext per feature (applicants in the slots), one ciphertext
   of polynomial scores p(z/A) back.

Threat model
------------
The service defends the **confidentiality of the applicants** against the server (it only ever
holds public keys and ciphertexts) and the **availability** of the service against hostile or
merely busy clients. It does *not* defend a malicious client against itself: one that sends
corrupt ciphertexts, or tags foreign ones as its own, gets garbage scores under its own key.

What a client sends is inspected before any SEAL object exists (:mod:`.wire`)
-------------------------------------------------------------------------------
A registration's raw ``TenSEALContextProto`` is parsed with TenSEAL's own ``.proto``: any
private part (a secret key, or the key-generation flags that would make ``ts.context_from``
generate keys for the caller), other parameters, a missing public key or relinearization keys,
Galois keys, ``auto_flags`` other than 7, a scale other than 2**36 or implausible key sizes
are refused with ``INVALID_ARGUMENT`` and what to send instead. Each ciphertext's
``CKKSVectorProto`` header (``sizes`` exactly ``[n_applicants]``, one SEAL ciphertext, ``scale``
exactly 2**36) and SEAL header are checked the same way. Nothing a client sends triggers key
generation on the server; only the inspected, re-serialized bytes reach TenSEAL.

Binding ciphertexts to the registered context
---------------------------------------------
A CKKS ciphertext does not say which key encrypted it. So every request quotes the
``context_id`` (unknown → ``NOT_FOUND``) and ``fingerprint`` (another one →
``FAILED_PRECONDITION``), and every ciphertext i carries ``tag_i = SHA-256(fingerprint ‖ i ‖
bytes)``, which :class:`ScoringClient` computes from the context that actually encrypted it. A
mismatch (foreign context, reordered, truncated or corrupted bytes) is ``FAILED_PRECONDITION``.
The tags are unkeyed hashes, not MACs: they catch honest mistakes, not a malicious client —
which only harms itself (see the threat model). After loading, each ciphertext must hold
``n_applicants`` values in one fresh, relinearized, NTT-form ciphertext at the registered
parameters (``INVALID_ARGUMENT`` otherwise).

Identity, quotas, eviction
--------------------------
``RegisterContext`` issues a ``client_token``; quoting it on later registrations makes them
count against that client's quota of :data:`CONTEXTS_PER_CLIENT` (its own least recently used
idle context is evicted). At most :data:`MAX_CONTEXTS` contexts are kept in all; beyond that
the least recently used *idle* context goes, never-used ones first; contexts idle for
``idle_seconds`` expire. A context is never evicted while one of its requests is queued or
running. The ``context_id`` is an unguessable capability; a ``client_token`` quoted on
``Score`` must be the owner's. :class:`ScoringClient` re-registers transparently (and logs a
warning) when its context was evicted.

Heavy work in worker processes, busy means wait
-----------------------------------------------
Loading contexts and scoring run in a :class:`~.workers.WorkerPool` of processes (one per
core by default) with per-request time and memory limits (exceeded → ``RESOURCE_EXHAUSTED``
and a fresh worker), so the gRPC process never holds the GIL for long: one request cannot
stall the others, and SIGTERM stops the server within ~1 s (queued requests get
``UNAVAILABLE``, running ones :data:`DRAIN_SECONDS` to finish). Registration itself only
inspects, hashes and stores the bytes; a worker loads the context on its first ``Score``.
Jobs are queued fairly (round robin across context owners, one owner never running on more
than half the workers); the queue holds what the
workers clear in :data:`MAX_QUEUE_WAIT_S` seconds at the throughput measured at start-up,
and a full queue answers ``RESOURCE_EXHAUSTED``: :class:`ScoringClient` retries with
exponential backoff and jitter. The standard ``grpc.health.v1.Health`` service answers
SERVING (NOT_SERVING while draining) with the queue depth in its trailing metadata
(:func:`health`). ``INTERNAL`` means a real server fault.

Running it: :func:`serve` (in-process, returns ``(service, port)``), :class:`ScoringServer` (a
context manager for notebooks), :class:`ServerProcess` (``python -m pets_helpers.he.service
--port 0`` in a subprocess, which prints ``PORT <n>``), and :class:`ScoringClient`. Several
servers can sit behind any gRPC-aware load balancer; see ``benchmarks/bench_service.py``.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import logging
import math
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path

import grpc
import numpy as np
import tenseal as ts
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from .scoring import ScoringModel, encrypt_batch, symmetric_context, train_model
from .wire import Expected, WireError, inspect_ciphertext, inspect_context
from .workers import QueueFull, ShuttingDown, WorkerPool

log = logging.getLogger(__name__)

#: Largest gRPC message accepted or sent, both directions (a 4096-applicant batch is ~2.4 MB,
#: a public context ~2.6 MB; 64 MiB so that a context with Galois keys, ~53 MB, arrives and is
#: refused with a message saying what to send instead).
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
#: Registered contexts kept in all (~2.6 MB each in the gRPC process).
MAX_CONTEXTS = 32
#: Contexts one client (one client_token) may hold.
CONTEXTS_PER_CLIENT = 2
#: Contexts unused this long are evicted.
IDLE_SECONDS = 900.0
#: Client identities remembered (those without contexts are forgotten first).
MAX_CLIENTS = 4096
#: The queue holds what the workers clear in this many seconds.
MAX_QUEUE_WAIT_S = 2.0
#: Seconds running requests get to finish after SIGTERM.
DRAIN_SECONDS = 0.5
#: Applicants in the batch used to measure throughput at start-up.
CALIBRATION_BATCH = 1000
SERVICE_NAME = "petslab.scoring.v1.Scoring"
#: Status codes the client retries (with backoff).
RETRYABLE = (grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.UNAVAILABLE)
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


# ---- registrations ----------------------------------------------------------------------------
@dataclass
class _Registration:
    context_id: str
    owner: str
    fingerprint: str
    blob: bytes  # the inspected, canonical bytes the workers load
    last_used: float
    in_use: int = 0
    scored: int = 0


class _Registry:
    """Registered contexts and client identities, with quotas and eviction (thread-safe)."""

    def __init__(self, per_client: int, max_contexts: int, idle_seconds: float,
                 max_clients: int = MAX_CLIENTS) -> None:
        self.per_client, self.max_contexts = int(per_client), int(max_contexts)
        self.idle_seconds, self.max_clients = float(idle_seconds), int(max_clients)
        self._lock = threading.Lock()
        self._contexts: collections.OrderedDict = collections.OrderedDict()  # LRU order
        self._clients: dict = {}  # token -> last seen
        self.evictions = collections.Counter()

    def known(self, token: str) -> bool:
        with self._lock:
            return bool(token) and token in self._clients

    def find(self, token: str, fp: str):
        with self._lock:
            for reg in self._contexts.values():
                if reg.owner == token and reg.fingerprint == fp:
                    reg.last_used = time.monotonic()
                    self._contexts.move_to_end(reg.context_id)
                    return reg
        return None

    def _evict(self, reg: _Registration, reason: str) -> None:
        del self._contexts[reg.context_id]
        self.evictions[reason] += 1

    def _expire(self, now: float) -> None:
        for reg in [r for r in self._contexts.values()
                    if not r.in_use and now - r.last_used > self.idle_seconds]:
            self._evict(reg, "idle")
        owners = {r.owner for r in self._contexts.values()}
        idle = sorted((seen, tok) for tok, seen in self._clients.items() if tok not in owners)
        for seen, tok in idle:
            if now - seen > self.idle_seconds or len(self._clients) > self.max_clients:
                del self._clients[tok]

    def add(self, token: str, context_id: str, fp: str, blob: bytes) -> str:
        """Store a validated registration for ``token`` (a new token if unknown); returns the
        owner's token. Raises _Reject(RESOURCE_EXHAUSTED) when every candidate is in use."""
        now = time.monotonic()
        with self._lock:
            self._expire(now)
            if not token or token not in self._clients:
                token = secrets.token_urlsafe(24)
            self._clients[token] = now
            own = [r for r in self._contexts.values() if r.owner == token]
            while len(own) >= self.per_client:
                victim = next((r for r in own if not r.in_use), None)
                if victim is None:
                    raise _Reject(grpc.StatusCode.RESOURCE_EXHAUSTED,
                                  f"all {len(own)} contexts of this client are in use "
                                  f"(quota {self.per_client}); retry when a request finishes.")
                own.remove(victim)
                self._evict(victim, "quota")
            while len(self._contexts) >= self.max_contexts:
                idle = [r for r in self._contexts.values() if not r.in_use]
                if not idle:
                    raise _Reject(grpc.StatusCode.RESOURCE_EXHAUSTED,
                                  "every registered context is in use; retry shortly.")
                # never-used registrations go first (a registration flood), then LRU
                self._evict(min(idle, key=lambda r: (r.scored > 0, r.last_used)), "capacity")
            self._contexts[context_id] = _Registration(context_id, token, fp, blob, now)
            return token

    def acquire(self, context_id: str, token: str) -> _Registration:
        with self._lock:
            reg = self._contexts.get(context_id)
            if reg is not None and not reg.in_use \
                    and time.monotonic() - reg.last_used > self.idle_seconds:
                self._evict(reg, "idle")
                reg = None
            if reg is None or (token and token != reg.owner):
                raise _Reject(grpc.StatusCode.NOT_FOUND,
                              f"no context {context_id[:40]!r} for this client: it was never "
                              f"registered or was evicted (idle, or over the quota). Call "
                              f"RegisterContext again (ScoringClient does this by itself).")
            reg.in_use += 1
            reg.last_used = time.monotonic()
            self._contexts.move_to_end(context_id)
            self._clients[reg.owner] = reg.last_used
            return reg

    def release(self, reg: _Registration, scored: bool) -> None:
        with self._lock:
            reg.in_use -= 1
            reg.scored += int(scored)
            reg.last_used = time.monotonic()

    def __len__(self) -> int:
        with self._lock:
            return len(self._contexts)


# ---- the servicer ---------------------------------------------------------------------------
_ANSWER_CODES = {"INVALID_ARGUMENT": grpc.StatusCode.INVALID_ARGUMENT,
                 "FAILED_PRECONDITION": grpc.StatusCode.FAILED_PRECONDITION}


class ScoringServicer:
    """The Scoring service: inspects registrations and requests in the gRPC process, runs the
    TenSEAL work in ``pool``'s worker processes."""

    def __init__(self, model: ScoringModel, pool: WorkerPool, expected: Expected,
                 contexts_per_client: int = CONTEXTS_PER_CLIENT,
                 max_contexts: int = MAX_CONTEXTS, idle_seconds: float = IDLE_SECONDS) -> None:
        model.guard_depth()
        self.model = model
        self.params = model.params
        self.pool = pool
        self.expected = expected
        self.registry = _Registry(contexts_per_client, max_contexts, idle_seconds)
        self.messages, _ = load_protos()

    def _run_job(self, lane: str, payload, context):
        try:
            answer = self.pool.submit(lane, payload, alive=context.is_active)
        except QueueFull as full:
            raise _Reject(grpc.StatusCode.RESOURCE_EXHAUSTED,
                          f"the server is busy (queue {full.depth}/{full.capacity}); retry with "
                          f"backoff (ScoringClient does).") from None
        except ShuttingDown:
            raise _Reject(grpc.StatusCode.UNAVAILABLE,
                          "the server is shutting down; retry (another replica).") from None
        kind = answer[0]
        if kind == "ok":
            return answer[1:]
        if kind == "reject":
            raise _Reject(_ANSWER_CODES.get(answer[1], grpc.StatusCode.INVALID_ARGUMENT),
                          answer[2])
        if kind == "limit":
            limit = (f"{self.pool.time_limit:.0f} s" if answer[1] == "time"
                     else f"{self.pool.memory_limit_mb} MB")
            raise _Reject(grpc.StatusCode.RESOURCE_EXHAUSTED,
                          f"the request exceeded the per-request {answer[1]} limit ({limit}); "
                          f"its worker was replaced.")
        if kind == "unavailable":
            raise _Reject(grpc.StatusCode.UNAVAILABLE, f"{answer[1]}; retry.")
        raise _Reject(grpc.StatusCode.INTERNAL, f"server fault: {answer[1]}")

    def _register(self, request, context):
        blob = bytes(request.public_context)
        try:
            canonical = inspect_context(blob, self.expected)
        except WireError as exc:
            raise _Reject(grpc.StatusCode.INVALID_ARGUMENT, str(exc)) from None
        fp = fingerprint(blob)
        token = request.client_token if self.registry.known(request.client_token) else ""
        if token:
            existing = self.registry.find(token, fp)
            if existing is not None:  # the same client registering the same keys again
                return existing.context_id, fp, token
        # No worker job here: the inspected bytes are stored, and a worker loads them (with
        # its time and memory limits) on the first Score, in the owner's lane. A flood of
        # registrations therefore costs a protobuf parse and a hash each, nothing more.
        context_id = secrets.token_hex(16)
        return context_id, fp, self.registry.add(token, context_id, fp, canonical)

    def _score(self, request, context):
        reg = self.registry.acquire(request.context_id, request.client_token)
        scored = False
        try:
            if request.fingerprint != reg.fingerprint:
                raise _Reject(grpc.StatusCode.FAILED_PRECONDITION,
                              "the fingerprint does not match the context registered under "
                              "this id: these ciphertexts belong to another context.")
            n, d = int(request.n_applicants), self.model.n_features
            if not 1 <= n <= self.expected.slots:
                raise _Reject(grpc.StatusCode.INVALID_ARGUMENT,
                              f"n_applicants must be in 1..{self.expected.slots}, got {n}.")
            blobs, tags = list(request.feature_ciphertexts), list(request.binding_tags)
            if len(blobs) != d or len(tags) != d:
                raise _Reject(grpc.StatusCode.INVALID_ARGUMENT,
                              f"expected {d} feature ciphertexts and {d} binding tags "
                              f"(features {list(self.model.feature_names)}), got {len(blobs)} "
                              f"and {len(tags)}.")
            canonical = []
            for i, (blob, tag) in enumerate(zip(blobs, tags)):
                name = f"ciphertext {i} ({self.model.feature_names[i]})"
                if binding_tag(reg.fingerprint, i, blob) != tag:
                    raise _Reject(grpc.StatusCode.FAILED_PRECONDITION,
                                  f"{name} is not bound to the registered context: its tag does "
                                  f"not match (encrypted under another context, reordered or "
                                  f"corrupted).")
                try:
                    canonical.append(inspect_ciphertext(blob, self.expected, n, name))
                except WireError as exc:
                    raise _Reject(grpc.StatusCode.INVALID_ARGUMENT, str(exc)) from None
            out, server_ms = self._run_job(
                reg.owner, ("score", reg.context_id, reg.blob, canonical, n), context)
            scored = True
            return out, server_ms
        finally:
            self.registry.release(reg, scored)

    # ---- RPCs --------------------------------------------------------------------------
    def RegisterContext(self, request, context):  # noqa: N802 — gRPC method name
        try:
            context_id, fp, token = self._register(request, context)
        except _Reject as rej:
            context.abort(rej.code, rej.message)
        except Exception as exc:  # noqa: BLE001 — a real fault; the server goes on
            log.exception("registration failed")
            context.abort(grpc.StatusCode.INTERNAL, f"registration failed: {exc}")
        return self.messages.RegisterContextReply(
            context_id=context_id, fingerprint=fp, client_token=token,
            feature_names=list(self.model.feature_names),
            max_applicants=self.params.slots, poly_threshold=self.model.poly_threshold,
            contexts_per_client=self.registry.per_client,
            idle_timeout_s=self.registry.idle_seconds)

    def Score(self, request, context):  # noqa: N802
        start = time.perf_counter()
        try:
            out, _ = self._score(request, context)
        except _Reject as rej:
            context.abort(rej.code, rej.message)
        except Exception as exc:  # noqa: BLE001
            log.exception("scoring failed")
            context.abort(grpc.StatusCode.INTERNAL, f"scoring failed: {type(exc).__name__}: {exc}")
        return self.messages.ScoreReply(score_ciphertext=out, n_applicants=request.n_applicants,
                                        server_ms=(time.perf_counter() - start) * 1e3)


class _Health(health.HealthServicer):
    """grpc.health.v1 with the queue's state in the trailing metadata of ``Check``."""

    def __init__(self, pool: WorkerPool) -> None:
        super().__init__()
        self.pool = pool

    def Check(self, request, context):  # noqa: N802
        reply = super().Check(request, context)
        stats = self.pool.stats()
        context.set_trailing_metadata(tuple(
            (key.replace("_", "-"), str(stats[key]))
            for key in ("queue_depth", "capacity", "in_flight", "workers", "completed")))
        return reply


def health(address: str, timeout: float = 5.0, service: str = SERVICE_NAME) -> dict:
    """Ask a server's gRPC health service: ``status`` (SERVING / NOT_SERVING) and the queue's
    ``queue-depth``, ``capacity``, ``in-flight``, ``workers``, ``completed`` (ints)."""
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        reply, call = stub.Check.with_call(health_pb2.HealthCheckRequest(service=service),
                                           timeout=timeout)
        out = {"status": health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)}
        out.update({k: int(v) for k, v in call.trailing_metadata() if k != "status"})
        return out


_default_model_cache: dict = {}


def default_model() -> ScoringModel:
    """Lesson 08's model: trained on ``credit_applicants(5_000, seed=0)`` (cached)."""
    if "model" not in _default_model_cache:
        from ..datasets import CREDIT_FEATURES, credit_applicants
        _default_model_cache["model"] = train_model(credit_applicants(5_000, seed=0),
                                                    CREDIT_FEATURES)
    return _default_model_cache["model"]


def default_workers() -> int:
    """One worker process per available core."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


class ScoringService:
    """A running service: the gRPC server, its worker pool and health service.

    Start-up measures throughput: every worker scores a :data:`CALIBRATION_BATCH`-applicant
    batch under the server's *own* reference context (the only keys the server ever makes);
    the queue capacity is what the workers clear in ``max_queue_wait`` seconds and the
    per-request time limit is ``max(10 s, 50 ×`` that job's time)."""

    def __init__(self, model: ScoringModel | None = None, port: int = 0, host: str = "127.0.0.1",
                 workers: int | None = None, max_queue_wait: float = MAX_QUEUE_WAIT_S,
                 contexts_per_client: int = CONTEXTS_PER_CLIENT,
                 max_contexts: int = MAX_CONTEXTS, idle_seconds: float = IDLE_SECONDS,
                 memory_limit_mb: int = 512, time_limit: float | None = None) -> None:
        from ..datasets import credit_applicants
        from .ckks import make_context

        model = model if model is not None else default_model()
        model.guard_depth()
        reference = make_context(model.params)
        self.expected = Expected.for_params(model.params, reference)
        n_workers = int(workers) if workers else default_workers()
        self.pool = WorkerPool(model, n_workers, capacity=4 * n_workers,
                               time_limit=time_limit or 60.0, memory_limit_mb=memory_limit_mb)
        try:
            public = reference.copy()
            public.make_context_public()
            blob = inspect_context(public.serialize(save_galois_keys=False), self.expected)
            x = model.features(credit_applicants(CALIBRATION_BATCH, seed=99))
            cts = [inspect_ciphertext(c.serialize(), self.expected, len(x), "calibration")
                   for c in encrypt_batch(reference, x)]
            self.job_seconds = self.pool.calibrate(("score", "calibration", blob, cts, len(x)))
            self.throughput = n_workers / self.job_seconds  # batches per second
            self.pool.capacity = max(2 * n_workers, math.ceil(self.throughput * max_queue_wait))
            self.pool.time_limit = float(time_limit or max(10.0, 50 * self.job_seconds))
            self.servicer = ScoringServicer(model, self.pool, self.expected, contexts_per_client,
                                            max_contexts, idle_seconds)
            _, services = load_protos()
            threads = self.pool.capacity + n_workers + 8
            self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=threads),
                                      options=grpc_options(), maximum_concurrent_rpcs=threads)
            services.add_ScoringServicer_to_server(self.servicer, self.server)
            self.health = _Health(self.pool)
            health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
            self.port = self.server.add_insecure_port(f"{host}:{int(port)}")
            if self.port == 0:
                raise OSError(f"could not bind the scoring server to {host}:{port}.")
            self.server.start()
        except BaseException:
            self.pool.shutdown(0.0)
            raise
        for name in ("", SERVICE_NAME):
            self.health.set(name, health_pb2.HealthCheckResponse.SERVING)

    def describe(self) -> str:
        return (f"{self.pool.n_workers} workers, {self.job_seconds * 1e3:.0f} ms per "
                f"{CALIBRATION_BATCH}-applicant batch ({self.throughput:.1f} batches/s), queue "
                f"capacity {self.pool.capacity}, per-request limits {self.pool.time_limit:.0f} s "
                f"/ {self.pool.memory_limit_mb} MB")

    def stop(self, grace: float = DRAIN_SECONDS) -> threading.Event:
        """Drain and stop: NOT_SERVING, refuse new RPCs, queued → UNAVAILABLE, running ones get
        ``grace`` s, then the workers are killed. Returns an Event set when stopped."""
        self.health.enter_graceful_shutdown()
        self.pool.shutdown(grace)  # in-flight RPCs get their answers (or UNAVAILABLE) here
        return self.server.stop(0.05)


def serve(port: int = 0, model: ScoringModel | None = None, host: str = "127.0.0.1",
          workers: int | None = None, **options):
    """Start the service in this process (workers in child processes); returns ``(service,
    port)`` (port 0 = any free port). Stop it with ``service.stop()``."""
    service = ScoringService(model, port, host, workers, **options)
    return service, service.port


class ScoringServer:
    """``with ScoringServer() as srv: ScoringClient(srv.address, ctx)…`` — starts the service
    from this process (gRPC threads here, worker processes as children) and stops it on exit."""

    def __init__(self, model: ScoringModel | None = None, port: int = 0,
                 host: str = "127.0.0.1", workers: int | None = None) -> None:
        self.model, self.host, self._port, self.workers = model, host, port, workers
        self.server = None
        self.port = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> "ScoringServer":
        if self.server is None:
            self.server, self.port = serve(self._port, self.model, self.host, self.workers)
        return self

    def stop(self, grace: float = DRAIN_SECONDS) -> None:
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
        self.stderr = tempfile.TemporaryFile(mode="w+")  # a pipe nobody reads could fill up
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pets_helpers.he.service", "--port", "0", *self.extra_args],
            stdout=subprocess.PIPE, stderr=self.stderr, text=True,
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
            died = self.proc.poll() is not None
            log_text = self.log()
            self.stop()
            if died:
                raise RuntimeError("the scoring server failed to start: " + log_text[-2000:])
            raise RuntimeError(f"the scoring server did not start within {self.timeout} s.")
        self.port = result["port"]
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def children(self) -> list:
        """PIDs of the server's child processes (its workers), from /proc."""
        pids = []
        for task in Path(f"/proc/{self.pid}/task").glob("*"):
            try:
                pids += [int(p) for p in (task / "children").read_text().split()]
            except OSError:
                pass
        return sorted(set(pids))

    def log(self) -> str:
        """What the server wrote to stderr so far (its configuration line, warnings)."""
        try:
            self.stderr.flush()
            self.stderr.seek(0)
            return self.stderr.read()
        except (AttributeError, OSError, ValueError):
            return ""

    def stop(self, timeout: float = 10.0):
        """SIGTERM, wait, kill if needed; returns the exit code (0 after a clean drain)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return self.proc.returncode

    def __enter__(self) -> "ServerProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class ScoringClient:
    """The key holder's side: registers ``context``'s public part, then scores batches.

    ``context`` must hold the secret key (to decrypt the scores); only a public copy (without
    Galois keys) is sent. ``score(features)`` encrypts — symmetrically, with the secret key,
    unless ``symmetric=False``: same ciphertext size, about half the time — sends, receives
    and decrypts; ``score_encrypted(columns, n)`` sends vectors you encrypted yourself (with
    this context or :attr:`encryption_context`) and returns the encrypted scores.

    Busy servers: RESOURCE_EXHAUSTED / UNAVAILABLE are retried up to ``max_attempts`` times
    with exponential backoff (``backoff`` s doubling up to ``max_backoff`` s, full jitter)
    within ``timeout`` s. An evicted context (NOT_FOUND) is re-registered transparently under
    the client's token, with a logged warning; :attr:`re_registrations` and :attr:`retries`
    count both.
    """

    def __init__(self, address: str, context: ts.Context, timeout: float = 60.0,
                 symmetric: bool = True, max_attempts: int = 10, backoff: float = 0.05,
                 max_backoff: float = 2.0) -> None:
        if not isinstance(context, ts.Context):
            raise TypeError(f"context must be a tenseal Context, got {type(context).__name__}.")
        if not context.is_private():
            raise ValueError("the client's context must hold the secret key (it decrypts the "
                             "scores); only a public copy is sent to the server.")
        self.context = context
        self.encryption_context = symmetric_context(context) if symmetric else context
        self.timeout = float(timeout)
        self.max_attempts, self.backoff, self.max_backoff = int(max_attempts), backoff, max_backoff
        self.messages, services = load_protos()
        self.channel = grpc.insecure_channel(address, options=grpc_options())
        self.stub = services.ScoringStub(self.channel)
        public = context.copy()
        public.make_context_public()
        self.public_context_bytes = public.serialize(save_galois_keys=False)
        self.fingerprint = fingerprint(self.public_context_bytes)
        self.client_token = ""
        self.context_id = ""
        self.re_registrations = 0
        self.retries = 0
        self.last_request_bytes = 0
        self.last_reply_bytes = 0
        self.last_server_ms = float("nan")
        self.register()

    def _call(self, rpc, make_request):
        """``rpc(make_request())`` with retries on RETRYABLE codes (backoff, full jitter)."""
        deadline = time.monotonic() + self.timeout
        attempt = 0
        while True:
            try:
                return rpc(make_request(), timeout=max(0.01, deadline - time.monotonic()))
            except grpc.RpcError as err:
                attempt += 1
                delay = random.uniform(0.0, min(self.max_backoff, self.backoff * 2 ** attempt))
                if err.code() not in RETRYABLE or attempt >= self.max_attempts \
                        or time.monotonic() + delay >= deadline:
                    raise
                self.retries += 1
                time.sleep(delay)

    def register(self) -> str:
        """(Re-)register the public context under this client's token; returns its id."""
        reply = self._call(self.stub.RegisterContext, lambda: self.messages.RegisterContextRequest(
            public_context=self.public_context_bytes, client_token=self.client_token))
        if reply.fingerprint != self.fingerprint:
            raise RuntimeError("the server computed a different context fingerprint.")
        self.context_id = reply.context_id
        self.client_token = reply.client_token
        self.feature_names = tuple(reply.feature_names)
        self.max_applicants = int(reply.max_applicants)
        self.poly_threshold = float(reply.poly_threshold)
        return self.context_id

    def request_for(self, ciphertexts, n: int):
        """The ScoreRequest for serialized ciphertexts (tags computed with this context)."""
        return self.messages.ScoreRequest(
            context_id=self.context_id, fingerprint=self.fingerprint, n_applicants=int(n),
            client_token=self.client_token, feature_ciphertexts=list(ciphertexts),
            binding_tags=[binding_tag(self.fingerprint, i, c) for i, c in enumerate(ciphertexts)])

    def score_encrypted(self, columns, n: int):
        """Send encrypted feature columns (from this client's keys); returns a CKKSVector."""
        mine = (self.context.data, self.encryption_context.data)
        for i, col in enumerate(columns):
            if not any(col.context().data is m for m in mine):
                raise ValueError(f"column {i} was encrypted under another context: its scores "
                                 f"would decrypt to garbage. Encrypt with this client's context.")
        blobs = [c.serialize() for c in columns]
        for attempt in range(4):
            try:
                reply = self._call(self.stub.Score, lambda: self.request_for(blobs, n))
                break
            except grpc.RpcError as err:
                if err.code() != grpc.StatusCode.NOT_FOUND or attempt == 3:
                    raise
                old = self.context_id
                self.register()
                self.re_registrations += 1
                log.warning("the scoring server had evicted context %s…; re-registered as %s…",
                            old[:8], self.context_id[:8])
        self.last_request_bytes = self.request_for(blobs, n).ByteSize()
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
        cols = encrypt_batch(self.encryption_context, x)
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
    parser.add_argument("--workers", type=int, default=0, help="worker processes (0 = cores)")
    parser.add_argument("--max-contexts", type=int, default=MAX_CONTEXTS)
    parser.add_argument("--contexts-per-client", type=int, default=CONTEXTS_PER_CLIENT)
    parser.add_argument("--idle-seconds", type=float, default=IDLE_SECONDS)
    parser.add_argument("--max-queue-wait", type=float, default=MAX_QUEUE_WAIT_S)
    parser.add_argument("--memory-limit-mb", type=int, default=512)
    parser.add_argument("--time-limit", type=float, default=0.0, help="0 = from calibration")
    args = parser.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    service = ScoringService(None, args.port, args.host, args.workers or None,
                             max_queue_wait=args.max_queue_wait,
                             contexts_per_client=args.contexts_per_client,
                             max_contexts=args.max_contexts, idle_seconds=args.idle_seconds,
                             memory_limit_mb=args.memory_limit_mb,
                             time_limit=args.time_limit or None)
    print(f"SERVICE {service.describe()}", file=sys.stderr, flush=True)
    print(f"PORT {service.port}", flush=True)
    while not stop.wait(0.05):
        pass
    start = time.perf_counter()
    service.stop(DRAIN_SECONDS).wait(0.1)
    print(f"STOPPED in {time.perf_counter() - start:.2f} s", file=sys.stderr, flush=True)
    sys.stdout.flush()
    os._exit(0)  # everything is drained; skip the interpreter's slow teardown (~1 s)


if __name__ == "__main__":
    sys.exit(main())


__all__ = [
    "CONTEXTS_PER_CLIENT",
    "MAX_CONTEXTS",
    "MAX_MESSAGE_BYTES",
    "ScoringClient",
    "ScoringServer",
    "ScoringService",
    "ScoringServicer",
    "ServerProcess",
    "binding_tag",
    "default_model",
    "fingerprint",
    "health",
    "load_protos",
    "serve",
]
