"""Lesson 06 — Secure aggregation, DP federated learning and membership inference.

References come from :mod:`pets_helpers.fl.secagg` (sharing, masks, χ² view) and
:mod:`pets_helpers.attacks.membership` (loss attack, chance margins). Everything crossing to and
from the learner's kernel is plain data: ints, bytes, dicts, numpy arrays and seeded Generators.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy.stats import chisquare, spearmanr

from ..attacks.membership import chance_tpr_margin, roc_auc, tpr_at_fpr
from ..fl.secagg import FixedPoint, prg_mask, shamir_reconstruct, shamir_share
from ..grading import Exercise, Lesson, Mistake

P61 = 2**61 - 1
"""The exercises' prime field (fits numpy int64, so ``rng.integers(0, p)`` works)."""
ALPHA = 1e-6


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _as_int(value, name: str) -> int:
    if isinstance(value, (bool, np.bool_)):
        raise Mistake(f"{name} should return an integer, got a bool.")
    if isinstance(value, (float, np.floating)):
        raise Mistake(f"{name} returned a float ({value!r}). Field arithmetic is on integers: "
                      f"a float has 53 bits of precision and cannot hold a 61-bit element. Use "
                      f"pow(d, -1, prime) for division, never `/`.")
    try:
        return int(value)
    except Exception:
        raise Mistake(f"{name} should return an integer, got {type(value).__name__}.") from None


def _shares(value, n: int, name: str) -> list[tuple[int, int]]:
    try:
        pairs = [(int(x), int(y)) for x, y in value]
    except Exception:
        raise Mistake(f"{name} should return a list of (x, y) pairs of integers, got "
                      f"{value!r:.80}.") from None
    if len(pairs) != n:
        raise Mistake(f"{name} returned {len(pairs)} shares, expected n = {n} (one per party).")
    return pairs


# --- L06.E1: Shamir sharing --------------------------------------------------------------------
def check_shamir(ns):
    rng = _rng(61)
    for _ in range(3):
        secret = int(rng.integers(0, P61))
        shares = shamir_share(secret, 7, 4, prime=P61, rng=rng)
        for size in (4, 5, 7):
            subset = [shares[i] for i in sorted(rng.choice(7, size, replace=False))]
            got = _as_int(ns.call("shamir_reconstruct", [tuple(s) for s in subset], P61),
                          "shamir_reconstruct")
            if got == secret:
                continue
            if got % P61 == secret:
                raise Mistake(f"shamir_reconstruct's result is right only modulo p: reduce the "
                              f"final sum mod prime (got {got}, expected {secret}).")
            if size == 7 and got != secret:
                raise Mistake(f"shamir_reconstruct fails even with all 7 shares (expected "
                              f"{secret}, got {got}). Evaluate the Lagrange basis at x = 0: "
                              f"λᵢ = Π_(j≠i) xⱼ / (xⱼ − xᵢ), with the division done as a "
                              f"modular inverse.")
            raise Mistake(f"shamir_reconstruct gives {got} from {size} of 7 shares (threshold "
                          f"4); expected {secret}. Use exactly the x's you are given in the "
                          f"Lagrange basis (not 1..k).")
    # the learner's sharing, reconstructed by the library
    for n, t in ((5, 3), (6, 2), (4, 4)):
        secret = int(rng.integers(0, P61))
        pairs = _shares(ns.call("shamir_share", secret, n, t, P61, _rng(100 + n)),
                        n, "shamir_share")
        xs = [x for x, _ in pairs]
        if any(x % P61 == 0 for x in xs):
            raise Mistake("One of your shares sits at x = 0: f(0) IS the secret, so that party "
                          "learns it alone. Hand out f(1), …, f(n).")
        if len(set(xs)) != n:
            raise Mistake(f"Your shares' x-coordinates {xs} are not distinct: two parties with "
                          f"the same point count as one.")
        if any(not 0 <= y < P61 for _, y in pairs):
            raise Mistake("Some share values lie outside [0, prime): reduce f(x) mod prime.")
        if all(y == secret for _, y in pairs):
            raise Mistake("Every share equals the secret: your polynomial is constant. Draw "
                          "t − 1 random coefficients a₁…a_(t−1) besides a₀ = secret.")
        ok_t = all(shamir_reconstruct(c, P61) == secret
                   for c in itertools.combinations(pairs, t))
        if ok_t:
            continue
        if t < n and all(shamir_reconstruct(c, P61) == secret
                         for c in itertools.combinations(pairs, t + 1)):
            raise Mistake(f"t + 1 = {t + 1} of your shares recover the secret but t = {t} do "
                          f"not: the polynomial has degree t. A threshold of t needs degree "
                          f"t − 1, i.e. t coefficients including the secret.")
        raise Mistake(f"Any {t} of your {n} shares should recover the secret by Lagrange "
                      f"interpolation, but they do not. Share i is (i, f(i) mod p) with "
                      f"f(x) = secret + a₁x + … + a_(t−1)x^(t−1).")
    # hiding: one share of a fixed secret must be uniform on the field (here GF(11), t = 2)
    counts = np.zeros(11)
    for i in range(330):
        pairs = _shares(ns.call("shamir_share", 3, 3, 2, 11, _rng(7000 + i)), 3, "shamir_share")
        counts[pairs[0][1] % 11] += 1
    if chisquare(counts).pvalue < ALPHA:
        raise Mistake(f"Over GF(11) one share of the secret 3 should be uniform on 0..10, but "
                      f"your shares are not (counts {counts.astype(int).tolist()}). Draw every "
                      f"coefficient uniformly from 0..prime−1 with the rng you are given.")
    return ("Any t shares interpolate f(0); any t − 1 are uniformly random — information-"
            "theoretic hiding, no computational assumption at all.")


