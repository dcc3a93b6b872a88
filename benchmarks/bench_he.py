"""Benchmark of Lesson 08's encrypted credit scoring: layouts, encryption, latency, payloads, accuracy.

Work: score n applicants (6 raw features) with the lender's logistic regression and a degree-3
polynomial sigmoid under CKKS (``COURSE_PARAMS["scoring"]``: N = 8192, [50, 36, 36, 36, 60]).
"end to end" = client encryption + server scoring + client decryption, in one process.

1. Layouts, n = 1,000, each with public-key and with symmetric (secret-key) encryption:
   - ours, batched (``encrypt_batch``): one ciphertext per feature, applicants in the slots;
   - TenSEAL's ``enc_matmul_encoding``: the applicants × features matrix packed row by row
     (features padded to 8), ``enc_matmul_plain`` with the weights (rotations: Galois keys),
     512 applicants per ciphertext — the strongest alternative layout;
   - one ciphertext per applicant (``dot`` + ``polyval``, Galois keys): the teaching contrast,
     timed on 20 applicants and scaled linearly to 1,000 (the work is strictly per applicant).
2. Encryption alone (the client's 6 feature ciphertexts): public-key vs symmetric. The client
   holds the secret key, so it may encrypt symmetrically: cheaper, and SEAL can serialize a
   symmetric ciphertext's random half as a seed.
3. Over gRPC on 127.0.0.1 (server in a subprocess, ``ServerProcess``), batched, n = 1 and 1,000:
   ``ScoringClient`` encrypts symmetrically (secret key). Registration of the public context is a one-off,
   reported apart.
4. Payloads and accuracy (CKKS noise, error vs the exact sigmoid, decision agreement) on 1,000
   fresh applicants, for both layouts.

Every contender is timed with the protocol of benchmarks/common.py (1 warm-up, the same
repeats, median and IQR). Goals (2 cores): 1,000 applicants ≤ 0.5 s in-process and ≤ 1 s over
gRPC; batched faster than the matmul layout (≥ 1×) and ≥ 150× faster than per-applicant;
decisions identical to the cleartext model.

Run from the repository root: ``python benchmarks/bench_he.py`` (about a minute; ``--quick``
for a smoke run that writes nothing). Prints a markdown table, writes results/he.md and he.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import tenseal as ts

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import finish, fmt_seconds, machine_info, machine_lines, measure  # noqa: E402

from pets_helpers.datasets import credit_applicants  # noqa: E402
from pets_helpers.he.ckks import make_context  # noqa: E402
from pets_helpers.he.params import COURSE_PARAMS  # noqa: E402
from pets_helpers.he.scoring import (  # noqa: E402
    compare_with_cleartext,
    decrypt_scores,
    encrypt_batch,
    encrypt_single,
    score_encrypted_batch,
    score_encrypted_single,
)
from pets_helpers.he.service import ScoringClient, ServerProcess, default_model  # noqa: E402

ENCRYPTIONS = {"public-key": ts.ENCRYPTION_TYPE.ASYMMETRIC,
               "symmetric": ts.ENCRYPTION_TYPE.SYMMETRIC}


def context(params, encryption: str, galois_keys: bool = False) -> ts.Context:
    """A private CKKS context for ``params`` that encrypts with the given key type."""
    ctx = ts.context(ts.SCHEME_TYPE.CKKS, poly_modulus_degree=params.poly_modulus_degree,
                     coeff_mod_bit_sizes=list(params.coeff_mod_bit_sizes),
                     encryption_type=ENCRYPTIONS[encryption])
    ctx.global_scale = 2.0 ** params.scale_bits
    if galois_keys:
        ctx.generate_galois_keys()
    return ctx


# --------------------------------------------------------------------------- layouts
def batched(ctx, x, model) -> np.ndarray:
    return decrypt_scores(score_encrypted_batch(encrypt_batch(ctx, x), model), len(x))


def matmul_chunk(params, n_features: int) -> int:
    """Applicants per ciphertext in TenSEAL's enc_matmul layout (rows padded to a power of 2)."""
    return params.poly_modulus_degree // 2 // (1 << (n_features - 1).bit_length())


def matmul_layout(gctx, x, model, chunk: int) -> np.ndarray:
    """TenSEAL's ``enc_matmul_encoding`` + ``enc_matmul_plain``: z = X·w per chunk of rows,
    then + b and the same polynomial; client encrypts and decrypts, server does the rest."""
    w, b = model.encrypted_weights()
    coeffs = list(model.polynomial.coefficients)
    out = []
    for start in range(0, len(x), chunk):
        rows = x[start:start + chunk]
        enc = ts.enc_matmul_encoding(gctx, rows)                    # client
        score = (enc.enc_matmul_plain(w.tolist(), len(rows)) + b).polyval(coeffs)  # server
        out.append(decrypt_scores(score, len(rows)))                  # client
    return np.concatenate(out)


