"""A bounded pool of worker processes for the scoring service, with a fair queue.

TenSEAL holds the GIL while it computes, so heavy work in the gRPC process stalls every other
request and shutdown. Here each job (score a batch, loading its registered context on first
use) runs in one of ``n_workers`` *processes*:

- **Per-request limits.** A manager thread per worker waits for the answer, polling every
  20 ms; a job that runs past ``time_limit`` seconds, or whose worker's resident memory grows
  more than ``memory_limit_mb`` above its idle level, gets its worker killed (SIGKILL) and
  replaced, and is answered ``("limit", "time" | "memory")``. ``RLIMIT_AS`` caps each worker
  as a backstop. A worker dies with the server (``PR_SET_PDEATHSIG``).
- **Bounded, fair queue.** At most ``capacity`` jobs wait; :meth:`WorkerPool.submit` raises
  :class:`QueueFull` beyond that (the service answers RESOURCE_EXHAUSTED and the client backs
  off). Jobs are taken round-robin across *lanes* (one per client), and one lane never runs
  more than half the workers (rounded up) at once, so a client flooding the service only
  delays its own lane.
  :meth:`WorkerPool.calibrate` measures a job's time so the service can size ``capacity``
  from throughput.
- **Draining shutdown.** :meth:`WorkerPool.shutdown` answers queued jobs ``("unavailable",
  …)`` at once, lets running ones finish within ``grace`` seconds, then kills the workers.

Jobs and answers are plain tuples (pickled over a socket): ``("score", context_id,
context_bytes, ciphertexts, n)`` → ``("ok", score_bytes, server_ms)`` or ``("reject", code,
message)``; ``("ping",)`` → ``("ok", pid)``. The worker side is :func:`_worker_main`, which
keeps an LRU cache of loaded contexts (:data:`WORKER_CONTEXT_CACHE`).
"""

from __future__ import annotations

import collections
import ctypes
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection

#: Loaded contexts a worker keeps (each ~10 MB with its SEAL tables).
WORKER_CONTEXT_CACHE = 8
_POLL = 0.02


class QueueFull(Exception):
    """The bounded queue is full (the caller should answer RESOURCE_EXHAUSTED)."""

    def __init__(self, depth: int, capacity: int) -> None:
        super().__init__(f"queue full ({depth}/{capacity})")
        self.depth, self.capacity = depth, capacity


class ShuttingDown(Exception):
    """The pool no longer accepts jobs."""


