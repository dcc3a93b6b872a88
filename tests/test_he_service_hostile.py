"""Lesson 08 service under hostile and busy clients (issue 14): every case the issue lists,
reproduced against a server in a subprocess (localhost, bounded loops), plus unit tests of the
wire inspection, the registry's eviction rules and the worker pool's limits.

Resource goals are judged by what the server spends (its CPU time and resident memory from
/proc), not by wall-clock latency, except SIGTERM's 1 s, which is the requirement itself."""

import collections
import math
import os
import signal
import struct
import threading
import time
from pathlib import Path

import grpc
import numpy as np
import pytest
import tenseal as ts

from pets_helpers.datasets import credit_applicants
from pets_helpers.he.ckks import make_context
from pets_helpers.he.params import COURSE_PARAMS
from pets_helpers.he.scoring import compare_with_cleartext, encrypt_batch, symmetric_context
from pets_helpers.he.service import (
    ScoringClient,
    ServerProcess,
    _Registry,
    default_model,
    health,
)
from pets_helpers.he.wire import Expected, WireError, inspect_ciphertext, inspect_context, \
    tenseal_protos
from pets_helpers.he.workers import WorkerPool, rss_bytes

SCORING = COURSE_PARAMS["scoring"]
TIMEOUT = 60.0
INVALID = grpc.StatusCode.INVALID_ARGUMENT
MAX_CONTEXTS = 12  # the test server's global table: small, so that eviction is cheap to provoke


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.fixture(scope="module")
def server():
    # a small global context table so that eviction is cheap to provoke
    with ServerProcess(timeout=180, extra_args=["--max-contexts", str(MAX_CONTEXTS)]) as proc:
        yield proc
        assert proc.alive(), proc.log()


@pytest.fixture(scope="module")
def context():
    return make_context(SCORING)


@pytest.fixture(scope="module")
def client(server, context):
    with ScoringClient(server.address, context, timeout=TIMEOUT) as c:
        yield c


@pytest.fixture(scope="module")
def batch(context):
    n = 40
    x = default_model().features(credit_applicants(n, seed=7))
    return n, x, [c.serialize() for c in encrypt_batch(context, x)]


def public_bytes(ctx, **kwargs) -> bytes:
    pub = ctx.copy()
    pub.make_context_public()
    return pub.serialize(**{"save_galois_keys": False, **kwargs})


def register_raw(client, blob):
    return client.stub.RegisterContext(
        client.messages.RegisterContextRequest(public_context=blob), timeout=TIMEOUT)


def refused(call, code=INVALID) -> str:
    with pytest.raises(grpc.RpcError) as err:
        call()
    assert err.value.code() == code, (err.value.code(), err.value.details())
    return err.value.details()


# ---- registration: inspected before SEAL ---------------------------------------------------
def edited_context(ctx, edit, **kwargs) -> bytes:
    context_proto, _ = tenseal_protos()
    msg = context_proto.FromString(public_bytes(ctx, **kwargs))
    edit(msg)
    return msg.SerializeToString()


def _set_flags(msg):
    msg.public_context.auto_flags = 0


def _private_flags_only(msg):  # no secret key, only "generate keys for me" flags
    msg.private_context.galois_keys_generated = True
    msg.private_context.relin_keys_generated = True


def _symmetric(msg):
    msg.encryption_type = 1


@pytest.mark.parametrize("label, make, phrase", [
    ("no public key", lambda c: public_bytes(c, save_public_key=False), "no public key"),
    ("no relin keys", lambda c: public_bytes(c, save_relin_keys=False),
     "no relinearization keys"),
    ("auto_flags=0", lambda c: edited_context(c, _set_flags), "auto_flags"),
    ("private flags", lambda c: edited_context(c, _private_flags_only), "private part"),
    ("symmetric type", lambda c: edited_context(c, _symmetric), "encryption_type"),
    ("scale NaN", lambda c: edited_context(
        c, lambda m: setattr(m.public_context, "scale", math.nan)), "global scale"),
    ("scale 2**37", lambda c: edited_context(
        c, lambda m: setattr(m.public_context, "scale", 2.0 ** 37)), "global scale"),
    ("unknown field", lambda c: public_bytes(c) + b"\xa8\x06\x01", "fields"),
])
def test_client_mistakes_in_the_context_are_invalid_argument(client, context, label, make,
                                                             phrase):
    details = refused(lambda: register_raw(client, make(context)))
    assert phrase.lower() in details.lower(), details