# --- L06.E2: pairwise masks cancel -------------------------------------------------------------
def _pair_setup(seed: int, n: int = 5, m: int = 64):
    rng = _rng(seed)
    inputs = {u: rng.integers(0, 2**63, m, dtype=np.uint64) for u in range(1, n + 1)}
    seeds = {(u, v): rng.bytes(32) for u in range(1, n + 1) for v in range(u + 1, n + 1)}
    return inputs, seeds


def _reference_masked(inputs, seeds, sign_if_larger=1):
    m = len(next(iter(inputs.values())))
    out = {}
    for u, x in inputs.items():
        y = x.copy()
        for (a, b), s in seeds.items():
            if u not in (a, b):
                continue
            v = b if u == a else a
            mask = prg_mask(s, m)
            if (v > u) == (sign_if_larger > 0):
                y += mask
            else:
                y -= mask
        out[u] = y
    return out


def _uint_dict(value, keys, m, name):
    if not isinstance(value, dict) or set(value) != set(keys):
        raise Mistake(f"{name} should return a dict {{client id: masked vector}} for the ids "
                      f"{sorted(keys)}, got {type(value).__name__}.")
    out = {}
    for k, v in value.items():
        arr = np.asarray(v)
        if arr.shape != (m,):
            raise Mistake(f"{name}[{k}] has shape {arr.shape}, expected ({m},).")
        if arr.dtype != np.uint64:
            raise Mistake(f"{name}[{k}] has dtype {arr.dtype}. Masking works in the ring "
                          f"Z_(2^64): keep numpy uint64 arrays, whose + and − wrap around "
                          f"mod 2^64 exactly (int64 or float would overflow or round).")
        out[k] = arr
    return out