def rss_bytes(pid: int) -> int:
    """Resident set size of process ``pid`` (Linux /proc), 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0


# ---- worker side ---------------------------------------------------------------------------
class _Reject(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:  # not Linux: the pipe's EOF still ends the loop
        pass


class _Scorer:
    """What a worker process does: load contexts (cached) and score batches."""

    def __init__(self, model) -> None:
        import tenseal as ts
        from tenseal import sealapi  # noqa: F401 — registers SEAL types (Modulus) with pybind

        self.ts = ts
        self.model = model
        self.params = model.params
        self.contexts: collections.OrderedDict = collections.OrderedDict()

    def context(self, context_id: str, blob: bytes):
        ctx = self.contexts.get(context_id)
        if ctx is not None:
            self.contexts.move_to_end(context_id)
            return ctx
        try:
            ctx = self.ts.context_from(blob, n_threads=1)
        except Exception as exc:  # noqa: BLE001 — the client's bytes
            raise _Reject("INVALID_ARGUMENT", f"the public context does not load in TenSEAL "
                                              f"({exc}).") from None
        self._check_context(ctx)
        self.contexts[context_id] = ctx
        while len(self.contexts) > WORKER_CONTEXT_CACHE:
            self.contexts.popitem(last=False)
        return ctx

    def _check_context(self, ctx) -> None:
        # Defence in depth: the wire inspection already refused all of this.
        p = self.params
        parms = ctx.seal_context().data.key_context_data().parms()
        bits = [int(m.bit_count()) for m in parms.coeff_modulus()]
        problems = []
        if ctx.is_private() or ctx.has_secret_key():
            problems.append("it carries a secret key")
        if not ctx.has_public_key():
            problems.append("it has no public key")
        if not ctx.has_relin_keys():
            problems.append("it has no relinearization keys")
        if int(parms.poly_modulus_degree()) != p.poly_modulus_degree \
                or bits != list(p.coeff_mod_bit_sizes):
            problems.append(f"its parameters are N={parms.poly_modulus_degree()}, {bits}")
        if problems:
            raise _Reject("INVALID_ARGUMENT", "the public context is refused: "
                          + "; ".join(problems) + f". Send make_context(COURSE_PARAMS"
                          f"['scoring'])'s public copy ({p.describe()}).")

    def score(self, context_id: str, blob: bytes, ciphertexts, n: int):
        from .scoring import score_encrypted_batch

        ctx = self.context(context_id, blob)
        data = ctx.seal_context().data
        first = list(data.first_parms_id())
        scale = 2.0 ** self.params.scale_bits
        cols = []
        for i, ct_blob in enumerate(ciphertexts):
            name = f"ciphertext {i} ({self.model.feature_names[i]})"
            try:
                vec = self.ts.ckks_vector_from(ctx, ct_blob)
                cts = vec.ciphertext()
            except Exception as exc:  # noqa: BLE001
                raise _Reject("INVALID_ARGUMENT", f"{name} does not deserialize as a CKKS vector "
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
                if list(ct.parms_id()) != first:
                    problems.append("is not at the first (fresh) level of the parameters")
                if not ct.is_ntt_form():
                    problems.append("is not in NTT form")
                if ct.scale != scale:
                    problems.append(f"has scale {ct.scale!r}, not 2**{self.params.scale_bits}")
            if problems:
                raise _Reject("INVALID_ARGUMENT", f"{name} " + "; ".join(problems) + ".")
            cols.append(vec)
        start = time.perf_counter()
        out = score_encrypted_batch(cols, self.model).serialize()
        return out, (time.perf_counter() - start) * 1e3

    def handle(self, job):
        op = job[0]
        if op == "score":
            return ("ok",) + self.score(*job[1:])
        if op == "ping":
            return ("ok", os.getpid())
        # test hooks (not reachable over gRPC): a job that holds its worker / grows its memory
        if op == "sleep":
            time.sleep(float(job[1]))
            return ("ok", None)
        if op == "alloc":
            block = bytearray(int(job[1]) * 2 ** 20)
            block[:: 4096] = b"x" * len(block[:: 4096])  # touch every page: resident memory
            time.sleep(float(job[2]))
            return ("ok", len(block))
        raise ValueError(f"unknown job {op!r}")


def _worker_main(fd: int) -> None:
    """Entry point of a worker process (``python -c … _worker_main(fd)``): the parent sends
    ``(model_bytes, address_space_limit)`` over the socket ``fd``, then jobs."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    conn = Connection(fd)
    model_bytes, address_space_limit = conn.recv()
    if address_space_limit:
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_AS)  # never above an inherited cap
        if hard != resource.RLIM_INFINITY:
            address_space_limit = min(address_space_limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (address_space_limit, address_space_limit))
    scorer = _Scorer(pickle.loads(model_bytes))
    conn.send(("ready", os.getpid()))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            answer = scorer.handle(job)
        except _Reject as rej:
            answer = ("reject", rej.code, rej.message)
        except MemoryError:
            answer = ("limit", "memory")
        except Exception as exc:  # noqa: BLE001 — reported as a server fault
            answer = ("error", f"{type(exc).__name__}: {exc}")
        try:
            conn.send(answer)
        except (OSError, ValueError):
            return


# ---- server side ---------------------------------------------------------------------------
class _Job:
    __slots__ = ("payload", "alive", "done", "answer", "queued_at", "lane")

    def __init__(self, payload, alive) -> None:
        self.payload, self.alive = payload, alive
        self.done = threading.Event()
        self.answer = None
        self.lane = None
        self.queued_at = time.monotonic()

    def finish(self, answer) -> None:
        if not self.done.is_set():
            self.answer = answer
            self.done.set()


