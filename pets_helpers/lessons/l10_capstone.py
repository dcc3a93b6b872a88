"""Lesson 10 — Capstone: a consortium fraud model. Exercises, checks and hints.

Every answer is plain data (numbers, strings, dicts of sets) or a function of plain data. The
references come from :mod:`pets_helpers.capstone`; the truth tables of the threat model and the
decision matrix live here (the notebook cannot import them).
"""

from __future__ import annotations

import math

import numpy as np

from ..capstone.decisions import PETS, SCENARIOS, STAGES, THREATS
from ..accounting import PrivacyAccountant, ZCDPAccountant
from ..capstone.ledger import UNITS, stage_from_accountant, total_privacy_statement
from ..capstone.metrics import alerts_at_rate, recall_at_alert_rate
from ..grading import Exercise, Lesson, Mistake
from ..grading.answers import as_float, case_rng

SEED = 20261010


# --- L10.E1: recall at a fixed alert rate ----------------------------------------------------
RECALL_CASES = [(2_000, 0.01, 0.02), (1_000, 0.05, 0.01), (5_000, 0.002, 0.005), (400, 0.25, 0.05)]


def _recall_case(k: int, n: int, fraud_rate: float):
    rng = case_rng(SEED, k)
    y = (rng.random(n) < fraud_rate).astype(int)
    y[rng.integers(n)] = 1  # at least one fraud
    # probability-like scores: fraud scores higher on average, strong overlap
    z = rng.normal(0.0, 2.0, n) + 3.5 * y - 2.0
    return 1.0 / (1.0 + np.exp(-z)), y


def _recall_with(scores, y, mask) -> float:
    return float(y[mask].sum() / y.sum())


def check_recall(ns):
    for k, (n, rate, fraud_rate) in enumerate(RECALL_CASES):
        scores, y = _recall_case(k, n, fraud_rate)
        got = as_float(ns.call("recall_at_alert_rate", scores.copy(), y.copy(), rate),
                       "recall_at_alert_rate")
        want = recall_at_alert_rate(scores, y, rate)
        order = np.argsort(-scores, kind="stable")
        q = math.ceil(rate * n)
        nearby = []
        for size in (q - 1, q + 1):  # a queue one longer or shorter: rounding, not the point
            mask = np.zeros(n, bool)
            mask[order[:size]] = True
            nearby.append(_recall_with(scores, y, mask))
        case = f"(n = {n} transactions, {int(y.sum())} fraud, alert rate {rate:g})"
        if math.isclose(got, want, abs_tol=1e-9) or any(math.isclose(got, r, abs_tol=1e-9) for r in nearby):
            continue
        alerts = alerts_at_rate(scores, rate)
        if math.isclose(got, float(y[alerts].mean()), abs_tol=1e-9):
            raise Mistake(f"You returned the precision (fraud among the alerts), not the recall "
                          f"(the share of all fraud that lands in the queue). Divide by the "
                          f"number of fraud cases, not by the queue length. {case}")
        low = np.zeros(n, bool)
        low[order[::-1][:q]] = True
        if math.isclose(got, _recall_with(scores, y, low), abs_tol=1e-9):
            raise Mistake(f"You flagged the *lowest* scores. Higher = more suspicious: sort in "
                          f"descending order (np.argsort(-scores)). {case}")
        for thr, what in ((rate, "alert_rate"), (1 - rate, "1 − alert_rate")):
            if math.isclose(got, _recall_with(scores, y, scores >= thr), abs_tol=1e-9):
                raise Mistake(f"You thresholded the scores at {what} = {thr:g}, as if it were a "
                              f"probability cut-off. The alert rate fixes the *number* of alerts: "
                              f"flag the ⌈alert_rate · n⌉ = {q} highest scores, whatever their "
                              f"values. {case}")
        raise Mistake(f"Expected recall {want:.4f}, got {got:.4f}. Flag the ⌈alert_rate · n⌉ "
                      f"highest scores and return (fraud among them) / (all fraud). {case}")
    return ("Recall at a fixed alert rate depends only on the ranking — so a CKKS polynomial "
            "score, a probability and a log-odds rank the same model identically.")