def per_applicant(gctx, rows, model) -> list:
    return [decrypt_scores(score_encrypted_single(encrypt_single(gctx, r), model), 1)[0]
            for r in rows]


def run(quick: bool) -> dict:
    reps = 1 if quick else 5
    n_big = 100 if quick else 1_000
    n_single = 3 if quick else 20
    model = default_model()
    test = credit_applicants(n_big, seed=99)
    x = model.features(test)
    params = COURSE_PARAMS["scoring"]
    chunk = matmul_chunk(params, x.shape[1])
    res = {"n_big": n_big, "n_single_timed": n_single, "repeats": reps, "matmul_chunk": chunk,
           "timings": {}, "accuracy": {}, "bytes": {}}
    t = res["timings"]
    for enc in ENCRYPTIONS:
        ctx, gctx = context(params, enc), context(params, enc, galois_keys=True)
        t[f"batched_{enc}_1"] = measure(lambda c=ctx: batched(c, x[:1], model), reps)
        t[f"batched_{enc}_n"] = measure(lambda c=ctx: batched(c, x, model), reps)
        t[f"matmul_{enc}_n"] = measure(lambda g=gctx: matmul_layout(g, x, model, chunk), reps)
        t[f"encrypt_{enc}_n"] = measure(lambda c=ctx: encrypt_batch(c, x), reps)
        res["bytes"][f"feature_ciphertext_{enc}"] = len(encrypt_batch(ctx, x)[0].serialize())
        for name, scores in (("batched", batched(ctx, x, model)),
                             ("matmul", matmul_layout(gctx, x, model, chunk))):
            res["accuracy"][f"{name}_{enc}"] = compare_with_cleartext(scores, test, model)
        if enc == "public-key":
            t["single_pk_1"] = measure(lambda g=gctx: per_applicant(g, x[:1], model), reps)
            t["single_pk_n_scaled"] = measure(
                lambda g=gctx: per_applicant(g, x[:n_single], model), reps).scaled(
                    n_big / n_single)
            public = ctx.copy()
            public.make_context_public()
            res["bytes"]["public_context"] = len(public.serialize(save_galois_keys=False))
            gpub = gctx.copy()
            gpub.make_context_public()
            res["bytes"]["public_context_with_galois"] = len(gpub.serialize())
            res["bytes"]["per_applicant_ciphertext"] = len(encrypt_single(gctx, x[0]).serialize())
            res["bytes"]["matmul_ciphertext"] = len(ts.enc_matmul_encoding(gctx, x[:chunk])
                                                    .serialize())

    with ServerProcess(timeout=120) as proc:
        begin = time.perf_counter()
        client = ScoringClient(proc.address, make_context(params))  # registers the context
        res["grpc_register_s"] = time.perf_counter() - begin
        t["grpc_1"] = measure(lambda: client.score(x[:1]), reps)
        res["bytes"]["grpc_request_1"] = client.last_request_bytes
        t["grpc_n"] = measure(lambda: client.score(x), reps)
        res["bytes"]["grpc_request_n"] = client.last_request_bytes
        res["bytes"]["grpc_reply_n"] = client.last_reply_bytes
        res["grpc_server_ms_n"] = client.last_server_ms
        res["accuracy"]["grpc"] = compare_with_cleartext(client.score(x), test, model)
        client.close()
    return res