class _Worker:
    def __init__(self, pool: "WorkerPool") -> None:
        self.pool = pool
        self.proc = None
        self.conn = None
        self.idle_rss = 0
        self.ready = False

    def start(self) -> None:
        # A plain subprocess over a socketpair (not multiprocessing's spawn, which leaves a
        # resource-tracker process behind); its environment (PYTHONPATH) is inherited.
        parent_sock, child_sock = socket.socketpair()
        code = ("from pets_helpers.he.workers import _worker_main; "
                f"_worker_main({child_sock.fileno()})")
        self.proc = subprocess.Popen([sys.executable, "-c", code], pass_fds=[child_sock.fileno()],
                                     stdin=subprocess.DEVNULL)
        child_sock.close()
        self.conn = Connection(parent_sock.detach())
        self.conn.send((self.pool._model_bytes, self.pool.address_space_limit))
        if not self.conn.poll(self.pool.start_timeout):
            self.kill()
            raise RuntimeError("a scoring worker did not start in time.")
        self.conn.recv()
        self.idle_rss = rss_bytes(self.proc.pid)
        self.ready = True

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        proc, conn = self.proc, self.conn
        self.proc = self.conn = None
        self.ready = False
        if proc is not None:
            if proc.poll() is None:
                proc.kill()
            try:
                proc.wait(2.0)
            except subprocess.TimeoutExpired:
                pass
        if conn is not None:
            conn.close()

    def run(self, job: _Job):
        """Send ``job`` and wait, enforcing the time and memory limits."""
        pool = self.pool
        if not self.alive():
            self.kill()
            self.start()
        deadline = time.monotonic() + pool.time_limit
        memory_cap = self.idle_rss + pool.memory_limit_mb * 2 ** 20
        proc, conn = self.proc, self.conn  # kill() from shutdown may reset the attributes
        try:
            conn.send(job.payload)
            while not conn.poll(_POLL):
                if pool._killing:
                    self.kill()
                    return ("unavailable", "the server is shutting down")
                if time.monotonic() > deadline:
                    self.kill()
                    return ("limit", "time")
                if rss_bytes(proc.pid) > memory_cap:
                    self.kill()
                    return ("limit", "memory")
            answer = conn.recv()
        except (EOFError, OSError, ValueError):
            self.kill()
            return ("unavailable", "the server is shutting down") if pool._killing \
                else ("limit", "memory")  # killed by RLIMIT_AS or the OOM killer
        # a worker that grew while serving (many cached contexts) is replaced when idle
        if rss_bytes(proc.pid) > memory_cap:
            self.kill()
        return answer