HINT_RECALL = (
    "The fraud team reviews a fixed number of transactions: ⌈alert_rate · n⌉ of them, the most "
    "suspicious ones. Recall asks what share of ALL fraud they catch.",
    "Sort the transactions by score, highest first (np.argsort(-scores)), keep the first "
    "q = math.ceil(alert_rate * len(scores)), count the fraud among them.",
    "top = np.argsort(-scores)[:math.ceil(alert_rate * len(scores))]; "
    "return is_fraud[top].sum() / is_fraud.sum()",
)


# --- L10.E2: the threat model ----------------------------------------------------------------
DEFENDS = {
    "synthetic_data": {"membership_inference"},
    "federated_training": {"server_reads_update", "membership_inference"},
    "encrypted_scoring": {"service_reads_transaction"},
}
THREAT_MISTAKES = {
    ("federated_training", "poisoned_update", True):
        "Secure aggregation does not stop a malicious bank's poisoned update — it *hides* each "
        "update, which makes a poisoned one harder to spot. Clipping bounds its weight in the "
        "sum, but a backdoor can fit within the clip norm. Defending needs robust aggregation "
        "or attestation, not a PET of this pipeline.",
    ("encrypted_scoring", "wrong_scores", True):
        "CKKS gives confidentiality, not integrity: a malicious service can return any "
        "ciphertext it likes (e.g. encrypt(0)) and the bank cannot tell. Verifiable computation "
        "or spot checks with known transactions are needed for that.",
    ("encrypted_scoring", "membership_inference", True):
        "Encryption hides the *new* transactions from the service; it says nothing about what "
        "the model's scores reveal about the customers it was trained on. That protection comes "
        "from DP upstream (federated training), not from HE.",
    ("federated_training", "membership_inference", False):
        "The DP noise on the aggregate bounds what the released model reveals about any bank — "
        "hence any of its customers: federated training with DP *does* defend against "
        "membership inference (secure aggregation alone would not).",
    ("federated_training", "server_reads_update", False):
        "Secure aggregation is exactly the defence against a curious aggregation server: it "
        "learns the sum of the masked updates and nothing about one bank's update.",
    ("synthetic_data", "membership_inference", False):
        "A DP synthetic table bounds how much any customer changes it: membership inference on "
        "the table is what its ε limits.",
    ("encrypted_scoring", "service_reads_transaction", False):
        "The service holds only the public context: without the secret key it cannot decrypt "
        "the transactions it scores.",
}


def _threat_sets(value) -> dict:
    if not isinstance(value, dict):
        raise Mistake(f"threat_model should be a dict {{stage: set of threat keys}}, got "
                      f"{type(value).__name__}.")
    if set(value) != set(STAGES):
        raise Mistake(f"threat_model needs exactly the stages {sorted(STAGES)} as keys, got "
                      f"{sorted(map(str, value))}.")
    out = {}
    for stage, threats in value.items():
        if isinstance(threats, str) or not isinstance(threats, (set, frozenset, list, tuple)):
            raise Mistake(f"threat_model[{stage!r}] should be a set of threat keys (e.g. "
                          f"{{'membership_inference'}}), got {threats!r:.60}.")
        unknown = [t for t in threats if t not in THREATS]
        if unknown:
            raise Mistake(f"threat_model[{stage!r}] names unknown threats {unknown}; use keys "
                          f"of THREATS: {sorted(THREATS)}.")
        out[stage] = set(threats)
    return out


