"""Lesson 08 gRPC service: round trip, secret-key refusal and a fuzz test against a server
running in a subprocess (so a crash would show as a dead process, not a dead test runner)."""

from pathlib import Path

import grpc
import numpy as np
import pytest
import tenseal as ts

from pets_helpers.datasets import credit_applicants
from pets_helpers.he.ckks import make_context
from pets_helpers.he.params import COURSE_PARAMS
from pets_helpers.he.scoring import compare_with_cleartext, encrypt_batch
from pets_helpers.he.service import (
    MAX_MESSAGE_BYTES,
    ScoringClient,
    ServerProcess,
    binding_tag,
    default_model,
    fingerprint,
    load_protos,
)

SCORING = COURSE_PARAMS["scoring"]
TIMEOUT = 30.0


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


@pytest.fixture(scope="module")
def server():
    with ServerProcess(timeout=90) as proc:
        yield proc
        assert proc.alive()
    assert proc.proc.returncode == 0  # clean SIGTERM shutdown


@pytest.fixture(scope="module")
def context():
    return make_context(SCORING)


@pytest.fixture(scope="module")
def client(server, context):
    with ScoringClient(server.address, context, timeout=TIMEOUT) as c:
        yield c


def test_proto_loads_at_run_time():
    messages, services = load_protos()
    assert hasattr(services, "ScoringStub") and hasattr(messages, "ScoreRequest")
    assert MAX_MESSAGE_BYTES >= 16 * 1024 * 1024  # a 4096-applicant batch is ~2.4 MB + context


def test_round_trip_matches_cleartext(client):
    model = default_model()
    test = credit_applicants(300, seed=21)
    scores = client.score(model.features(test))
    report = compare_with_cleartext(scores, test, model)
    assert report["agreement"] == 1.0 and report["max_abs_error_ckks"] < 1e-4
    assert client.feature_names == model.feature_names
    assert client.poly_threshold == pytest.approx(model.poly_threshold)
    assert client.last_request_bytes > 4 * 1024 * 1024 / 4  # real payloads went over the wire


def test_secret_key_context_is_refused(server, client, context):
    request = client.messages.RegisterContextRequest(
        public_context=context.serialize(save_secret_key=True))
    with pytest.raises(grpc.RpcError) as err:
        client.stub.RegisterContext(request, timeout=TIMEOUT)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "SECRET KEY" in err.value.details()


def test_bad_contexts_are_refused(client):
    rng = np.random.default_rng(0)
    small = make_context(COURSE_PARAMS["lesson07_small"])
    small.make_context_public()
    for blob in [b"", rng.bytes(1000), small.serialize()]:
        with pytest.raises(grpc.RpcError) as err:
            client.stub.RegisterContext(
                client.messages.RegisterContextRequest(public_context=blob), timeout=TIMEOUT)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def _expect(client, request, *codes):
    """Send ``request``; return the status code, asserting it is one of ``codes``."""
    try:
        client.stub.Score(request, timeout=TIMEOUT)
        code = grpc.StatusCode.OK
    except grpc.RpcError as err:
        code = err.code()
        assert err.details(), "a typed error comes with a message"
    assert code in codes, code
    return code