def check_mask_inputs(ns):
    for seed in (1, 2):
        inputs, seeds = _pair_setup(seed)
        m = 64
        got = _uint_dict(ns.call("mask_inputs", {u: x.copy() for u, x in inputs.items()},
                                 dict(seeds)), inputs, m, "mask_inputs")
        total = np.zeros(m, dtype=np.uint64)
        want = np.zeros(m, dtype=np.uint64)
        for u in inputs:
            total += got[u]
            want += inputs[u]
        if np.array_equal(total, want):
            if any(np.array_equal(got[u], inputs[u]) for u in inputs):
                raise Mistake("Some masked vector equals the client's input: the server would see "
                                      "it in the clear. Add a mask for every other client.")
            ref = _reference_masked(inputs, seeds, +1)
            if all(np.array_equal(got[u], ref[u]) for u in inputs):
                continue
            flipped = _reference_masked(inputs, seeds, -1)
            if all(np.array_equal(got[u], flipped[u]) for u in inputs):
                continue  # the mirror convention cancels too
            raise Mistake("The masks cancel, but not with PRG(s_uv) = prg_mask(pair_seeds[(u, "
                          "v)], len(x)) for u < v: use exactly the given seed of each pair.")
        both_add = {u: x + sum((prg_mask(s, m) for (a, b), s in seeds.items() if u in (a, b)),
                               np.zeros(m, dtype=np.uint64)) for u, x in inputs.items()}
        if all(np.array_equal(got[u], both_add[u]) for u in inputs):
            raise Mistake("Both clients of a pair ADD their shared mask, so it appears twice in "
                          "the sum instead of cancelling. The client with the smaller id adds "
                          "PRG(s_uv), the other subtracts it.")
        one_side = {u: x + sum((prg_mask(s, m) for (a, b), s in seeds.items() if u == a),
                               np.zeros(m, dtype=np.uint64)) for u, x in inputs.items()}
        if all(np.array_equal(got[u], one_side[u]) for u in inputs):
            raise Mistake("Only the smaller id of each pair applies the mask; the larger one "
                          "must subtract the same PRG(s_uv) for it to cancel in the sum.")
        raise Mistake("The masked vectors do not sum to the sum of the inputs (mod 2^64): every "
                      "pairwise mask must be added by one client of the pair and subtracted by "
                      "the other.")
    return ("The server sees vectors that look uniformly random, yet their sum is exactly the "
            "sum of the inputs — n(n−1)/2 masks, none of which it can compute.")


# --- L06.E3: dropout recovery ------------------------------------------------------------------
RECOVERY_CASES = [(3, (2,)), (4, (1, 5)), (5, (3, 4)), (6, ())]


def _masked_sum(inputs, seeds, survivors):
    masked = _reference_masked(inputs, seeds, +1)
    total = np.zeros(len(next(iter(inputs.values()))), dtype=np.uint64)
    for u in survivors:
        total += masked[u]
    return total


def _remove(total, seeds, pairs, m, sign):
    out = total.copy()
    for u, v in pairs:  # u survivor, v the other client
        mask = prg_mask(seeds[(min(u, v), max(u, v))], m)
        if (v > u) == (sign > 0):
            out -= mask
        else:
            out += mask
    return out


def check_recover_sum(ns):
    m = 64
    for seed, dropped in RECOVERY_CASES:
        inputs, seeds = _pair_setup(seed, n=6 if seed != 3 else 5, m=m)
        ids = sorted(inputs)
        dropped = tuple(d for d in dropped if d in inputs)
        survivors = [u for u in ids if u not in dropped]
        total = _masked_sum(inputs, seeds, survivors)
        raw = ns.call("recover_sum", total.copy(), list(survivors), list(dropped), dict(seeds))
        got = np.asarray(raw)
        if got.shape != (m,) or got.dtype != np.uint64:
            raise Mistake(f"recover_sum should return a uint64 vector of length {m}, got "
                          f"{got.dtype} {got.shape}.")
        want = np.zeros(m, dtype=np.uint64)
        for u in survivors:
            want += inputs[u]
        if np.array_equal(got, want):
            continue
        case = f"(survivors {survivors}, dropped {list(dropped)})"
        if np.array_equal(got, total):
            raise Mistake(f"You returned the masked sum unchanged. The masks survivors share "
                          f"with a dropped client did not cancel: remove them. {case}")
        drop_pairs = [(u, v) for u in survivors for v in dropped]
        if np.array_equal(got, _remove(total, seeds, drop_pairs, m, -1)):
            raise Mistake(f"Right masks, wrong sign: survivor u ADDED PRG(s_uv) when v > u (and "
                          f"subtracted it when v < u), so undo exactly that. {case}")
        for half in ([(u, v) for u, v in drop_pairs if v > u],
                     [(u, v) for u, v in drop_pairs if v < u]):
            if half != drop_pairs and np.array_equal(got, _remove(total, seeds, half, m, +1)):
                raise Mistake(f"You removed only some of the survivor–dropped masks: both cases "
                              f"count — survivors with a smaller id than the dropped client "
                              f"(they added the mask) and with a larger one (they subtracted "
                              f"it). {case}")
        raise Mistake(f"Not the survivors' sum. For each survivor u and dropped v, u's vector "
                      f"holds +PRG(s_uv) if v > u and −PRG(s_uv) if v < u: subtract exactly "
                      f"those from the masked sum (uint64 arithmetic). {case}")
    return ("That is the step the survivors' Shamir shares of the dropped clients' keys make "
            "possible: with ≥ t survivors the server rebuilds s_uv and cleans the sum.")