def check_threat_model(ns):
    got = _threat_sets(ns.get("threat_model"))
    wrong = []
    for stage, truth in DEFENDS.items():
        for threat in sorted(got[stage] - truth):
            wrong.append((stage, threat, True))
        for threat in sorted(truth - got[stage]):
            wrong.append((stage, threat, False))
    if not wrong:
        return ("Each PET defends one thing well, and nothing in this pipeline defends against "
                "a malicious bank or a malicious service: that is what contracts, audits and "
                "verifiable computation are for.")
    for key in wrong:
        if key in THREAT_MISTAKES:
            raise Mistake(f"{key[0]} / {key[1]}: " + THREAT_MISTAKES[key])
    stage, threat, claimed = wrong[0]
    verb = "does not defend against" if claimed else "does defend against"
    raise Mistake(f"The {stage} stage {verb} {threat} ({THREATS[threat][0]} who "
                  f"{THREATS[threat][1]}). {len(wrong)} cell(s) of your table are off.")


HINT_THREAT = (
    "Take the stages one at a time and ask: what does this PET hide, and from whom? A PET that "
    "hides data gives confidentiality; it does not make anyone behave honestly.",
    "Secure aggregation hides single updates from the server; DP bounds what a released "
    "artefact (table or model) reveals about one unit; HE hides inputs and outputs from the "
    "party computing. Which threat keys match those three sentences?",
    "Two stages defend against membership_inference, one against server_reads_update, one "
    "against service_reads_transaction; the two malicious threats are defended by none.",
)


# --- L10.E3: the PET decision matrix ---------------------------------------------------------
CHOICES = {
    "keyboard_slang": {"local_dp"},
    "census_release": {"central_dp"},
    "cloud_scoring": {"homomorphic_encryption"},
    "hospital_model": {"dp_federated_learning"},
    "analyst_sandbox": {"dp_synthetic_data"},
}
CHOICE_MISTAKES = {
    ("keyboard_slang", "central_dp"):
        "central DP needs a curator trusted with the raw reports — the users do not trust the "
        "vendor. Each phone must randomize its own report: local DP.",
    ("keyboard_slang", "federated_learning"):
        "nobody needs a model here, only frequencies — and FedAvg would still show the server "
        "each device's update. Randomize each report on the phone: local DP.",
    ("keyboard_slang", "secure_aggregation"):
        "secure aggregation needs many devices online in the same round (and dropout recovery "
        "among them); these phones report one at a time. Each phone must randomize its own "
        "report before sending it: local DP.",
    ("census_release", "local_dp"):
        "local DP would work but wastes accuracy: with a trusted curator, central DP's error "
        "is about √n times smaller for the same ε. Use the trust you have.",
    ("census_release", "dp_synthetic_data"):
        "the statistics are fixed in advance: answering exactly those with central DP spends "
        "the whole budget on them, a synthetic table spreads it over every possible query.",
    ("cloud_scoring", "central_dp"):
        "DP noise protects individuals in a *published* statistic; it does not hide an "
        "applicant's data from the party computing on it. The provider must compute without "
        "seeing: homomorphic encryption.",
    ("cloud_scoring", "federated_learning"):
        "nothing is trained here — the model exists; the question is how to *apply* it without "
        "revealing inputs or scores: homomorphic encryption.",
    ("hospital_model", "federated_learning"):
        "plain FedAvg shows the coordinator every hospital's update, and the model can memorize "
        "patients: both constraints are broken. Add secure aggregation and DP on the aggregate.",
    ("hospital_model", "secure_aggregation"):
        "secure aggregation hides each update from the coordinator, but the published model "
        "can still leak membership: add DP noise on the aggregate (dp_federated_learning).",
    ("analyst_sandbox", "central_dp"):
        "central DP answers queries known in advance, each spending budget; unlimited, "
        "unforeseen analyses for months would exhaust any budget. Release a DP synthetic table "
        "once — later analyses of it are post-processing, free.",
    ("analyst_sandbox", "homomorphic_encryption"):
        "analysts exploring data for months need to *look* at rows and iterate with any tool; "
        "CKKS supports a fixed shallow computation and shows nothing. A DP synthetic table "
        "gives them rows that are not real customers.",
}