def test_galois_keys_and_other_parameters_are_refused_with_what_to_send(client):
    galois = make_context(SCORING, galois_keys=True)
    details = refused(lambda: register_raw(client, public_bytes(galois, save_galois_keys=True)))
    assert "save_galois_keys=False" in details
    small = make_context(COURSE_PARAMS["lesson07_small"])
    details = refused(lambda: register_raw(client, public_bytes(small)))
    assert "make_context(COURSE_PARAMS['scoring'])" in details


def test_secret_key_at_n16384_refused_cheaply(server, client):
    """The issue's 2.86 MB request (N = 16384, secret key, key-generation flags) cost ~2 s and
    ~1 GB before it was refused. Now: < 100 ms of server CPU and < 50 MB of memory."""
    big = ts.context(ts.SCHEME_TYPE.CKKS, 16384, coeff_mod_bit_sizes=[60, 40, 40, 40, 40, 40, 40, 60])
    big.global_scale = 2.0 ** 40
    context_proto, _ = tenseal_protos()
    msg = context_proto.FromString(big.serialize(save_secret_key=True))
    msg.private_context.galois_keys_generated = True
    msg.private_context.relin_keys_generated = True
    blob = msg.SerializeToString()
    assert len(blob) > 2_500_000  # the request was 2.86 MB
    register_raw(client, public_bytes(client.context))  # warm the path first
    rss0, cpu0 = rss_bytes(server.pid), cpu_seconds(server.pid)
    repeats = 3
    for _ in range(repeats):
        assert "SECRET KEY" in refused(lambda: register_raw(client, blob))
    cpu_ms = (cpu_seconds(server.pid) - cpu0) / repeats * 1e3
    growth_mb = (rss_bytes(server.pid) - rss0) / 2 ** 20
    assert cpu_ms < 100, f"{cpu_ms:.0f} ms of server CPU per refusal"
    assert growth_mb < 50, f"server RSS grew {growth_mb:.0f} MB"
    assert server.alive()


# ---- ciphertext headers --------------------------------------------------------------------
def edited_ciphertext(blob, edit) -> bytes:
    _, vector_proto = tenseal_protos()
    msg = vector_proto.FromString(blob)
    edit(msg)
    return msg.SerializeToString()


def _sizes(values):
    def edit(msg):
        del msg.sizes[:]
        msg.sizes.extend(values)
    return edit


def _scale(value):
    def edit(msg):
        msg.scale = value
    return edit


@pytest.mark.parametrize("label, edit, phrase", [
    *[(f"scale {v}", _scale(v), "scale") for v in (math.nan, 0.0, -1.0, 1e300, 2.0 ** 37,
                                                    math.inf)],
    ("sizes wrap", _sizes([2 ** 32 - 1, 11]), "chunk sizes"),
    ("sizes long", _sizes([10, 30]), "chunk sizes"),
    ("two ciphertexts", lambda m: m.ciphertexts.append(m.ciphertexts[0]), "bytes"),
])
def test_tampered_ciphertext_headers_are_invalid_argument(client, batch, label, edit, phrase):
    n, _, good = batch
    cts = list(good)
    cts[2] = edited_ciphertext(good[2], edit)
    details = refused(lambda: client.stub.Score(client.request_for(cts, n), timeout=TIMEOUT))
    assert phrase in details and "ciphertext 2" in details, details
    # still scoring
    client.stub.Score(client.request_for(good, n), timeout=TIMEOUT)


# ---- eviction, identity, re-registration ---------------------------------------------------
def test_a_registration_flood_does_not_evict_a_client_in_use(server, client, batch):
    """Four registrations by anyone used to make a victim's next score NOT_FOUND."""
    n, x, _ = batch
    before = client.re_registrations
    client.score(x)
    flood = make_context(SCORING)
    blob = public_bytes(flood)
    for _ in range(MAX_CONTEXTS + 4):  # more than the server's table, without a token
        register_raw(client, blob)
    scores = client.score(x)
    assert client.re_registrations == before, "the victim's context was evicted"
    assert np.max(np.abs(scores - default_model().polynomial_scores(x))) < 1e-3