def test_fuzz_truncated_random_bitflipped_and_foreign(server, client, context):
    rng = np.random.default_rng(2024)
    n = 50
    x = default_model().features(credit_applicants(n, seed=5))
    good = [c.serialize() for c in encrypt_batch(context, x)]
    assert _expect(client, client.request_for(good, n), grpc.StatusCode.OK)
    rss_before = rss_kib(server.pid)
    INVALID = grpc.StatusCode.INVALID_ARGUMENT
    FAILED = grpc.StatusCode.FAILED_PRECONDITION

    def with_column(j, blob, forge_tag=True):
        cts = list(good)
        cts[j] = blob
        req = client.request_for(cts, n)
        if not forge_tag:  # keep the honest tag of the original bytes
            req.binding_tags[j] = binding_tag(client.fingerprint, j, good[j])
        return req

    codes = []
    # truncated: honest tags catch it; forged tags reach the deserializer
    for cut in [0, 1, 16, 100, 5_000, len(good[0]) // 2, len(good[0]) - 1]:
        codes.append(_expect(client, with_column(0, good[0][:cut], forge_tag=False), FAILED))
        codes.append(_expect(client, with_column(0, good[0][:cut]), INVALID))
    # random bytes of various sizes, tagged as if they were genuine
    for size in [1, 64, 10_000, len(good[1]), 600_000, 2_000_000]:
        codes.append(_expect(client, with_column(1, rng.bytes(size)), INVALID))
    # a valid protobuf prefix followed by random bytes
    codes.append(_expect(client, with_column(2, good[2][:64] + rng.bytes(len(good[2]) - 64)),
                         INVALID))
    # bit flips: headers (first 64 bytes) and the body; a flip in coefficient data may still
    # load (garbage for the client only), but nothing may crash or come back untyped
    for _ in range(24):
        blob = bytearray(good[3])
        pos = int(rng.integers(0, 64)) if rng.random() < 0.5 else int(rng.integers(0, len(blob)))
        blob[pos] ^= 1 << int(rng.integers(0, 8))
        codes.append(_expect(client, with_column(3, bytes(blob)), INVALID, grpc.StatusCode.OK))
        codes.append(_expect(client, with_column(3, bytes(blob), forge_tag=False), FAILED))
    # foreign context, same parameters, honestly tagged with *its* fingerprint → refused
    foreign = make_context(SCORING)
    foreign_pub = foreign.copy()
    foreign_pub.make_context_public()
    foreign_fp = fingerprint(foreign_pub.serialize(save_galois_keys=False))
    foreign_cts = [c.serialize() for c in encrypt_batch(foreign, x)]
    req = client.request_for(foreign_cts, n)
    del req.binding_tags[:]
    req.binding_tags.extend(binding_tag(foreign_fp, i, c) for i, c in enumerate(foreign_cts))
    codes.append(_expect(client, req, FAILED))
    # ... and the client library refuses to send them at all
    with pytest.raises(ValueError, match="another context"):
        client.score_encrypted(encrypt_batch(foreign, x), n)
    # foreign parameters (N=4096) tagged as ours: structurally wrong → refused
    small = make_context(COURSE_PARAMS["lesson07_small"])
    small_ct = ts.ckks_vector(small, x[:, 0].tolist()).serialize()
    codes.append(_expect(client, with_column(0, small_ct), INVALID))
    # a ciphertext of ours with the wrong slot count / an already-multiplied one
    codes.append(_expect(client, client.request_for(good, n + 1), INVALID))
    deeper = (encrypt_batch(context, x)[0] * 1.0).serialize()
    codes.append(_expect(client, with_column(0, deeper), INVALID))
    # request-level errors
    req = client.request_for(good, n)
    req.fingerprint = "00" * 32
    codes.append(_expect(client, req, FAILED))
    req = client.request_for(good, n)
    req.context_id = "nope"
    codes.append(_expect(client, req, grpc.StatusCode.NOT_FOUND))
    codes.append(_expect(client, client.request_for(good[:5], n), INVALID))
    codes.append(_expect(client, client.request_for(good, 0), INVALID))

    assert server.alive(), "the server crashed"
    assert codes.count(INVALID) >= 15 and codes.count(FAILED) >= 30
    # still serving correctly after the fuzzing, and memory bounded
    assert _expect(client, client.request_for(good, n), grpc.StatusCode.OK)
    growth_mib = (rss_kib(server.pid) - rss_before) / 1024
    assert growth_mib < 150, f"server RSS grew by {growth_mib:.0f} MiB"


def test_forged_tags_on_a_foreign_ciphertext_only_hurt_the_sender(client, context):
    """The documented limit of unkeyed binding: a client that tags a foreign-context ciphertext
    with our fingerprint gets an answer — which decrypts to garbage under its key."""
    n = 20
    model = default_model()
    test = credit_applicants(n, seed=6)
    foreign = make_context(SCORING)
    cts = [c.serialize() for c in encrypt_batch(foreign, model.features(test))]
    reply = client.stub.Score(client.request_for(cts, n), timeout=TIMEOUT)
    garbage = np.asarray(ts.ckks_vector_from(context, reply.score_ciphertext).decrypt())[:n]
    assert np.max(np.abs(garbage - model.polynomial_scores(test))) > 1.0