# --- L06.E4: the server's view is uniform ------------------------------------------------------
def _reference_pvalue(values, bins):
    shift = np.uint64(64 - int(math.log2(bins)))
    counts = np.bincount((np.asarray(values, dtype=np.uint64) >> shift).astype(np.int64),
                         minlength=bins)
    return float(chisquare(counts).pvalue)


def check_chi2(ns):
    rng = _rng(44)
    codec = FixedPoint(1.0, 10)
    raw = codec.encode(rng.normal(0, 0.05, 20_000))
    masked = raw + prg_mask(rng.bytes(32), raw.size)
    cases = ((masked, 256), (raw, 256), (masked, 16), (masked[:5000], 64))
    for values, bins in cases:
        got_raw = ns.call("chi2_uniform_pvalue", values.copy(), bins)
        try:
            got = float(got_raw)
        except Exception:
            raise Mistake(f"chi2_uniform_pvalue should return one p-value (a float), got "
                          f"{got_raw!r:.80}.") from None
        want = _reference_pvalue(values, bins)
        if math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-300):
            continue
        low = np.bincount((values & np.uint64(bins - 1)).astype(np.int64), minlength=bins)
        if math.isclose(got, float(chisquare(low).pvalue), rel_tol=1e-6, abs_tol=1e-300):
            raise Mistake("You binned the LOW bits. The low bits of a fixed-point update look "
                          "random even unmasked (they are rounding noise); what gives an "
                          "update away is its high bits (sign and magnitude). Bin by the top "
                          "log2(bins) bits: values >> (64 − log2(bins)).")
        if values is raw and got > ALPHA:
            raise Mistake(f"An UNMASKED fixed-point update should fail the test (p ≈ {want:.1e}),"
                          f" your p-value is {got:.3g}. Bin by the top bits of the uint64 values"
                          f" without converting to float first.")
        raise Mistake(f"Expected the χ² p-value {want:.6g} (counts of the top log2(bins) bits "
                      f"against equal expected counts, bins − 1 degrees of freedom), got "
                      f"{got:.6g}.")
    return ("Masked updates pass (p well above 10⁻⁶); the raw update fails with p ≈ 0. A "
            "χ² test cannot prove uniformity, but it would catch a broken PRG or a missing mask.")


# --- L06.E5: the loss-threshold attack ---------------------------------------------------------
def _attack_case():
    from ..fl.privacy_experiments import fedavg_result, membership_data

    return fedavg_result(membership_data())


def check_loss_attack(ns):
    rng = _rng(55)
    probs = rng.dirichlet(np.ones(4) * 0.3, 400)
    labels = rng.integers(0, 4, 400)
    probs[0] = [1.0, 0.0, 0.0, 0.0]
    labels[0] = 1                               # p(true label) = 0: the loss is infinite
    got = np.asarray(ns.call("loss_attack_scores", probs.copy(), labels.copy()), dtype=float)
    if got.shape != (400,):
        raise Mistake(f"loss_attack_scores should return one score per record (400,), got shape "
                      f"{got.shape}.")
    if not np.all(np.isfinite(got)):
        raise Mistake("Some scores are -inf or NaN: log(0) for a record whose true class has "
                      "probability 0. Floor the probability (e.g. at 1e-12) before the log.")
    p_true = probs[np.arange(400), labels]
    if spearmanr(got, p_true).statistic < -0.99:
        raise Mistake("Your scores rank records the wrong way round: you returned the loss. "
                      "Members have LOW loss, and a higher score must mean 'more likely a "
                      "member' — return minus the loss.")
    order = np.argsort(p_true, kind="stable")
    steps = np.diff(got[order])
    p_steps = np.diff(p_true[order])
    if np.any(steps < -1e-9 * np.maximum(1, np.abs(got[order][1:]))) or \
            np.any((p_steps > 1e-9) & (steps <= 0) & (p_true[order][1:] > 1e-12)):
        conf = probs.max(axis=1)
        if np.allclose(got, conf) or np.allclose(got, np.log(conf)):
            raise Mistake("You scored the model's confidence in its top class. The attack uses "
                          "the probability of the TRUE label: −log p(y | x).")
        raise Mistake("Your scores do not rank records by the loss on their true label. The "
                      "loss-threshold score is −(−log p(true label)) = log p(y | x).")
    res = _attack_case()
    return (f"On the lesson's FedAvg model this attack reaches AUC {res.auc:.2f} with only "
            f"black-box access to probabilities.")