def test_evicted_client_re_registers_and_says_so(server, context, batch, caplog):
    """A token holder over its quota of 2 loses its oldest context; the ScoringClient holding
    it re-registers by itself and logs it."""
    n, x, _ = batch
    first = ScoringClient(server.address, context, timeout=TIMEOUT)
    try:
        token = first.client_token
        for _ in range(2):  # two more contexts under the same token push the first one out
            other = public_bytes(make_context(SCORING))
            first.stub.RegisterContext(first.messages.RegisterContextRequest(
                public_context=other, client_token=token), timeout=TIMEOUT)
        with caplog.at_level("WARNING", logger="pets_helpers.he.service"):
            scores = first.score(x)
        assert first.re_registrations == 1
        assert "re-registered" in caplog.text
        assert np.max(np.abs(scores - default_model().polynomial_scores(x))) < 1e-3
    finally:
        first.close()


def test_a_context_id_is_bound_to_its_owner(client, batch):
    n, _, good = batch
    request = client.request_for(good, n)
    request.client_token = "someone-else"
    assert "RegisterContext again" in refused(
        lambda: client.stub.Score(request, timeout=TIMEOUT), grpc.StatusCode.NOT_FOUND)


def test_health_reports_queue_depth(server):
    report = health(server.address)
    assert report["status"] == "SERVING"
    assert report["workers"] >= 1 and report["capacity"] >= 2 * report["workers"]
    assert 0 <= report["queue-depth"] <= report["capacity"]