class WorkerPool:
    """``n_workers`` scoring processes behind a fair, bounded queue (see the module doc).

    ``model``: the ScoringModel every worker holds. ``capacity``: queued jobs allowed (set it
    from :meth:`calibrate`). ``time_limit`` (s) and ``memory_limit_mb``: per job."""

    def __init__(self, model, n_workers: int = 2, capacity: int = 16, time_limit: float = 30.0,
                 memory_limit_mb: int = 512, address_space_limit_mb: int = 4096,
                 start_timeout: float = 60.0) -> None:
        if n_workers < 1:
            raise ValueError(f"n_workers must be ≥ 1, got {n_workers}.")
        self.n_workers = int(n_workers)
        self.capacity = int(capacity)
        self.time_limit = float(time_limit)
        self.memory_limit_mb = int(memory_limit_mb)
        self.address_space_limit = int(address_space_limit_mb) * 2 ** 20
        self.start_timeout = float(start_timeout)
        self._model_bytes = pickle.dumps(model)
        self._cv = threading.Condition()
        self._lanes: collections.OrderedDict = collections.OrderedDict()
        self._queued = 0
        self._in_flight = 0
        self._running: collections.Counter = collections.Counter()  # lane -> jobs running
        #: Jobs one lane may run at once: half the workers (rounded up).
        self.lane_share = max(1, (self.n_workers + 1) // 2)
        self._closing = False
        self._killing = False
        self.completed = 0
        self._workers = [_Worker(self) for _ in range(self.n_workers)]
        # Each worker is started by its manager thread, which lives as long as the pool:
        # PR_SET_PDEATHSIG fires when the *thread* that forked the child ends.
        self._started = threading.Barrier(self.n_workers + 1)
        self._threads = [threading.Thread(target=self._serve, args=(w,), daemon=True,
                                          name=f"scoring-worker-{i}")
                         for i, w in enumerate(self._workers)]
        for t in self._threads:
            t.start()
        self._started.wait()
        if any(w.proc is None for w in self._workers):
            self.shutdown(0.0)
            raise RuntimeError("scoring workers failed to start.")

    # ---- queue --------------------------------------------------------------------------
    def stats(self) -> dict:
        with self._cv:
            return {"queue_depth": self._queued, "in_flight": self._in_flight,
                    "capacity": self.capacity, "workers": self.n_workers,
                    "lanes": len(self._lanes), "completed": self.completed}

    def submit(self, lane: str, payload, alive=None, timeout: float | None = None):
        """Queue ``payload`` in ``lane`` and wait for its answer tuple. Raises QueueFull,
        ShuttingDown. ``alive()`` → False drops the job if its caller went away meanwhile."""
        job = _Job(payload, alive)
        with self._cv:
            if self._closing:
                raise ShuttingDown()
            if self._queued >= self.capacity:
                raise QueueFull(self._queued, self.capacity)
            self._lanes.setdefault(lane, collections.deque()).append(job)
            self._queued += 1
            self._cv.notify()
        if not job.done.wait(timeout):
            return ("limit", "time")
        return job.answer

    def _next(self):
        """The next job: round robin over the lanes, skipping a lane that already runs
        ``lane_share`` jobs (so one client never holds every worker)."""
        with self._cv:
            while True:
                if self._closing:
                    return None
                lane = next((name for name in self._lanes
                             if self._running[name] < self.lane_share), None)
                if lane is None:
                    self._cv.wait()
                    continue
                jobs = self._lanes[lane]
                job = jobs.popleft()
                self._queued -= 1
                if jobs:
                    self._lanes.move_to_end(lane)
                else:
                    del self._lanes[lane]
                if job.alive is not None and not job.alive():
                    job.finish(("unavailable", "the caller went away"))
                    continue
                self._in_flight += 1
                self._running[lane] += 1
                job.lane = lane
                return job

    def _serve(self, worker: _Worker) -> None:
        try:
            worker.start()
        except Exception:  # noqa: BLE001 — reported by __init__
            worker.kill()
        self._started.wait()
        while True:
            job = self._next()
            if job is None:
                return
            try:
                answer = worker.run(job)
            except Exception as exc:  # noqa: BLE001 — e.g. a replacement failed to start
                answer = ("error", f"worker failure: {type(exc).__name__}: {exc}")
            job.finish(answer)
            with self._cv:
                self._in_flight -= 1
                self._running[job.lane] -= 1
                if not self._running[job.lane]:
                    del self._running[job.lane]
                self.completed += 1
                self._cv.notify_all()
            if not worker.alive() and not self._closing:
                try:  # replace a killed worker now, not when the next job arrives
                    worker.start()
                except Exception:  # noqa: BLE001 — retried by run() on the next job
                    worker.kill()

    def calibrate(self, payload, repeats: int = 3) -> float:
        """Median seconds of ``payload`` with every worker running one at once, after one
        untimed warm-up round (which also loads the payload's context in every worker)."""
        times = []
        for _ in range(1 + max(1, repeats)):
            start = time.perf_counter()
            results = [None] * self.n_workers

            def one(i, results=results):
                results[i] = self.submit(f"calibrate-{i}", payload)

            threads = [threading.Thread(target=one, args=(i,)) for i in range(self.n_workers)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            bad = [r for r in results if r is None or r[0] != "ok"]
            if bad:
                raise RuntimeError(f"calibration job failed: {bad[0]}")
            times.append(time.perf_counter() - start)
        for w in self._workers:  # the idle level now includes TenSEAL's warm state
            if w.proc is not None:
                w.idle_rss = max(w.idle_rss, rss_bytes(w.proc.pid))
        times = sorted(times[1:])
        return times[len(times) // 2]

    def ready_workers(self) -> int:
        """Workers started and answering (a replaced one is not, while it starts)."""
        return sum(w.ready for w in self._workers)

    def pids(self) -> list:
        return [w.proc.pid for w in self._workers if w.proc is not None]

    # ---- shutdown -----------------------------------------------------------------------
    def shutdown(self, grace: float = 0.8) -> None:
        """Stop accepting, answer queued jobs UNAVAILABLE, drain running ones for ``grace``
        seconds, then kill the workers."""
        deadline = time.monotonic() + grace
        with self._cv:
            self._closing = True
            for jobs in self._lanes.values():
                for job in jobs:
                    job.finish(("unavailable", "the server is shutting down"))
            self._lanes.clear()
            self._queued = 0
            self._cv.notify_all()
            while self._in_flight and time.monotonic() < deadline:
                self._cv.wait(max(0.0, deadline - time.monotonic()))
        self._killing = True
        self._kill_all()
        for t in self._threads:
            t.join(0.2)

    def _kill_all(self) -> None:
        for w in self._workers:
            try:
                w.kill()
            except Exception:  # noqa: BLE001 — best effort while stopping
                pass


__all__ = ["QueueFull", "ShuttingDown", "WorkerPool", "rss_bytes"]