# --- L06.E6: reading the ROC: no better than chance? -------------------------------------------
def _case_scores(kind: str, m: int, n: int, seed: int):
    rng = _rng(seed)
    if kind == "strong":
        return rng.normal(2.0, 1.0, m), rng.normal(0.0, 1.0, n)
    if kind == "chance":
        return rng.normal(size=m), rng.normal(size=n)
    if kind == "tail":  # AUC near 0.5, but 10 % of members sit above every non-member
        mem = rng.normal(size=m)
        mem[: m // 10] = 10.0 + rng.random(m // 10)
        return mem, rng.normal(size=n)
    raise ValueError(kind)


def _chance_case_above_fpr(m: int, n: int, fpr: float):
    # a guessing attack whose measured TPR lands a little above the FPR (but inside the margin)
    for seed in range(500):
        mem, non = _case_scores("chance", m, n, 1000 + seed)
        tpr = tpr_at_fpr(mem, non, fpr)
        if fpr < tpr <= chance_tpr_margin(m, fpr, ALPHA):
            return mem, non
    raise RuntimeError("no case found")


def _as_bool(value, name):
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise Mistake(f"{name} should return True or False, got {type(value).__name__} {value!r:.60}.")


def check_chance(ns):
    m, n = 300, 2000
    fpr = 0.01
    cases = [("strong", *_case_scores("strong", m, n, 1), False),
             ("chance", *_case_scores("chance", m, n, 2), True),
             ("tail", *_case_scores("tail", m, n, 3), False),
             ("chance-above-fpr", *_chance_case_above_fpr(m, n, fpr), True)]
    for label, mem, non, want in cases:
        got = _as_bool(ns.call("no_better_than_chance", mem.copy(), non.copy(), fpr),
                       "no_better_than_chance")
        if got == want:
            continue
        tpr = tpr_at_fpr(mem, non, fpr)
        margin = chance_tpr_margin(m, fpr, ALPHA)
        if label == "tail":
            raise Mistake(f"This attack's AUC is {roc_auc(mem, non):.3f} — close to 0.5 — but it "
                          f"identifies 10 % of members with certainty: TPR at 1 % FPR = "
                          f"{tpr:.2f}. You judged by the AUC; judge by the TPR at the given FPR.")
        if label.startswith("chance") and tpr > fpr:
            raise Mistake(f"A guessing attack measured TPR {tpr:.3f} at FPR {fpr} — above the "
                          f"FPR, but well within what chance gives {m} members (up to "
                          f"{margin:.3f} with probability 1 − 10⁻⁶). Compare with the binomial "
                          f"quantile, not with the FPR itself.")
        if label == "chance":
            raise Mistake(f"Random scores (TPR {tpr:.3f} at FPR {fpr}) must count as chance: the "
                          f"threshold is the (1 − 10⁻⁶) quantile of Binomial(m, FPR)/m = "
                          f"{margin:.3f}.")
        raise Mistake(f"An attack with TPR {tpr:.2f} at {fpr:.0%} FPR is far better than chance "
                      f"(chance stays below {margin:.3f}). Return True only when the TPR is at or "
                      f"below that margin.")
    return ("Judge a membership attack by its TPR at a low FPR, against the margin chance "
            "allows — a near-0.5 AUC can hide a few members identified with certainty.")


HINT_SHAMIR = (
    "A (t, n) sharing is a random polynomial f of degree t − 1 with f(0) = secret; party i gets "
    "(i, f(i) mod p). Reconstruction is Lagrange interpolation evaluated at 0.",
    "Coefficients: [secret] + [int(rng.integers(0, prime)) for _ in range(t − 1)]. For "
    "reconstruction, λᵢ = Π_(j≠i) xⱼ·(xⱼ − xᵢ)⁻¹ mod p, the inverse being pow(d, -1, prime).",
    "secret = Σᵢ λᵢ·yᵢ mod prime. Keep everything as Python ints (never `/`), and evaluate f "
    "with Horner's rule mod prime.",
)
HINT_MASK = (
    "Each pair (u, v) shares one seed; both can expand it to the same mask PRG(s_uv) = "
    "prg_mask(seed, len(x)). For the masks to cancel in the sum, one adds and the other subtracts.",
    "Convention: for each other client v, client u adds PRG(s_uv) if v > u and subtracts it if "
    "v < u. The seed of the pair is pair_seeds[(min(u, v), max(u, v))].",
    "y = x.copy(); for v ≠ u: mask = prg_mask(pair_seeds[(min(u,v), max(u,v))], len(x)); "
    "y += mask if v > u else y -= mask. Keep uint64 arrays: they wrap mod 2^64.",
)
HINT_RECOVER = (
    "Masks between two survivors cancelled in the sum. Which masks did not?",
    "Survivor u's vector still carries its masks with every dropped client v: +PRG(s_uv) if "
    "v > u, −PRG(s_uv) if v < u. The server has rebuilt those seeds (pair_seeds).",
    "total = masked_sum.copy(); for u in survivors, v in dropped: mask = prg_mask(pair_seeds"
    "[(min(u,v), max(u,v))], len(total)); total −= mask if v > u else total += mask.",
)
HINT_CHI2 = (
    "Split the ring into `bins` equal intervals and count how many values fall in each; for a "
    "uniform vector the counts should be roughly equal.",
    "The interval of a uint64 value is given by its top log2(bins) bits: values >> (64 − "
    "log2(bins)). np.bincount(..., minlength=bins) counts them.",
    "return scipy.stats.chisquare(np.bincount((values >> np.uint64(64 − int(np.log2(bins)))"
    ").astype(np.int64), minlength=bins)).pvalue",
)
HINT_LOSS = (
    "Models are more confident on their training records: their loss is lower. A membership "
    "score should be high for a likely member.",
    "The per-record loss is −log p(true label). Pick each row's probability at its label: "
    "probabilities[np.arange(n), labels].",
    "return np.log(np.maximum(probabilities[np.arange(len(labels)), labels], 1e-12))",
)
HINT_CHANCE = (
    "Look at the TPR at the given FPR (tpr_at_fpr), not at the AUC.",
    "A guessing attack flags each member with probability FPR, so its true positives follow "
    "Binomial(m, FPR) for m members. How large can that get with probability 1 − 10⁻⁶?",
    "margin = scipy.stats.binom.isf(1e-6, m, fpr) / m; return tpr_at_fpr(member_scores, "
    "nonmember_scores, fpr) <= margin",
)

SECAGG = "pets_helpers.fl.secagg"
MEMBERSHIP = "pets_helpers.attacks.membership"

LESSON = Lesson("L06", "Secure aggregation, DP federated learning and membership inference",
                "06_secure_aggregation", (
    Exercise("L06.E1", "Shamir secret sharing", 3, check_shamir, HINT_SHAMIR,
             shortcuts=(f"{SECAGG}:shamir_share", f"{SECAGG}:shamir_reconstruct",
                        f"{SECAGG}:lagrange_at_zero")),
    Exercise("L06.E2", "Pairwise masks cancel", 2, check_mask_inputs, HINT_MASK,
             shortcuts=(f"{SECAGG}:SecAggClient.masked_input",)),
    Exercise("L06.E3", "Dropout recovery", 3, check_recover_sum, HINT_RECOVER,
             shortcuts=(f"{SECAGG}:SecAggServer.unmask",)),
    Exercise("L06.E4", "The server's view is uniform", 2, check_chi2, HINT_CHI2),
    Exercise("L06.E5", "The loss-threshold attack", 2, check_loss_attack, HINT_LOSS,
             shortcuts=(f"{MEMBERSHIP}:loss_threshold_scores", f"{MEMBERSHIP}:cross_entropy")),
    Exercise("L06.E6", "No better than chance at 1 % FPR?", 2, check_chance, HINT_CHANCE,
             shortcuts=(f"{MEMBERSHIP}:chance_tpr_margin",)),
), cell_timeout=300)