def check_pet_choices(ns):
    value = ns.get("pet_choices")
    if not isinstance(value, dict):
        raise Mistake(f"pet_choices should be a dict {{scenario: PET key}}, got {type(value).__name__}.")
    if set(value) != set(SCENARIOS):
        raise Mistake(f"pet_choices needs exactly the scenarios {sorted(SCENARIOS)} as keys, got "
                      f"{sorted(map(str, value))}.")
    wrong = []
    for scenario, pet in value.items():
        if not isinstance(pet, str) or pet not in PETS:
            raise Mistake(f"pet_choices[{scenario!r}] = {pet!r:.60} is not a PET key; choose one of "
                          f"{sorted(PETS)}.")
        if pet not in CHOICES[scenario]:
            wrong.append((scenario, pet))
    if not wrong:
        return ("Each choice follows from who is trusted and what must be released: trust → "
                "central DP; no trust → local DP; compute without seeing → HE; train without "
                "moving → FL (+ secure aggregation + DP); unlimited later use → synthetic data.")
    for key in wrong:
        if key in CHOICE_MISTAKES:
            raise Mistake(f"{key[0]}: {key[1]} — " + CHOICE_MISTAKES[key])
    scenario, pet = wrong[0]
    raise Mistake(f"{scenario}: {pet} breaks a stated constraint ({SCENARIOS[scenario][1]}) — "
                  f"reread what it needs and gives in PETS. {len(wrong)} scenario(s) are off.")


HINT_CHOICES = (
    "For each scenario, first ask who is trusted with the raw data (nobody? a curator?) and "
    "what leaves the room (statistics, a model, scores, a table).",
    "Nobody trusted + aggregates → randomize at the source. A trusted curator + fixed "
    "statistics → noise on the statistics. Compute on data you may not see → encryption. "
    "Train where the data lives with a curious server and a published model → FL with both "
    "protections. Unlimited unforeseen analyses → release something once.",
    "One scenario each for local_dp, central_dp, homomorphic_encryption, "
    "dp_federated_learning and dp_synthetic_data.",
)


# --- L10.E4: the total privacy statement -----------------------------------------------------
def _pipeline_ledger() -> list:
    """The pipeline's ledger as its accountants write it: the synthetic table's marginals on a
    PrivacyAccountant (per customer), ten DP-FedAvg rounds on a ZCDPAccountant (per bank)."""
    synth = PrivacyAccountant(1.0)
    for share in (0.2, 0.3, 0.5):  # selection and measurement of marginals
        synth.spend(share, label="marginal")
    rounds = ZCDPAccountant(10.0)
    for _ in range(10):
        rounds.spend_gaussian(1.0, 4.0)  # clip norm 1, noise multiplier 4
    return [stage_from_accountant("DP synthetic table", synth, "customer").as_dict(),
            stage_from_accountant("DP-FedAvg (10 rounds)", rounds, "bank", delta=1e-6).as_dict(),
            {"stage": "encrypted scoring", "epsilon": 0.0, "delta": 0.0, "unit": None}]


LEDGER_CASES = [
    _pipeline_ledger(),
    [
        {"stage": "fraud-rate dashboard", "epsilon": 0.5, "delta": 0.0, "unit": "transaction"},
        {"stage": "DP synthetic table", "epsilon": 2.0, "delta": 1e-7, "unit": "customer"},
        {"stage": "DP-FedAvg", "epsilon": 3.0, "delta": 1e-6, "unit": "bank"},
    ],
    [
        {"stage": "DP-FedAvg, part 1", "epsilon": 1.5, "delta": 5e-7, "unit": "bank"},
        {"stage": "DP-FedAvg, part 2", "epsilon": 0.7, "delta": 5e-7, "unit": "bank"},
        {"stage": "encrypted scoring", "epsilon": 0.0, "delta": 0.0, "unit": "transaction"},
    ],
]


def _statement(value) -> dict:
    if not isinstance(value, dict) or not {"epsilon", "delta", "unit"} <= set(value):
        raise Mistake(f"privacy_statement should return a dict with keys 'epsilon', 'delta' and "
                      f"'unit', got {value!r:.100}.")
    unit = value["unit"]
    if unit is not None and unit not in UNITS:
        raise Mistake(f"'unit' must be one of {UNITS}, got {unit!r:.40}.")
    return {"epsilon": as_float(value["epsilon"], "epsilon"),
            "delta": as_float(value["delta"], "delta"), "unit": unit}