# --------------------------------------------------------------------------- report
def table(res: dict) -> str:
    n, t, by, acc = res["n_big"], res["timings"], res["bytes"], res["accuracy"]
    mb = lambda b: f"{b / 1e6:.2f} MB"  # noqa: E731
    pk, sym = t["batched_public-key_n"], t["batched_symmetric_n"]
    mm_pk, mm_sym = t["matmul_public-key_n"], t["matmul_symmetric_n"]
    lines = [
        f"## End to end, {n:,} applicants, in-process (median (IQR) of {res['repeats']} runs)",
        "",
        "| layout | public-key encryption | symmetric encryption | ciphertexts |",
        "|---|---|---|---|",
        f"| **ours, batched** (one ciphertext per feature) | {fmt_seconds(pk)} | "
        f"{fmt_seconds(sym)} | 6 |",
        f"| TenSEAL `enc_matmul_encoding` ({res['matmul_chunk']} applicants per ciphertext, "
        f"Galois keys) | {fmt_seconds(mm_pk)} | {fmt_seconds(mm_sym)} | "
        f"{-(-n // res['matmul_chunk'])} |",
        f"| one ciphertext per applicant (timed on {res['n_single_timed']}, scaled) | "
        f"{fmt_seconds(t['single_pk_n_scaled'])} | — | {n:,} |",
        f"| ours ÷ matmul layout (speed-up, same encryption) | {mm_pk.median / pk.median:.2f}× "
        f"| {mm_sym.median / sym.median:.2f}× | |",
        f"| ours ÷ per applicant (the teaching contrast) | "
        f"{t['single_pk_n_scaled'].median / pk.median:.0f}× | | |",
        "",
        "## Encryption, latency, payloads, accuracy",
        "",
        "| measurement | value |",
        "|---|---|",
        f"| client encryption of the 6 feature ciphertexts, public-key / symmetric | "
        f"{fmt_seconds(t['encrypt_public-key_n'])} / {fmt_seconds(t['encrypt_symmetric_n'])} "
        f"({t['encrypt_public-key_n'].median / t['encrypt_symmetric_n'].median:.2f}× faster) |",
        f"| share of end to end spent encrypting (public-key / symmetric) | "
        f"{t['encrypt_public-key_n'].median / pk.median:.0%} / "
        f"{t['encrypt_symmetric_n'].median / sym.median:.0%} |",
        f"| batched, 1 applicant (public-key / symmetric) | {fmt_seconds(t['batched_public-key_1'])}"
        f" / {fmt_seconds(t['batched_symmetric_1'])} |",
        f"| per-applicant, 1 applicant | {fmt_seconds(t['single_pk_1'])} |",
        f"| gRPC batched, 1 applicant (ScoringClient encrypts symmetrically) | {fmt_seconds(t['grpc_1'])} |",
        f"| gRPC batched, {n:,} applicants | {fmt_seconds(t['grpc_n'])} (server "
        f"{res['grpc_server_ms_n']:.0f} ms) |",
        f"| gRPC context registration (once) | {res['grpc_register_s'] * 1e3:.0f} ms |",
        f"| public context (relin keys, no Galois) | {mb(by['public_context'])} |",
        f"| public context with Galois keys (matmul and per-applicant layouts) | "
        f"{mb(by['public_context_with_galois'])} |",
        f"| one feature ciphertext, public-key / symmetric (fresh, serialized) | "
        f"{mb(by['feature_ciphertext_public-key'])} / {mb(by['feature_ciphertext_symmetric'])} |",
        f"| one matmul-layout ciphertext / one per-applicant ciphertext | "
        f"{mb(by['matmul_ciphertext'])} / {mb(by['per_applicant_ciphertext'])} |",
        f"| gRPC request, 1 / {n:,} applicants | {mb(by['grpc_request_1'])} / "
        f"{mb(by['grpc_request_n'])} |",
        f"| gRPC reply (scores), {n:,} applicants | {mb(by['grpc_reply_n'])} |",
        f"| max abs error vs float64 polynomial (CKKS noise), batched / matmul | "
        f"{acc['batched_public-key']['max_abs_error_ckks']:.1e} / "
        f"{acc['matmul_public-key']['max_abs_error_ckks']:.1e} |",
        f"| max abs error vs exact sigmoid (noise + degree-3 approximation) | "
        f"{acc['batched_public-key']['max_abs_error_sigmoid']:.3f} |",
        "| decision agreement with cleartext (batched pk / sym, matmul pk / sym, gRPC) | "
        + " / ".join(f"{acc[k]['agreement']:.1%}" for k in (
            "batched_public-key", "batched_symmetric", "matmul_public-key",
            "matmul_symmetric", "grpc")) + " |",
    ]
    best = min(pk.median, sym.median)
    agreement = min(a["agreement"] for a in acc.values())
    goals = [
        (f"{n:,} applicants in-process ≤ 0.5 s", f"{best:.3f} s", best <= 0.5),
        (f"{n:,} applicants over gRPC ≤ 1 s", f"{t['grpc_n'].median:.3f} s",
         t["grpc_n"].median <= 1.0),
        ("batched ≥ 1× the matmul layout (same encryption)",
         f"{min(mm_pk.median / pk.median, mm_sym.median / sym.median):.2f}×",
         mm_pk.median >= pk.median and mm_sym.median >= sym.median),
        ("batched ≥ 150× per-applicant", f"{t['single_pk_n_scaled'].median / pk.median:.0f}×",
         t["single_pk_n_scaled"].median / pk.median >= 150),
        ("decisions identical", f"{agreement:.1%}", agreement == 1.0),
    ]
    glines = ["", "| goal | measured | met |", "|---|---|---|"]
    glines += [f"| {name} | {shown} | {'yes' if ok else 'NO'} |" for name, shown, ok in goals]
    return "\n".join(lines + glines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run, writes nothing")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    info = machine_info("tenseal", "grpcio", "scikit-learn")
    res = run(args.quick)
    finish(info)
    header = "\n".join([
        "# Encrypted credit scoring (Lesson 08) — `benchmarks/bench_he.py`", "",
        *machine_lines(info),
        f"- python {info['python']}, tenseal {info['tenseal']}, grpcio {info['grpcio']}; "
        "N = 8192, coefficient moduli [50, 36, 36, 36, 60], scale 2^36, degree-3 sigmoid", "", ""])
    text = header + table(res)
    print(text)
    if not args.quick:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "he.md").write_text(text)
        payload = dict(res, timings={k: v.as_dict() for k, v in res["timings"].items()})
        (args.out / "he.json").write_text(json.dumps({"machine": info, "results": payload},
                                                     indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