def test_eight_honest_clients_beside_a_hostile_one_all_succeed(server, context):
    """8 honest ScoringClients at once (4 never succeeded before) while a hostile client
    registers in a loop, with and without a token, and sends junk."""
    model = default_model()
    honest = [ScoringClient(server.address, make_context(SCORING), timeout=120)
              for _ in range(8)]
    stop = threading.Event()
    hostile_codes = []

    def hostile():
        ctx = make_context(SCORING)
        blob = public_bytes(ctx)
        with ScoringClient(server.address, ctx, timeout=30) as h:
            rng = np.random.default_rng(1)
            while not stop.is_set():
                for token in ("", h.client_token):
                    for payload in (blob, rng.bytes(5000)):
                        try:
                            h.stub.RegisterContext(h.messages.RegisterContextRequest(
                                public_context=payload, client_token=token), timeout=30)
                            hostile_codes.append(grpc.StatusCode.OK)
                        except grpc.RpcError as err:
                            hostile_codes.append(err.code())

    errors, results = [], {}

    def work(i, c):
        try:
            test = credit_applicants(60, seed=100 + i)
            for _ in range(2):
                scores = c.score(model.features(test))
            results[i] = compare_with_cleartext(scores, test, model)
        except Exception as exc:  # noqa: BLE001 — collected and reported below
            errors.append(repr(exc))

    attacker = threading.Thread(target=hostile)
    attacker.start()
    threads = [threading.Thread(target=work, args=(i, c)) for i, c in enumerate(honest)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(600)
    finally:
        stop.set()
        attacker.join(120)
        for c in honest:
            c.close()
    assert not errors, errors
    assert len(results) == 8 and all(r["agreement"] == 1.0 for r in results.values())
    assert hostile_codes and set(hostile_codes) <= {
        grpc.StatusCode.OK, INVALID, grpc.StatusCode.RESOURCE_EXHAUSTED}
    assert server.alive()


def test_busy_means_wait_not_refuse(client, batch):
    """8 threads × 5 raw Score calls at once, *without* client retries: the old server
    (maximum_concurrent_rpcs=4) refused most with RESOURCE_EXHAUSTED; now they queue."""
    n, _, good = batch
    request = client.request_for(good, n)
    codes, lock = [], threading.Lock()

    def burst():
        for _ in range(5):
            try:
                client.stub.Score(request, timeout=120)
                code = grpc.StatusCode.OK
            except grpc.RpcError as err:
                code = err.code()
            with lock:
                codes.append(code)

    threads = [threading.Thread(target=burst) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert codes.count(grpc.StatusCode.OK) == 40, collections.Counter(codes)


class _Busy(grpc.RpcError):
    def __init__(self, code):
        super().__init__()
        self._code = code

    def code(self):
        return self._code


def test_client_retries_busy_answers_with_backoff(client):
    calls = []

    def rpc(request, timeout):
        calls.append(time.monotonic())
        if len(calls) < 3:
            raise _Busy(grpc.StatusCode.RESOURCE_EXHAUSTED if len(calls) == 1
                        else grpc.StatusCode.UNAVAILABLE)
        return "answer"

    before = client.retries
    assert client._call(rpc, lambda: None) == "answer"
    assert client.retries - before == 2 and len(calls) == 3
    calls.clear()

    def invalid(request, timeout):
        calls.append(1)
        raise _Busy(grpc.StatusCode.INVALID_ARGUMENT)

    with pytest.raises(grpc.RpcError):
        client._call(invalid, lambda: None)
    assert calls == [1]  # client errors are not retried


def test_symmetric_encryption_is_what_the_client_sends(client, context, batch):
    """ScoringClient encrypts with the secret key (symmetric): same size, decrypts with the
    original context, scored correctly by the server."""
    n, x, good = batch
    twin = client.encryption_context
    assert twin is not context and twin.is_private()
    cols = encrypt_batch(twin, x)
    assert abs(len(cols[0].serialize()) - len(good[0])) < 0.01 * len(good[0])
    out = client.score_encrypted(cols, n).decrypt()[:n]
    assert np.max(np.abs(np.asarray(out) - default_model().polynomial_scores(x))) < 1e-3
    with pytest.raises(ValueError, match="secret key"):
        pub = context.copy()
        pub.make_context_public()
        symmetric_context(pub)


# ---- shutdown ---------------------------------------------------------------------------------
def test_sigterm_during_heavy_requests_stops_within_a_second():
    model = default_model()
    proc = ServerProcess(timeout=180, extra_args=["--workers", "2"]).start()
    try:
        # two clients (one owner never runs on more than half the workers), two requests each
        clients = [ScoringClient(proc.address, make_context(SCORING), timeout=60,
                                 max_attempts=1) for _ in range(2)]
        x = model.features(credit_applicants(4096, seed=3))  # the largest batch there is
        columns = [encrypt_batch(c.encryption_context, x) for c in clients]
        workers = proc.children()
        assert len(workers) == 2
        codes = []

        def heavy(i):
            try:
                clients[i].score_encrypted(columns[i], len(x))
                codes.append(grpc.StatusCode.OK)
            except grpc.RpcError as err:
                codes.append(err.code())

        threads = [threading.Thread(target=heavy, args=(i % 2,)) for i in range(4)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while health(proc.address)["in-flight"] < 2 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert health(proc.address)["in-flight"] == 2, "no heavy request was running"
        start = time.monotonic()
        proc.proc.send_signal(signal.SIGTERM)
        proc.proc.wait(10)
        elapsed = time.monotonic() - start
        for t in threads:
            t.join(30)
        for c in clients:
            c.close()
        assert proc.proc.returncode == 0, proc.log()
        assert elapsed < 1.0, f"stopped in {elapsed:.2f} s"
        assert not [p for p in workers if Path(f"/proc/{p}").exists()], "a worker survived"
        assert len(codes) == 4 and set(codes) <= {grpc.StatusCode.OK, grpc.StatusCode.UNAVAILABLE,
                                                  grpc.StatusCode.CANCELLED}
    finally:
        proc.stop()


# ---- units: wire inspection, registry, worker pool -------------------------------------------
@pytest.fixture(scope="module")
def expected():
    return Expected.for_params(SCORING, make_context(SCORING))


def test_wire_accepts_honest_bytes_and_returns_canonical_ones(expected, context):
    blob = public_bytes(context)
    assert inspect_context(blob, expected) == blob
    ct = ts.ckks_vector(context, [1.0, 2.0]).serialize()
    assert inspect_ciphertext(ct, expected, 2, "c") == ct
    sym = ts.ckks_vector(symmetric_context(context), [1.0, 2.0]).serialize()
    assert inspect_ciphertext(sym, expected, 2, "c")
    with pytest.raises(WireError, match=r"\[3\]"):
        inspect_ciphertext(ct, expected, 3, "c")


def _varint(n: int) -> bytes:
    out = b""
    while True:
        low, n = n & 0x7F, n >> 7
        out += bytes([low | (0x80 if n else 0)])
        if not n:
            return out


def test_wire_checks_the_seal_header(expected, context):
    context_proto, _ = tenseal_protos()
    msg = context_proto.FromString(public_bytes(context))
    key = bytearray(msg.public_context.public_key)
    for offset, value, phrase in [(0, 0x1234, "SEAL header"), (14, 7, "declares")]:
        bad = bytearray(key)
        struct.pack_into("<H", bad, offset, value)
        edited = context_proto.FromString(public_bytes(context))
        edited.public_context.public_key = bytes(bad)
        with pytest.raises(WireError, match=phrase):
            inspect_context(edited.SerializeToString(), expected)
    # an unknown field (9; TenSEAL defines 1-5) inside the public part
    msg = context_proto.FromString(public_bytes(context))
    inner = msg.public_context.SerializeToString() + b"\x48\x01"
    msg.ClearField("public_context")
    raw = msg.SerializeToString() + b"\x12" + _varint(len(inner)) + inner
    with pytest.raises(WireError, match="fields TenSEAL does not define"):
        inspect_context(raw, expected)
    with pytest.raises(WireError, match="empty"):
        inspect_context(b"", expected)
    with pytest.raises(WireError, match="not a serialized TenSEAL context"):
        inspect_context(b"\xff" * 100, expected)


def test_registry_quota_capacity_and_in_use():
    reg = _Registry(per_client=2, max_contexts=3, idle_seconds=60)
    a = reg.add("", "a1", "fa", b"")  # a new client gets a token
    assert a and reg.known(a)
    reg.add(a, "a2", "fa2", b"")
    held = reg.acquire("a1", a)  # a1 in use
    reg.add(a, "a3", "fa3", b"")  # over quota: a2 (idle) goes, never a1 (in use)
    assert reg.acquire("a1", "") and reg.acquire("a3", a)
    with pytest.raises(Exception, match="RegisterContext again"):
        reg.acquire("a2", a)
    b = reg.add("", "b1", "fb", b"")
    reg.release(held, True)
    reg.release(held, True)
    reg.release(reg._contexts["a3"], False)
    flood = [reg.add("", f"x{i}", "fx", b"") for i in range(5)]
    assert len(reg) == 3 and "a1" in reg._contexts  # the used context outlives the flood
    assert b not in [r.owner for r in reg._contexts.values()]
    assert len(set(flood)) == 5
    with pytest.raises(Exception, match="this client"):
        reg.acquire("a1", b)  # another client's token


def test_registry_idle_expiry():
    reg = _Registry(per_client=2, max_contexts=8, idle_seconds=0.05)
    tok = reg.add("", "c", "f", b"")
    time.sleep(0.1)
    with pytest.raises(Exception, match="evicted"):
        reg.acquire("c", tok)
    assert reg.evictions["idle"] == 1


@pytest.fixture(scope="module")
def pool():
    p = WorkerPool(default_model(), n_workers=2, capacity=3, time_limit=1.0, memory_limit_mb=100)
    yield p
    p.shutdown(0.1)


def test_pool_limits_kill_only_the_offending_worker(pool):
    results = {}

    def run(name, payload):
        results[name] = pool.submit(name, payload)

    slow = threading.Thread(target=run, args=("slow", ("sleep", 30)))
    slow.start()
    time.sleep(0.2)
    assert pool.submit("quick", ("ping",))[0] == "ok"  # the other worker still answers
    slow.join(20)
    assert results["slow"] == ("limit", "time")
    pool.time_limit = 30.0  # page faults are slow on a loaded machine: let memory decide
    try:
        assert pool.submit("big", ("alloc", 400, 30.0)) == ("limit", "memory")
    finally:
        pool.time_limit = 1.0
    assert pool.submit("small", ("alloc", 20, 0.0))[0] == "ok"
    deadline = time.monotonic() + 60
    while pool.ready_workers() < 2 and time.monotonic() < deadline:  # replaced eagerly
        time.sleep(0.05)
    assert pool.ready_workers() == 2 and len(set(pool.pids())) == 2


def test_pool_queue_is_bounded_and_fair(pool):
    from pets_helpers.he.workers import QueueFull

    order, lock = [], threading.Lock()

    def run(lane, seconds=0.05):
        try:
            pool.submit(lane, ("sleep", seconds))
            with lock:
                order.append(lane)
        except QueueFull:
            with lock:
                order.append("full")

    deadline = time.monotonic() + 60
    while pool.ready_workers() < 2 and time.monotonic() < deadline:  # after the kills above
        time.sleep(0.05)
    # occupy both workers, then queue 2 from a flooding lane and 1 from another
    threads = [threading.Thread(target=run, args=(f"busy{i}", 1.0)) for i in range(2)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    flood = [threading.Thread(target=run, args=("flood",)) for _ in range(2)]
    for t in flood:
        t.start()
    time.sleep(0.05)
    honest = threading.Thread(target=run, args=("honest",))
    honest.start()
    time.sleep(0.05)
    with pytest.raises(QueueFull):
        pool.submit("flood", ("ping",))  # capacity 3 reached
    for t in threads + flood + [honest]:
        t.join(10)
    # the honest job was queued after both flood jobs but ran no later than the second
    finished = [lane for lane in order if not lane.startswith("busy")]
    assert finished.index("honest") <= 1, finished