def check_privacy_statement(ns):
    for k, ledger in enumerate(LEDGER_CASES):
        got = _statement(ns.call("privacy_statement", [dict(e) for e in ledger]))
        want = total_privacy_statement(ledger)
        dp = [e for e in ledger if e["epsilon"] > 0 or e["delta"] > 0]
        case = f"(ledger {k + 1}: " + "; ".join(f"{e['stage']} ε={e['epsilon']:g} δ={e['delta']:g} "
                                                 f"per {e['unit']}" for e in ledger) + ")"
        if not math.isclose(got["epsilon"], want["epsilon"], rel_tol=1e-9):
            if math.isclose(got["epsilon"], max(e["epsilon"] for e in dp), rel_tol=1e-9):
                raise Mistake(f"You took the largest ε, as if the stages were parallel. Parallel "
                              f"composition needs *disjoint* data; every stage used the same "
                              f"customers, so the ε's add up (sequential composition). {case}")
            raise Mistake(f"ε should be {want['epsilon']:g} (sequential composition: the sum over "
                          f"the stages that release something DP), got {got['epsilon']:g}. {case}")
        if not math.isclose(got["delta"], want["delta"], rel_tol=1e-9, abs_tol=1e-15):
            if got["delta"] == 0:
                raise Mistake(f"You dropped δ: Gaussian (DP-FedAvg) releases have a δ > 0, and "
                              f"δ's add up like ε's. {case}")
            raise Mistake(f"δ should be {want['delta']:g} (the sum of the stages' δ), got "
                          f"{got['delta']:g}. {case}")
        if got["unit"] != want["unit"]:
            if got["unit"] == "bank":
                raise Mistake(f"You stated the guarantee for one bank. A customer-level ε says "
                              f"nothing about removing a whole bank (thousands of customers): "
                              f"state the total for the finest unit in the ledger, which every "
                              f"stage covers. {case}")
            if any(e["unit"] == got["unit"] for e in ledger if not (e["epsilon"] or e["delta"])):
                raise Mistake(f"The encrypted-scoring stage releases nothing DP (ε = 0): its "
                              f"unit plays no part in the statement. {case}")
            raise Mistake(f"The unit should be {want['unit']!r} — the finest unit among the DP "
                          f"stages (a bank-level guarantee covers each of its customers, not the "
                          f"reverse). {case}")
    return ("The statement is only as strong as its weakest line: one customer-level stage makes "
            "the whole pipeline's guarantee customer-level, with every ε added.")


HINT_STATEMENT = (
    "Every stage ran on the same customers, one after another: which composition theorem "
    "applies, and what happens to ε and δ?",
    "A guarantee for a bank protects each customer of it with the same ε; a guarantee for a "
    "customer does not protect a whole bank. So the total holds for the finest unit that "
    "appears — and stages with ε = δ = 0 release nothing DP and do not count.",
    "dp = [e for e in ledger if e['epsilon'] > 0 or e['delta'] > 0]; sum ε and δ over dp; "
    "unit = the first of ('transaction', 'customer', 'bank') that appears in dp.",
)


LESSON = Lesson("L10", "Capstone: a consortium fraud model", "10_capstone", (
    Exercise("L10.E1", "Recall at a fixed alert rate", 2, check_recall, HINT_RECALL,
             shortcuts=("pets_helpers.capstone.metrics:recall_at_alert_rate",
                        "pets_helpers.capstone.metrics:alerts_at_rate")),
    Exercise("L10.E2", "The threat model, stage by stage", 3, check_threat_model, HINT_THREAT),
    Exercise("L10.E3", "The PET decision matrix", 3, check_pet_choices, HINT_CHOICES),
    Exercise("L10.E4", "The total privacy statement", 3, check_privacy_statement, HINT_STATEMENT,
             shortcuts=("pets_helpers.capstone.ledger:total_privacy_statement",)),
))
